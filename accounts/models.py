from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import permissions
from accounts.roles import OrgRole
from aerodrome.crypto import EncryptedTextField
from aerodrome.validation import NAME_MAX_LENGTH, normalize_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The email address is the login."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the admin site (platform staff).")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    # Rotated by "log out other sessions": part of the session hash, so every other session stops validating.
    session_salt = models.CharField(max_length=32, blank=True, editable=False)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def name_and_email(self) -> str:
        """How one-line lists name a person: "Ada Lovelace <ada@example.com>", or the address alone."""
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def _get_session_auth_hash(self, secret=None):
        if not self.session_salt:
            return super()._get_session_auth_hash(secret=secret)  # sessions from before the field stay valid
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_salt}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)  # lower case, the domain in Unicode: one form per address
        super().save(*args, **kwargs)


class OrganizationQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "organization.view"):
        return self.filter(self.model.tenancy.q(actor, permission))


class Organization(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="OrganizationMembership", related_name="organizations")

    objects = OrganizationQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="pk")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OrganizationMembership(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="org_memberships")
    role = models.CharField(max_length=16, choices=OrgRole.choices, default=OrgRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_org_membership"),
        ]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.role})"


class TeamQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "team.view"):
        return self.filter(self.model.tenancy.q(actor, permission))


class Team(models.Model):
    """A named group of an organisation's members; a team can hold roles on workspaces."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.CharField(max_length=500, blank=True)
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="organization")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "organization", name="unique_team_name_per_org"),
        ]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_membership")]

    def __str__(self):
        return f"{self.user} in {self.team}"


class AuditEventQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "organization.view_audit"):
        return self.filter(self.model.tenancy.q(actor, permission))


class AuditEvent(models.Model):
    """One mutation: who did what to which object, when and from where. Written by `accounts.audit.record`."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Kept as text so the trail still reads right after the user or the target is deleted.
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=254)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="organization")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="audit_org_time")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def change_lines(self) -> list[tuple[str, str]]:
        """The changes as (field, "old → new") pairs for display."""
        lines = []
        for key, value in self.changes.items():
            if isinstance(value, list) and len(value) == 2:
                old, new = ("—" if v is None else v for v in value)
                lines.append((key, f"{old} → {new}"))
            else:
                lines.append((key, str(value)))
        return lines


# --------------------------------------------------------------------------------------- identity (issue 4)


class InvitationQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "organization.manage_members"):
        return self.filter(self.model.tenancy.q(actor, permission))

    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An emailed, single-use link that makes its recipient a member of an organisation (and optionally gives a
    workspace role). Only a hash of the link's secret is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    org_role = models.CharField(max_length=16, choices=OrgRole.choices, default=OrgRole.MEMBER)
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    workspace_role = models.CharField(max_length=16, blank=True)  # a WorkspaceRole, with workspace
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()
    tenancy = permissions.Tenancy(organization="organization")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            ),
        ]

    def __str__(self):
        return f"Invitation of {self.email} to {self.organization}"

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "ACCEPTED"
        if self.revoked_at:
            return "REVOKED"
        if self.expires_at <= timezone.now():
            return "EXPIRED"
        return "PENDING"


