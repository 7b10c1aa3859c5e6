"""Connecting to a Cluster record: a Gateway configured from its credentials and the platform's settings."""

import yaml
from django.conf import settings

from deployments.kube.gateway import Gateway, GatewayError


def gateway_for(cluster) -> Gateway:
    return Gateway(
        kubeconfig=yaml.safe_load(cluster.kubeconfig) if cluster.auth == cluster.Auth.KUBECONFIG else None,
        in_cluster=cluster.auth == cluster.Auth.IN_CLUSTER,
        request_timeout=settings.KUBE_REQUEST_TIMEOUT,
        retries=settings.KUBE_RETRIES,
        backoff=settings.KUBE_BACKOFF_MS / 1000,
    )


def check(cluster) -> tuple[bool, str]:
    """(reachable, what to tell the user), from one call to the API server's /version."""
    try:
        gateway = gateway_for(cluster)
    except Exception as error:  # noqa: BLE001 - a kubeconfig the client cannot use: say why, not crash
        return False, f"The credentials cannot be used: {error}"
    try:
        version = gateway.version()
    except GatewayError as error:
        return False, error.reason
    finally:
        gateway.close()
    return True, f"Connected: Kubernetes {version}."
