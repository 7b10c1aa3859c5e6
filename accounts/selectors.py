"""Reads for organisation pages and the API."""

from datetime import datetime

from django.db.models import Count, Q

from accounts.models import AuditEvent, Organization, OrganizationMembership, Team, User
from accounts.tenancy import get_for_actor

PICKER_MATCHES = 8  # what a picker's search-as-you-type lists at most (partials/picker.html)


def _first_matches(rows, order: str) -> tuple[list, bool]:
    found = list(rows.order_by(order)[: PICKER_MATCHES + 1])
    return found[:PICKER_MATCHES], len(found) > PICKER_MATCHES


def search_people(people, query: str) -> tuple[list[User], bool]:
    """At most PICKER_MATCHES of `people` whose name or address contains `query`, by address, and whether more
    match (the person pickers' search-as-you-type)."""
    query = query.strip()[:200]
    if query:
        people = people.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    return _first_matches(people, "email")


def team_member_candidates(organization: Organization, team: Team):
    """Members of the team's organisation who are not in it yet."""
    return organization_users(organization=organization).exclude(team_memberships__team=team)


def team_workspace_candidates(organization: Organization, team: Team):
    """Workspaces of the team's organisation it has no role on yet (through the organisation's relation: workspaces
    are the app above this one)."""
    return organization.workspaces.exclude(bindings__team=team)


def search_by_name(rows, query: str) -> tuple[list, bool]:
    """At most PICKER_MATCHES of `rows` (workspaces, teams) whose name contains `query`, by name, and whether more
    match (the workspace and team pickers' search-as-you-type)."""
    query = query.strip()[:200]
    if query:
        rows = rows.filter(name__icontains=query)
    return _first_matches(rows, "name")


def members_of(*, organization: Organization):
    return (
        OrganizationMembership.objects.filter(organization=organization)
        .select_related("user")
        .annotate(
            team_count=Count(
                "user__team_memberships",
                filter=Q(user__team_memberships__team__organization=organization),
                distinct=True,
            )
        )
        .order_by("user__email")
    )


def teams_of(*, organization: Organization):
    return (
        Team.objects.filter(organization=organization)
        .annotate(
            member_count=Count("memberships", distinct=True), workspace_count=Count("workspace_bindings", distinct=True)
        )
        .order_by("name")
    )


def audit_events(
    *,
    organization: Organization,
    actor=None,
    actor_email="",
    action="",
    since=None,
    until=None,
    target_type="",
    target_id="",
):
    """The organisation's trail. `since` and `until` are dates (whole days) or datetimes; `actor` a user or id."""
    events = AuditEvent.objects.filter(organization=organization).select_related("actor")
    if actor:
        events = events.filter(actor=actor)
    if actor_email:
        events = events.filter(actor__email__iexact=actor_email)
    if action:
        events = events.filter(action=action)
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=target_id)
    return in_period(events, since=since, until=until)


def in_period(rows, *, since=None, until=None, field: str = "created_at"):
    """`rows` whose `field` falls from `since` to `until`, each a datetime (an instant) or a date (the whole day)."""
    if since:
        rows = rows.filter(**{f"{field}__gte" if isinstance(since, datetime) else f"{field}__date__gte": since})
    if until:
        rows = rows.filter(**{f"{field}__lte" if isinstance(until, datetime) else f"{field}__date__lte": until})
    return rows


def audit_actions(*, organization: Organization) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=organization)
        .values_list("action", flat=True)
        .distinct()
        .order_by("action")
    )


def organization_users(*, organization: Organization):
    return User.objects.filter(org_memberships__organization=organization)


def team_for(actor, organization, pk, permission: str | None = None) -> Team:
    """A team of `organization` the actor can see (404 otherwise), then 403 below `permission`."""
    teams = Team.objects.filter(organization=organization)
    return get_for_actor(teams, actor, view_permission="team.view", permission=permission, pk=pk)