class ApiTokenQuerySet(models.QuerySet):
    def for_actor(self, actor, permission: str = "token.manage"):
        """The tokens the actor may see, which are the ones it may manage: organisation tokens with
        `token.manage_organization` on their organisation, the others with `token.manage_workspace` on their
        workspace (so never through a Deployment token)."""
        if permission != "token.manage":
            raise ValueError("API tokens are seen only by those who manage them: use permission 'token.manage'.")
        org_tokens = models.Q(scope="ORGANIZATION") & permissions.scope_q(
            actor, "token.manage_organization", organization_field="organization"
        )
        other_tokens = ~models.Q(scope="ORGANIZATION") & permissions.scope_q(
            actor, "token.manage_workspace", organization_field="organization", workspace_field="workspace"
        )
        return self.filter(org_tokens | other_tokens)

    def usable(self):
        now = timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiToken(models.Model):
    """A secret for automation (`Authorization: Bearer <token>`), with one role at one scope: an organisation,
    a workspace or a single Deployment. Only a SHA-256 of the secret is stored; `prefix` identifies it in lists."""

    class Scope(models.TextChoices):
        ORGANIZATION = "ORGANIZATION", "Organisation"
        WORKSPACE = "WORKSPACE", "Workspace"
        DEPLOYMENT = "DEPLOYMENT", "Deployment"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    deployment = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices)
    role = models.CharField(max_length=16)  # an OrgRole for organisation tokens, else a WorkspaceRole
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.CharField(max_length=500, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="ORGANIZATION", workspace__isnull=True, deployment__isnull=True)
                    | models.Q(scope="WORKSPACE", workspace__isnull=False, deployment__isnull=True)
                    | models.Q(scope="DEPLOYMENT", workspace__isnull=False, deployment__isnull=False)
                ),
                name="token_scope_matches_its_target",
            ),
        ]

    def __str__(self):
        return f"API token {self.name} ({self.prefix})"

    # An API token is an actor (accounts.permissions), authenticated but never a superuser or staff.
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class SSOConnection(models.Model):
    """An organisation's OpenID Connect identity provider, and the email domains it manages."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sso_connection")
    issuer_url = models.URLField()
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(blank=True)
    domains = models.JSONField(default=list, blank=True)  # lower-case email domains, unique across connections
    default_role = models.CharField(max_length=16, choices=OrgRole.choices, default=OrgRole.MEMBER)
    enabled = models.BooleanField(default=True)
    enforce_sso = models.BooleanField(default=False)  # refuse password login for managed (verified) domains
    groups_claim = models.CharField(max_length=255, default="groups")  # the claim whose values map to teams
    # The claim names (never their values) the latest SSO login carried, so owners can see what the IdP sends.
    last_login_claims = models.JSONField(default=list, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"SSO for {self.organization}"


class SSODomain(models.Model):
    """An email domain an SSO connection claims, and the proof that its organisation owns it: a DNS TXT record
    `aerodrome-verification=<token>` (accounts/sso/domains.py). Enforcement and just-in-time provisioning apply to a
    domain only once it is verified; one organisation at a time holds a domain verified."""

    RECORD_PREFIX = "_aerodrome"
    VALUE_PREFIX = "aerodrome-verification="

    connection = models.ForeignKey(SSOConnection, on_delete=models.CASCADE, related_name="domain_claims")
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64)  # public: it is what the owner publishes
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)  # the last DNS check, whatever it found
    lost_at = models.DateTimeField(null=True, blank=True)  # when a re-check no longer found the record
    check_error = models.CharField(max_length=500, blank=True)  # what the last failed check found

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "domain"], name="unique_sso_domain_claim"),
            models.UniqueConstraint(
                fields=["domain"], condition=models.Q(verified_at__isnull=False), name="one_verified_sso_domain"
            ),
        ]

    def __str__(self):
        return self.domain

    @property
    def record_name(self) -> str:
        return f"{self.RECORD_PREFIX}.{self.domain}"

    @property
    def record_value(self) -> str:
        return f"{self.VALUE_PREFIX}{self.token}"

    @property
    def status(self) -> str:
        if self.verified_at:
            return "verified"
        return "lost" if self.lost_at else "pending"


class SSOGroupMapping(models.Model):
    """Members of an IdP group (a value of the connection's groups claim) belong to a Team; synced at every login."""

    connection = models.ForeignKey(SSOConnection, on_delete=models.CASCADE, related_name="group_mappings")
    group = models.CharField(max_length=255)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sso_group_mappings")

    class Meta:
        ordering = ["group"]
        constraints = [models.UniqueConstraint(fields=["connection", "group"], name="unique_sso_group")]

    def __str__(self):
        return f"{self.group} → {self.team}"


class SSOBypassLink(models.Model):
    """A one-time link an owner creates so someone can log in with a password while SSO is enforced (e.g. when
    the IdP is down). Only a hash of its secret is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sso_bypass_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self):
        return f"SSO bypass for {self.organization}"
