"""Connecting to a Cluster record: a Gateway configured from its credentials and the platform's settings, under the
outbound policy unless staff configured it (a platform cluster)."""

import yaml
from django.conf import settings

from deployments.kube.gateway import Gateway, GatewayError, PermanentError
from deployments.validation import kubeconfig_local_references


def gateway_for(cluster) -> Gateway:
    """A gateway to the cluster; PermanentError (with a reason for people) when its credentials cannot be used."""
    try:
        kubeconfig = yaml.safe_load(cluster.kubeconfig) if cluster.auth == cluster.Auth.KUBECONFIG else None
        # Refused when saved too; checked again here, before the client would run or read anything it names.
        local = kubeconfig_local_references(kubeconfig) if isinstance(kubeconfig, dict) else []
        if local:
            raise PermanentError(f"The kubeconfig names commands or local files ({', '.join(local)}); replace it.")
        return Gateway(
            kubeconfig=kubeconfig,
            in_cluster=cluster.auth == cluster.Auth.IN_CLUSTER,
            guarded=not cluster.is_platform,  # an organisation's cluster: only where the outbound policy allows
            request_timeout=settings.KUBE_REQUEST_TIMEOUT,
            retries=settings.KUBE_RETRIES,
            backoff=settings.KUBE_BACKOFF_MS / 1000,
        )
    except GatewayError:
        raise
    except Exception as error:  # noqa: BLE001 - a kubeconfig the client cannot use: say why, not crash
        raise PermanentError(f"The credentials cannot be used: {error}") from None


def check(cluster) -> tuple[bool, str]:
    """(reachable, what to tell the user), from one call to the API server's /version."""
    try:
        gateway = gateway_for(cluster)
    except GatewayError as error:
        return False, error.reason
    try:
        version = gateway.version()
    except GatewayError as error:
        return False, error.reason
    finally:
        gateway.close()
    return True, f"Connected: Kubernetes {version}."
