"""API tokens: create, rotate and delete them (services), list them (selectors), and check a presented one.

A token reads `aero_<prefix>_<secret>`: `aero_<prefix>` (stored in `ApiToken.prefix`, shown in lists and audit
entries) identifies it; the whole string is stored only as its SHA-256. The plaintext is returned once, by
`token_create` and `token_rotate`, and never again.

Who manages tokens: organisation tokens need `token.manage_organization` on the organisation, workspace and
Deployment tokens `token.manage_workspace` on the workspace. A token's role may not exceed its creator's role at
that scope. What a token may do once presented is decided by `accounts.permissions` (tokens are actors).
"""

import hashlib
import hmac
import re
import secrets
import string
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import audit
from accounts.models import ApiToken, Organization
from accounts.permissions import acting_user, deployment_role, is_token, org_role, require, workspace_role
from accounts.roles import OrgRole, WorkspaceRole, at_least
from aerodrome.validation import ErrorCollector, clean_name, clean_role

TOKEN_START = "aero_"
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_LENGTH = 8
SECRET_BYTES = 32  # 43 characters of URL-safe base64
DESCRIPTION_MAX_LENGTH = 500
LAST_USED_EVERY = timedelta(minutes=1)  # how often a token's last use is written, at most
_SHAPE = re.compile(rf"^{TOKEN_START}([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]{{40,}})$")

INVALID_MESSAGE = "Invalid API token."

Scope = ApiToken.Scope


class InvalidToken(Exception):
    """A presented token that does not authenticate; the message is for the caller."""

    def __init__(self, message: str = INVALID_MESSAGE):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------------- helpers


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_prefix() -> str:
    while True:
        prefix = TOKEN_START + "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def _new_secret() -> tuple[str, str, str]:
    """(prefix, plaintext, hash) of a fresh token."""
    prefix = _new_prefix()
    plaintext = f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return prefix, plaintext, _hash(plaintext)


def ladder_of(scope: str) -> type[OrgRole] | type[WorkspaceRole]:
    """The roles a token of this scope may hold."""
    return OrgRole if scope == Scope.ORGANIZATION else WorkspaceRole


def manage_permission(scope: str) -> str:
    return "token.manage_organization" if scope == Scope.ORGANIZATION else "token.manage_workspace"


def _require_manager(actor, *, scope: str, organization, workspace) -> None:
    """Organisation tokens are managed on the organisation, the others on their workspace (so a Deployment token
    never manages tokens, not even those of its own Deployment)."""
    require(actor, manage_permission(scope), organization if scope == Scope.ORGANIZATION else workspace)


def _actor_role(actor, *, scope: str, organization, workspace, deployment) -> str | None:
    """The actor's own role at the token's scope: the ceiling for the token's role."""
    if actor.is_superuser:
        return ladder_of(scope).values[-1]
    if scope == Scope.ORGANIZATION:
        return org_role(actor, organization)
    if scope == Scope.WORKSPACE:
        return workspace_role(actor, workspace)
    return deployment_role(actor, deployment)


def scope_label(token: ApiToken) -> str:
    if token.scope == Scope.DEPLOYMENT:
        return f"Deployment {token.deployment}"
    if token.scope == Scope.WORKSPACE:
        return f"Workspace {token.workspace}"
    return f"Organisation {token.organization}"


def _summary(token: ApiToken) -> dict:
    """What the audit log says about a token (never its secret)."""
    return {
        "name": token.name,
        "scope": scope_label(token),
        "role": token.role,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


def _clean_expiry(expires_at) -> datetime | None:
    if expires_at in (None, ""):
        return None
    if not isinstance(expires_at, datetime):
        raise ValidationError({"expires_at": "Give the expiry as a date and time."})
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, UTC)
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": "Choose an expiry in the future (or none)."})
    return expires_at


# --------------------------------------------------------------------------------------------------- services


