"""API for workspaces and their role bindings. Each mutation is one call to `workspaces.services`."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.api.viewsets import TenantViewSet
from accounts.models import Organization, Team
from accounts.tenancy import get_for_actor
from aerodrome.api import params
from aerodrome.api.schema import not_found
from workspaces import services
from workspaces.api.serializers import (
    BindingCreateSerializer,
    BindingRoleSerializer,
    BindingSerializer,
    WorkspaceCreateSerializer,
    WorkspaceSerializer,
    WorkspaceUpdateSerializer,
)
from workspaces.models import Workspace, WorkspaceRoleBinding

WORKSPACE_ID = OpenApiParameter("workspace_pk", int, OpenApiParameter.PATH, description="The workspace's id.")


class WorkspaceChildViewSet(TenantViewSet):
    """A resource nested under /workspaces/{workspace_pk}/ (bindings here; channels, registry credentials, alert
    rules above): the workspace is resolved first, a 404 outside the caller's organisations, and then, when
    `workspace_permission` is set, the caller's role on it must grant that (403)."""

    workspace: Workspace
    workspace_permission: str | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first: anonymous callers learn nothing
        self.workspace = get_for_actor(
            Workspace.objects.select_related("organization"),
            request.user,
            view_permission="workspace.view",
            pk=kwargs["workspace_pk"],
        )
        if self.workspace_permission:
            self.require(self.workspace_permission, self.workspace)


@extend_schema(tags=["workspaces"])
@extend_schema_view(
    list=extend_schema(
        summary="List the workspaces you can see",
        parameters=[
            OpenApiParameter("organization", str, description="Only the workspaces of the organisation with this slug.")
        ],
    ),
    retrieve=extend_schema(summary="Get a workspace"),
)
class WorkspaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    queryset = Workspace.objects.none()
    serializer_class = WorkspaceSerializer
    search_fields = ["name", "description"]

    def get_queryset(self):
        workspaces = Workspace.objects.for_actor(self.request.user, "workspace.view").select_related("organization")
        if self.action == "list" and (slug := params.organization_slug(self.request)):
            workspaces = workspaces.filter(organization__slug=slug)
        return workspaces

    @extend_schema(
        summary="Create a workspace (organisation owners)",
        request=WorkspaceCreateSerializer,
        responses={201: WorkspaceSerializer, 404: not_found("The organisation")},
    )
    def create(self, request):
        data = self.validated(WorkspaceCreateSerializer)
        organization = get_for_actor(
            Organization.objects, request.user, view_permission="organization.view", slug=data["organization"]
        )
        self.require("workspace.create", organization)
        workspace = services.workspace_create(
            actor=request.user, organization=organization, name=data["name"], description=data["description"]
        )
        return self.present(workspace, status.HTTP_201_CREATED)

    @extend_schema(summary="Rename or describe a workspace (workspace owners)", request=WorkspaceUpdateSerializer)
    def partial_update(self, request, pk=None):
        workspace = self.get_object()
        self.require("workspace.update", workspace)
        data = self.validated(WorkspaceUpdateSerializer)
        services.workspace_update(
            actor=request.user,
            workspace=workspace,
            name=data.get("name", workspace.name),
            description=data.get("description", workspace.description),
        )
        return self.present(workspace)

    @extend_schema(
        summary="Delete a workspace (workspace owners)",
        description="Type the workspace's name again as `confirm_name`: in the query string, or in a JSON body.",
        parameters=[OpenApiParameter("confirm_name", str, required=True, description="The workspace's name, exactly.")],
    )
    def destroy(self, request, pk=None):
        workspace = self.get_object()
        self.require("workspace.delete", workspace)
        confirm_name = request.query_params.get("confirm_name")
        if confirm_name is None and hasattr(request.data, "get"):
            confirm_name = request.data.get("confirm_name")
        services.workspace_delete(actor=request.user, workspace=workspace, confirm_name=str(confirm_name or ""))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["workspaces"], parameters=[WORKSPACE_ID])
@extend_schema_view(list=extend_schema(summary="List a workspace's role bindings (users and teams)"))
class BindingViewSet(mixins.ListModelMixin, WorkspaceChildViewSet):
    queryset = WorkspaceRoleBinding.objects.none()
    serializer_class = BindingSerializer
    search_fields = ["user__email", "user__full_name", "team__name"]

    def get_queryset(self):
        return WorkspaceRoleBinding.objects.filter(workspace=self.workspace).select_related(
            "user", "team", "workspace__organization"
        )

    @extend_schema(
        summary="Give a user or a team a role on the workspace (workspace owners)",
        request=BindingCreateSerializer,
        responses={201: BindingSerializer},
    )
    def create(self, request, workspace_pk=None):
        workspace = self.workspace
        self.require("workspace.manage_members", workspace)
        data = self.validated(BindingCreateSerializer)
        organization = workspace.organization
        # Ids are looked up inside the workspace's organisation only, so they say nothing about other tenants.
        if "user" in data:
            user = account_selectors.organization_users(organization=organization).filter(pk=data["user"]).first()
            if user is None:
                raise ValidationError({"user": f"No member of {organization} has the id {data['user']}."})
            binding = services.workspace_member_add(
                actor=request.user, workspace=workspace, user=user, role=data["role"]
            )
        else:
            team = Team.objects.filter(organization=organization, pk=data["team"])  # owners may bind any of its teams
            if not team.exists():
                raise ValidationError({"team": f"{organization} has no team with the id {data['team']}."})
            binding = services.workspace_team_add(
                actor=request.user, workspace=workspace, team=team.get(), role=data["role"]
            )
        return self.present(binding, status.HTTP_201_CREATED)

    @extend_schema(summary="Change a binding's role (workspace owners)", request=BindingRoleSerializer)
    def partial_update(self, request, workspace_pk=None, pk=None):
        binding = self.get_object()
        self.require("workspace.manage_members", self.workspace)
        data = self.validated(BindingRoleSerializer)
        services.workspace_binding_change_role(actor=request.user, binding=binding, role=data["role"])
        return self.present(binding)

    @extend_schema(summary="Remove a binding (workspace owners)")
    def destroy(self, request, workspace_pk=None, pk=None):
        binding = self.get_object()
        self.require("workspace.manage_members", self.workspace)
        services.workspace_binding_remove(actor=request.user, binding=binding)
        return Response(status=status.HTTP_204_NO_CONTENT)
