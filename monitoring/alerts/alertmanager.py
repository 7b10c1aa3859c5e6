"""The one client of a cluster's Alertmanager (API v2): create and expire silences.

Organisations' clusters are called through the outbound policy (`aerodrome.outbound.session`), platform clusters
directly; every call has a short timeout (ALERTMANAGER_TIMEOUT_SECONDS) and fails with `AlertmanagerError`, whose
text people can read.
"""

from datetime import datetime

import requests
from django.conf import settings

from aerodrome import outbound


class AlertmanagerError(Exception):
    """The Alertmanager could not be reached or refused the call; the text says which, for people."""


def _session(cluster) -> requests.Session:
    timeout = settings.ALERTMANAGER_TIMEOUT_SECONDS
    if cluster.is_platform:
        session = requests.Session()
        session.trust_env = False
        session.request = _with_timeout(session.request, timeout)
        return session
    return outbound.session(timeout=timeout)


def _with_timeout(request, timeout):
    def call(method, url, **kwargs):
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return call


def _url(cluster, path: str) -> str:
    if not cluster.alertmanager_url:
        raise AlertmanagerError(f"The cluster {cluster} has no Alertmanager URL; its owners can set one.")
    return cluster.alertmanager_url.rstrip("/") + path


def _call(cluster, method: str, path: str, **kwargs) -> requests.Response:
    url = _url(cluster, path)
    try:
        with _session(cluster) as session:
            response = session.request(method, url, **kwargs)
    except outbound.RefusedRequest as refused:
        raise AlertmanagerError(f"Aerodrome may not call this Alertmanager: {refused}") from None
    except requests.Timeout:
        raise AlertmanagerError(f"The Alertmanager of {cluster} did not answer in time.") from None
    except requests.RequestException:
        raise AlertmanagerError(f"The Alertmanager of {cluster} cannot be reached.") from None
    if response.status_code >= 400:
        detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        raise AlertmanagerError(
            f"The Alertmanager of {cluster} answered {response.status_code}" + (f": {detail}" if detail else ".")
        )
    return response


def silence_create(
    cluster, *, matchers: dict[str, str], starts_at: datetime, ends_at: datetime, created_by: str, comment: str
) -> str:
    """A silence of every alert whose labels equal `matchers`; returns its id."""
    body = {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
        "startsAt": starts_at.isoformat(),
        "endsAt": ends_at.isoformat(),
        "createdBy": created_by,
        "comment": comment,
    }
    response = _call(cluster, "POST", "/api/v2/silences", json=body)
    try:
        silence_id = response.json()["silenceID"]
    except (ValueError, KeyError, TypeError):
        raise AlertmanagerError(f"The Alertmanager of {cluster} answered without a silence id.") from None
    return str(silence_id)


def silence_expire(cluster, silence_id: str) -> None:
    """Ends a silence now; one already gone or expired counts as ended."""
    try:
        _call(cluster, "DELETE", f"/api/v2/silence/{silence_id}")
    except AlertmanagerError as error:
        if " answered 404" in str(error) or "already expired" in str(error):
            return
        raise