@transaction.atomic
def token_create(
    *,
    actor,
    organization: Organization | None = None,
    workspace=None,
    deployment=None,
    role: str,
    name: str,
    description: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for exactly one of `organization`, `workspace` or `deployment`; returns it and its plaintext,
    which is never available again."""
    if sum(target is not None for target in (organization, workspace, deployment)) != 1:
        raise ValueError("Give exactly one of organization, workspace or deployment.")
    if deployment is not None:
        scope, workspace = Scope.DEPLOYMENT, deployment.workspace
        organization = workspace.organization
    elif workspace is not None:
        scope, organization = Scope.WORKSPACE, workspace.organization
    else:
        scope = Scope.ORGANIZATION
    _require_manager(actor, scope=scope, organization=organization, workspace=workspace)
    if deployment is not None and deployment.deleted_at is not None:
        raise ValidationError("This Deployment is being deleted; it can no longer get tokens.")

    errors = ErrorCollector()
    name = errors.check(clean_name, name)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.add("description", f"The description can be at most {DESCRIPTION_MAX_LENGTH} characters long.")
    ladder = ladder_of(scope)
    role = errors.check(clean_role, ladder, role)
    if role:
        ceiling = _actor_role(actor, scope=scope, organization=organization, workspace=workspace, deployment=deployment)
        if ceiling is None or ceiling not in at_least(ladder, role):
            yours = ladder(ceiling).label if ceiling else "none"
            errors.add(
                "role", f"A token cannot have a higher role than yours here (yours: {yours}); choose {yours} or lower."
            )
    expires_at = errors.check(_clean_expiry, expires_at)
    creator_expiry = getattr(actor, "expires_at", None) if is_token(actor) else None
    if creator_expiry and (expires_at is None or expires_at > creator_expiry):
        # A token must not outlive the token that made it, or an expiring token could renew itself for ever.
        errors.add(
            "expires_at",
            "A token made by a token cannot outlive it; choose an expiry on or before "
            f"{creator_expiry:%Y-%m-%d %H:%M} UTC.",
        )
    errors.raise_if_any()

    prefix, plaintext, secret_hash = _new_secret()
    token = ApiToken.objects.create(
        organization=organization,
        workspace=workspace,
        deployment=deployment,
        scope=scope,
        role=role,
        name=name,
        description=description,
        prefix=prefix,
        secret_hash=secret_hash,
        expires_at=expires_at,
        created_by=acting_user(actor),
    )
    audit.record(actor=actor, action="token.create", target=token, organization=organization, changes=_summary(token))
    return token, plaintext


@transaction.atomic
def token_rotate(*, actor, token: ApiToken) -> str:
    """A new secret (and prefix) for the token; the old one stops working at once. Returns the new plaintext."""
    _require_manager(actor, scope=token.scope, organization=token.organization, workspace=token.workspace)
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.is_expired:
        raise ValidationError("This token has expired; create a new one instead of rotating it.")
    old_prefix = locked.prefix
    prefix, plaintext, secret_hash = _new_secret()
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(prefix=prefix, secret_hash=secret_hash, rotated_at=now)
    token.prefix, token.secret_hash, token.rotated_at = prefix, secret_hash, now
    audit.record(
        actor=actor,
        action="token.rotate",
        target=token,
        organization=token.organization,
        changes={"prefix": [old_prefix, prefix]},
    )
    return plaintext


@transaction.atomic
def token_delete(*, actor, token: ApiToken) -> None:
    _require_manager(actor, scope=token.scope, organization=token.organization, workspace=token.workspace)
    audit.record(
        actor=actor, action="token.delete", target=token, organization=token.organization, changes=_summary(token)
    )
    token.delete()


# ---------------------------------------------------------------------------------------------- authentication


def expired_message(token: ApiToken) -> str:
    when = timezone.localtime(token.expires_at, UTC)
    return f"This API token has expired (on {when:%Y-%m-%d %H:%M} UTC); create a new one."


def authenticate(raw: str, *, ip: str | None = None) -> ApiToken:
    """The token `raw` names, after recording its use; `InvalidToken` (with a message for the caller) if it is
    malformed, unknown (never issued, deleted, or rotated since) or expired."""
    raw = (raw or "").strip()
    presented_hash = _hash(raw)
    match = _SHAPE.match(raw)
    token = (
        ApiToken.objects.select_related("organization", "workspace", "deployment", "created_by")
        .filter(prefix=TOKEN_START + match.group(1))
        .first()
        if match
        else None
    )
    # Compared in constant time; a wrong secret for a real prefix reads the same as an unknown token.
    if token is None or not hmac.compare_digest(token.secret_hash, presented_hash):
        raise InvalidToken()
    if token.is_expired:
        raise InvalidToken(expired_message(token))
    if token.deployment_id and token.deployment.deleted_at is not None:
        raise InvalidToken("This API token's Deployment has been deleted.")
    _record_use(token, ip)
    return token


def _record_use(token: ApiToken, ip: str | None) -> None:
    """Last use, written at most once a minute (one targeted UPDATE); the first use ever is also audited."""
    now = timezone.now()
    if token.last_used_at is None:
        with transaction.atomic():
            # Only one request can turn NULL into a time, so concurrent first uses audit once.
            first = ApiToken.objects.filter(pk=token.pk, last_used_at__isnull=True).update(
                last_used_at=now, last_used_ip=ip
            )
            if first:
                audit.record(
                    actor=token,
                    action="token.first_use",
                    target=token,
                    organization=token.organization,
                    changes={"ip": ip} if ip else {},
                )
    elif token.last_used_at <= now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(Q(last_used_at__lte=now - LAST_USED_EVERY)).update(
            last_used_at=now, last_used_ip=ip
        )
    else:
        return
    token.last_used_at, token.last_used_ip = now, ip


# -------------------------------------------------------------------------------------------------- selectors


def tokens_for(*, actor, organization=None, workspace=None, deployment=None):
    """The tokens the actor manages, narrowed to one organisation, workspace or Deployment (a workspace's include
    its Deployments' tokens). Tokens of Deployments being deleted are left out: they no longer authenticate."""
    tokens = (
        ApiToken.objects.for_actor(actor)
        .filter(Q(deployment__isnull=True) | Q(deployment__deleted_at__isnull=True))
        .select_related("organization", "workspace", "deployment", "created_by")
        .order_by("name", "pk")
    )
    if deployment is not None:
        return tokens.filter(deployment=deployment)
    if workspace is not None:
        return tokens.filter(workspace=workspace)
    if organization is not None:
        return tokens.filter(organization=organization)
    return tokens
