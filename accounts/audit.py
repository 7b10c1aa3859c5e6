"""The audit trail: every service that changes something calls `record` inside its transaction.

The client's IP address comes from the request through a context variable set by
`accounts.middleware.AuditContextMiddleware`, so services need no request argument.
"""

import re
from contextvars import ContextVar

from accounts.models import AuditEvent, User

current_ip: ContextVar[str | None] = ContextVar("audit_current_ip", default=None)

# Fields whose value is, or may later become, a secret: a plain variable can be marked secret, a URL can carry a
# password. The trail says only that they changed (one of STATES); any other value given for them becomes CHANGED.
# No fingerprint either: whoever may both set a variable and read the trail could test guesses against one.
SECRET_FIELDS = frozenset({"value", "password", "client_secret", "kubeconfig", "database_admin_url", "token"})
CHANGED = "changed"
STATES = frozenset({"set", CHANGED, "replaced", "removed", "disabled", "(changed)"})
# The password of a URL's user-info (https://user:password@host), in any text a change mentions.
URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]*@")


def record(*, actor, action: str, target, organization=None, changes: dict | None = None) -> AuditEvent:
    """Write one audit entry. `changes` is a summary such as {"role": ["MEMBER", "OWNER"]}; never secrets."""
    changes = {key: _without_secret(key, value) for key, value in (changes or {}).items()}
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if isinstance(actor, User) and actor.pk else None,  # an API token is named by the label only
        actor_label=str(actor) if actor is not None else "system",
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        target_label=str(target)[:254],
        changes=changes,
        ip_address=current_ip.get(),
    )


def diff(before: dict, after: dict) -> dict:
    """{"field": [old, new]} for every field whose value changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def _without_secret(key: str, value):
    if key in SECRET_FIELDS and not (isinstance(value, str) and value in STATES):
        return CHANGED
    if isinstance(value, str):
        return URL_PASSWORD.sub(r"\1***@", value)
    if isinstance(value, list):
        return [_without_secret(key, item) for item in value]
    return value
