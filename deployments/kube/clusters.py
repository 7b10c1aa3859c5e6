"""Connecting to a Cluster record: a Gateway configured from its credentials and the platform's settings, under the
outbound policy unless staff configured it (a platform cluster).

Reconcile asks for a cluster's gateway on every run: `gateway_for` keeps one per cluster per process (its client
and pooled connections), so a run neither parses the kubeconfig nor opens a connection again. The kept one is
replaced as soon as anything it was built from changes (the credentials, platform or not, the client and outbound
settings), compared by a fingerprint of them; a forked process starts with none."""

import hashlib
import os
import threading

import yaml
from django.conf import settings

from deployments.kube.gateway import Gateway, GatewayError, PermanentError
from deployments.validation import kubeconfig_local_references

_kept: dict[int, tuple[str, Gateway]] = {}  # cluster id -> (fingerprint, gateway)
_kept_pid = os.getpid()
_lock = threading.Lock()


def _fingerprint(cluster) -> str:
    parts = [
        cluster.auth,
        cluster.kubeconfig if cluster.auth == cluster.Auth.KUBECONFIG else "",
        str(cluster.is_platform),
        *(str(getattr(settings, name)) for name in ("KUBE_REQUEST_TIMEOUT", "KUBE_RETRIES", "KUBE_BACKOFF_MS")),
        *(str(getattr(settings, name)) for name in ("OUTBOUND_ALLOWED_NETWORKS", "OUTBOUND_DENIED_NETWORKS")),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def gateway_for(cluster) -> Gateway:
    """The cluster's gateway, kept for the next call while the cluster's settings stay the same (see the module's
    docstring); PermanentError (with a reason for people) when its credentials cannot be used."""
    global _kept_pid
    if cluster.pk is None:
        return connect(cluster)
    fingerprint = _fingerprint(cluster)
    with _lock:
        if _kept_pid != os.getpid():  # forked: the parent's connections are not this process's to use
            _kept.clear()
            _kept_pid = os.getpid()
        kept = _kept.get(cluster.pk)
        if kept and kept[0] == fingerprint:
            return kept[1]
    gateway = connect(cluster)
    with _lock:
        _kept[cluster.pk] = (fingerprint, gateway)  # the replaced one closes its connections when collected
    return gateway


def connect(cluster) -> Gateway:
    """A new gateway to the cluster (its own client and connections); PermanentError when its credentials cannot be
    used."""
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
        gateway = connect(cluster)  # a fresh connection: that is what is being checked
    except GatewayError as error:
        return False, error.reason
    try:
        version = gateway.version()
    except GatewayError as error:
        return False, error.reason
    finally:
        gateway.close()
    return True, f"Connected: Kubernetes {version}."
