"""API for organisations, their members and teams, and the audit log. Each mutation is one call to
`accounts.services`."""

import re

from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, OuterRef, Subquery, Value
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import (
    AuditEventSerializer,
    OrganizationMemberSerializer,
    OrganizationSerializer,
    OrganizationWriteSerializer,
    RoleChangeSerializer,
    TeamCreateSerializer,
    TeamMemberAddSerializer,
    TeamMemberSerializer,
    TeamSerializer,
    TeamUpdateSerializer,
)
from accounts.api.viewsets import ORGANIZATION_SLUG, OrganizationChildViewSet, TenantViewSet
from accounts.models import ApiToken, AuditEvent, Organization, OrganizationMembership, Team, TeamMembership
from accounts.permissions import is_token
from accounts.tenancy import get_for_actor
from aerodrome.api import params
from aerodrome.validation import ErrorCollector, has_control_characters

TEAM_ID = OpenApiParameter("team_pk", int, OpenApiParameter.PATH, description="The team's id.")


@extend_schema(tags=["organizations"])
@extend_schema_view(
    list=extend_schema(summary="List your organisations"),
    retrieve=extend_schema(summary="Get an organisation"),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    queryset = Organization.objects.none()
    serializer_class = OrganizationSerializer
    search_fields = ["name", "slug"]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        user = self.request.user
        if is_token(user):  # an API token's role: its own on its organisation, none for narrower tokens
            caller_role = Value(user.role if user.scope == ApiToken.Scope.ORGANIZATION else None, CharField())
        else:
            memberships = OrganizationMembership.objects.filter(organization=OuterRef("pk"), user=user.pk)
            caller_role = Subquery(memberships.values("role")[:1])
        return Organization.objects.for_actor(user, "organization.view").annotate(caller_role=caller_role)

    @extend_schema(
        summary="Create an organisation",
        description="Any signed-in user may create one and becomes its first owner.",
        request=OrganizationWriteSerializer,
        responses={201: OrganizationSerializer},
    )
    def create(self, request):
        data = self.validated(OrganizationWriteSerializer)
        organization = services.organization_create(actor=request.user, name=data["name"])
        return self.present(organization, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rename an organisation (owners)",
        request=OrganizationWriteSerializer,
        responses={200: OrganizationSerializer},
    )
    def partial_update(self, request, slug=None):
        organization = self.get_object()
        self.require("organization.update", organization)
        data = self.validated(OrganizationWriteSerializer)
        services.organization_update(actor=request.user, organization=organization, name=data["name"])
        return self.present(organization)

    @extend_schema(
        summary="Leave an organisation",
        description="Also ends every workspace role and team membership you held in it. The last owner cannot leave.",
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["post"])
    def leave(self, request, slug=None):
        organization = self.get_object()
        self.require("organization.leave", organization)
        services.organization_leave(actor=request.user, organization=organization)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["organizations"], parameters=[ORGANIZATION_SLUG])
@extend_schema_view(list=extend_schema(summary="List an organisation's members"))
class OrganizationMemberViewSet(mixins.ListModelMixin, OrganizationChildViewSet):
    queryset = OrganizationMembership.objects.none()
    serializer_class = OrganizationMemberSerializer
    search_fields = ["user__email", "user__full_name"]

    def get_queryset(self):
        self.require("organization.view_members", self.organization)  # not for workspace or Deployment tokens
        return OrganizationMembership.objects.filter(organization=self.organization).select_related(
            "user", "organization"
        )

    @extend_schema(
        summary="Change a member's role (owners)",
        description="The organisation's last owner cannot be demoted.",
        request=RoleChangeSerializer,
        responses={200: OrganizationMemberSerializer},
    )
    def partial_update(self, request, organization_slug=None, pk=None):
        membership = self.get_object()
        self.require("organization.manage_members", self.organization)
        data = self.validated(RoleChangeSerializer)
        services.organization_member_change_role(actor=request.user, membership=membership, role=data["role"])
        return self.present(membership)

    @extend_schema(
        summary="Remove a member (owners)",
        description="Also ends their workspace roles and team memberships here. The last owner cannot be removed.",
    )
    def destroy(self, request, organization_slug=None, pk=None):
        membership = self.get_object()
        self.require("organization.manage_members", self.organization)
        services.organization_member_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["teams"], parameters=[ORGANIZATION_SLUG])
