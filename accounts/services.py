"""Writes for people's own profiles, organisations, their members and teams. Each checks the actor's role (or that
people change only themselves) and writes an audit entry."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts import audit, workspace_bindings
from accounts.models import Organization, OrganizationMembership, Team, TeamMembership, User
from accounts.permissions import is_token, require
from accounts.roles import OrgRole
from aerodrome.validation import ErrorCollector, clean_name, clean_role, clean_unique_name, has_control_characters


@transaction.atomic
def user_update(*, actor: User, user: User, full_name: str) -> User:
    """A person's own name, as lists show it ("Ada Lovelace <ada@example.com>"); blank leaves just the address."""
    if is_token(actor) or actor != user:
        raise PermissionDenied("People change only their own profile.")
    full_name = full_name or ""
    if full_name.strip() or has_control_characters(full_name):  # blank clears the name; anything else is checked
        max_length = User._meta.get_field("full_name").max_length
        full_name = clean_name(full_name, field="full_name", max_length=max_length)
    else:
        full_name = ""
    changes = audit.diff({"full_name": user.full_name}, {"full_name": full_name})
    if changes:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        audit.record(actor=actor, action="user.update", target=user, changes=changes)
    return user


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(*, actor: User, name: str) -> Organization:
    """Any signed-in user may start an organisation; they become its first owner. (An API token may not.)"""
    if is_token(actor):
        raise PermissionDenied("An API token cannot create organisations; sign in to create one.")
    name = clean_name(name)
    organization = Organization.objects.create(name=name, slug=_unique_slug(name))
    OrganizationMembership.objects.create(organization=organization, user=actor, role=OrgRole.OWNER)
    audit.record(actor=actor, action="organization.create", target=organization, organization=organization)
    return organization


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, name: str) -> Organization:
    require(actor, "organization.update", organization)
    name = clean_name(name)
    before = {"name": organization.name}
    organization.name = name
    organization.save(update_fields=["name"])
    audit.record(
        actor=actor,
        action="organization.update",
        target=organization,
        organization=organization,
        changes=audit.diff(before, {"name": name}),
    )
    return organization


@transaction.atomic
def organization_member_add_by_staff(
    *, actor: User, organization: Organization, user: User, role: str = OrgRole.MEMBER
) -> OrganizationMembership:
    """Platform staff, in the admin, make someone a member without an invitation (audited as such).

    Nobody else may: people join an organisation only with their consent, by accepting an invitation
    (`accounts.invitations`). Owners, on the pages and in the API, can only invite."""
    staff = not is_token(actor) and actor.is_active and actor.is_staff
    if not (staff and actor.has_perm("accounts.add_organizationmembership")):
        raise PermissionDenied("Only platform staff add members directly; invite people instead.")
    errors = ErrorCollector()
    role = errors.check(clean_role, OrgRole, role)
    if not user.is_active:
        errors.add("user", f"{user} is deactivated; activate the account before adding it.")
    elif OrganizationMembership.objects.filter(organization=organization, user=user).exists():
        errors.add("user", f"{user} is already a member of {organization}.")
    errors.raise_if_any()
    membership = OrganizationMembership.objects.create(organization=organization, user=user, role=role)
    audit.record(
        actor=actor,
        action="organization.member_add",
        target=user,
        organization=organization,
        changes={"role": [None, role], "added_by": "platform staff"},
    )
    return membership


def _ensure_another_owner(membership: OrganizationMembership) -> None:
    # Lock the owner rows so two owners demoting each other at once cannot leave the organisation ownerless.
    owners = OrganizationMembership.objects.select_for_update().filter(
        organization_id=membership.organization_id, role=OrgRole.OWNER
    )
    if membership.role == OrgRole.OWNER and not owners.exclude(pk=membership.pk).exists():
        raise ValidationError({"role": "This is the organisation's last owner. Make someone else an owner first."})


@transaction.atomic
def organization_member_change_role(
    *, actor: User, membership: OrganizationMembership, role: str
) -> OrganizationMembership:
    require(actor, "organization.manage_members", membership.organization)
    role = clean_role(OrgRole, role)
    if role == membership.role:
        return membership
    if role != OrgRole.OWNER:
        _ensure_another_owner(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        actor=actor,
        action="organization.member_role_change",
        target=membership.user,
        organization=membership.organization,
        changes={"role": [before, role]},
    )
    return membership


def _remove_membership(*, actor: User, membership: OrganizationMembership, action: str) -> None:
    _ensure_another_owner(membership)
    organization, user = membership.organization, membership.user
    # Leaving an organisation also ends every role the user held in it, directly or through its teams.
    workspace_bindings.provider().remove_all(organization=organization, user=user)
    TeamMembership.objects.filter(team__organization=organization, user=user).delete()
    membership.delete()
    audit.record(
        actor=actor, action=action, target=user, organization=organization, changes={"role": [membership.role, None]}
    )


@transaction.atomic
def organization_member_remove(*, actor: User, membership: OrganizationMembership) -> None:
    require(actor, "organization.manage_members", membership.organization)
    _remove_membership(actor=actor, membership=membership, action="organization.member_remove")


@transaction.atomic
def organization_leave(*, actor: User, organization: Organization) -> None:
    require(actor, "organization.leave", organization)
    membership = OrganizationMembership.objects.get(organization=organization, user=actor)
    _remove_membership(actor=actor, membership=membership, action="organization.leave")


@transaction.atomic
def team_create(*, actor: User, organization: Organization, name: str, description: str = "") -> Team:
    require(actor, "team.manage", organization)
    name = clean_unique_name(Team, organization=organization, name=name)
    description = (description or "").strip()[:500]
    team = Team.objects.create(organization=organization, name=name, description=description)
    audit.record(actor=actor, action="team.create", target=team, organization=organization)
    return team


@transaction.atomic
def team_update(*, actor: User, team: Team, name: str, description: str = "") -> Team:
    require(actor, "team.manage", team)
    name = clean_unique_name(Team, organization=team.organization, name=name, exclude_pk=team.pk)
    description = (description or "").strip()[:500]
    before = {"name": team.name, "description": team.description}
    team.name, team.description = name, description
    team.save(update_fields=["name", "description"])
    audit.record(
        actor=actor,
        action="team.update",
        target=team,
        organization=team.organization,
        changes=audit.diff(before, {"name": name, "description": description}),
    )
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    require(actor, "team.manage", team)
    audit.record(actor=actor, action="team.delete", target=team, organization=team.organization)
    team.delete()


@transaction.atomic
def team_member_add(*, actor: User, team: Team, user: User) -> TeamMembership:
    require(actor, "team.manage", team)
    if not OrganizationMembership.objects.filter(organization=team.organization, user=user).exists():
        raise ValidationError({"user": f"{user} is not a member of {team.organization}."})
    if TeamMembership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"user": f"{user} is already in the team {team}."})
    membership = TeamMembership.objects.create(team=team, user=user)
    audit.record(
        actor=actor,
        action="team.member_add",
        target=team,
        organization=team.organization,
        changes={"member": [None, user.email]},
    )
    return membership


@transaction.atomic
def team_member_remove(*, actor: User, membership: TeamMembership) -> None:
    team = membership.team
    require(actor, "team.manage", team)
    membership.delete()
    audit.record(
        actor=actor,
        action="team.member_remove",
        target=team,
        organization=team.organization,
        changes={"member": [membership.user.email, None]},
    )