@extend_schema_view(
    list=extend_schema(summary="List an organisation's teams"),
    retrieve=extend_schema(summary="Get a team"),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationChildViewSet):
    queryset = Team.objects.none()
    serializer_class = TeamSerializer
    search_fields = ["name", "description"]

    def get_queryset(self):
        return (
            Team.objects.for_actor(self.request.user, "team.view")
            .filter(organization=self.organization)
            .select_related("organization")
            .annotate(
                member_count=Count("memberships", distinct=True),
                workspace_count=Count("workspace_bindings", distinct=True),
            )
        )

    @extend_schema(summary="Create a team (owners)", request=TeamCreateSerializer, responses={201: TeamSerializer})
    def create(self, request, organization_slug=None):
        self.require("team.manage", self.organization)
        data = self.validated(TeamCreateSerializer)
        team = services.team_create(actor=request.user, organization=self.organization, **data)
        return self.present(team, status.HTTP_201_CREATED)

    @extend_schema(summary="Rename or describe a team (owners)", request=TeamUpdateSerializer)
    def partial_update(self, request, organization_slug=None, pk=None):
        team = self.get_object()
        self.require("team.manage", team)
        data = self.validated(TeamUpdateSerializer)
        services.team_update(
            actor=request.user,
            team=team,
            name=data.get("name", team.name),
            description=data.get("description", team.description),
        )
        return self.present(team)

    @extend_schema(summary="Delete a team (owners)", description="Its members keep their own workspace roles.")
    def destroy(self, request, organization_slug=None, pk=None):
        team = self.get_object()
        self.require("team.manage", team)
        services.team_delete(actor=request.user, team=team)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["teams"], parameters=[ORGANIZATION_SLUG, TEAM_ID])
@extend_schema_view(list=extend_schema(summary="List a team's members"))
class TeamMemberViewSet(mixins.ListModelMixin, OrganizationChildViewSet):
    queryset = TeamMembership.objects.none()
    serializer_class = TeamMemberSerializer
    search_fields = ["user__email", "user__full_name"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.team = get_for_actor(
            Team.objects.filter(organization=self.organization),
            request.user,
            view_permission="team.view",
            pk=kwargs["team_pk"],
        )

    def get_queryset(self):
        return TeamMembership.objects.filter(team=self.team).select_related("user", "team__organization")

    @extend_schema(
        summary="Add a member of the organisation to the team (owners)",
        request=TeamMemberAddSerializer,
        responses={201: TeamMemberSerializer},
    )
    def create(self, request, organization_slug=None, team_pk=None):
        self.require("team.manage", self.team)
        data = self.validated(TeamMemberAddSerializer)
        # Only the organisation's own members can be named, so an id or address says nothing about other tenants.
        candidates = selectors.organization_users(organization=self.organization)
        if "user" in data:
            user = candidates.filter(pk=data["user"]).first()
            if user is None:
                raise ValidationError({"user": f"No member of {self.organization} has the id {data['user']}."})
        else:
            email = data["email"].strip().lower()
            user = candidates.filter(email=email).first()
            if user is None:
                raise ValidationError({"email": f"No member of {self.organization} has the address {email}."})
        membership = services.team_member_add(actor=request.user, team=self.team, user=user)
        return self.present(membership, status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a member from the team (owners)")
    def destroy(self, request, organization_slug=None, team_pk=None, pk=None):
        membership = self.get_object()
        self.require("team.manage", self.team)
        services.team_member_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


TARGET = re.compile(r"^([a-z_]+)(?::([0-9]{1,20}))?$")


def _audit_actor(request) -> dict:
    value = request.query_params.get("actor", "").strip()
    if not value:
        return {}
    if value.isascii() and value.isdigit():
        return {"actor": int(value)}
    if "@" in value and not has_control_characters(value) and len(value) <= 254:
        return {"actor_email": value}
    raise ValidationError({"actor": "Give the person's user id or email address."})


def _audit_target(request) -> dict:
    value = request.query_params.get("target", "").strip()
    if not value:
        return {}
    match = TARGET.match(value)
    if not match:
        raise ValidationError(
            {"target": "Give the kind of object (`deployment`), or the kind and id (`deployment:12`)."}
        )
    return {"target_type": match[1], "target_id": match[2] or ""}


@extend_schema(tags=["organizations"], parameters=[ORGANIZATION_SLUG])
@extend_schema_view(
    list=extend_schema(
        summary="Read the organisation's audit log (owners)",
        description="Every change made in the organisation, newest first, as the Audit log page shows it.",
        parameters=[
            OpenApiParameter("actor", str, description="Only what this person did: their user id or email address."),
            OpenApiParameter("action", str, description="Only this action, e.g. `deployment.update`."),
            OpenApiParameter(
                "target",
                str,
                description="Only what was done to this kind of object (`deployment`) or to one "
                "object (`deployment:12`).",
            ),
            OpenApiParameter("since", str, description=f"From this moment. {params.MOMENT_FORMAT}"),
            OpenApiParameter("until", str, description=f"Up to this moment. {params.MOMENT_FORMAT}"),
        ],
    )
)
class AuditEventViewSet(mixins.ListModelMixin, OrganizationChildViewSet):
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    search_fields = ["action", "actor_label", "target_label"]

    def get_queryset(self):
        self.require("organization.view_audit", self.organization)
        errors = ErrorCollector()
        filters = {
            **(errors.check(_audit_actor, self.request) or {}),
            **(errors.check(_audit_target, self.request) or {}),
            "action": errors.check(params.text, self.request, "action", 64),
            "since": errors.check(params.moment, self.request, "since"),
            "until": errors.check(params.moment, self.request, "until"),
        }
        errors.raise_if_any()
        return selectors.audit_events(organization=self.organization, **filters)
