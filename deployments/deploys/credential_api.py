"""/api/v1/workspaces/{workspace_pk}/registry-credentials/: the credentials a workspace's Deployments pull images
with (list, get, create, change, delete). The workspace is resolved for the caller first (404 outside their
organisations and scope), reading needs `registry_credential.view` (members), a change
`registry_credential.manage` (operators and owners, 403 below), and each change is one call to
`deploys.services`, which validates and audits. The password is write-only: never in an answer."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from aerodrome.api.pagination import CursorPagination
from deployments.api.serializers import StrictSerializer
from deployments.deploys import services
from deployments.deploys.models import RegistryCredential
from workspaces.api.views import WORKSPACE_ID, WorkspaceChildViewSet

PASSWORD_HELP = "The password or access token. Write-only: encrypted at rest and never returned."
REGISTRY_HELP = "The registry's host (and port) as images name it: ghcr.io, registry.example.com:5000, docker.io."


class RegistryCredentialSerializer(serializers.ModelSerializer):
    workspace = serializers.IntegerField(source="workspace_id", read_only=True)
    set_by = serializers.CharField(
        source="set_by_label", read_only=True, help_text="Who set them last: a person's email or an API token's name."
    )

    class Meta:
        model = RegistryCredential
        fields = ["id", "workspace", "registry", "username", "set_by", "updated_at"]
        read_only_fields = fields
        extra_kwargs = {
            "registry": {"help_text": REGISTRY_HELP},
            "updated_at": {"help_text": "When they were set last."},
        }


class RegistryCredentialCreateSerializer(StrictSerializer):
    registry = serializers.CharField(allow_blank=True, max_length=300, help_text=f"{REGISTRY_HELP} One set each.")
    username = serializers.CharField(allow_blank=True, max_length=300, trim_whitespace=False)
    password = serializers.CharField(
        allow_blank=True, max_length=5000, write_only=True, trim_whitespace=False, help_text=PASSWORD_HELP
    )


class RegistryCredentialUpdateSerializer(StrictSerializer):
    registry = serializers.CharField(
        required=False, help_text="Cannot change: add credentials for the other registry and delete these."
    )
    username = serializers.CharField(required=False, allow_blank=True, max_length=300, trim_whitespace=False)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        write_only=True,
        trim_whitespace=False,
        help_text=f"{PASSWORD_HELP} Left out (or blank) keeps the stored one.",
    )

    def validate_registry(self, value):
        credential = self.context["credential"]
        if value.strip().lower() != credential.registry:
            raise serializers.ValidationError(
                "The registry cannot change (the stored password would go to another host): add credentials for "
                "the other registry and delete these."
            )
        return value


class RegistryCredentialPagination(CursorPagination):
    ordering = "registry"


@extend_schema(tags=["registry credentials"], parameters=[WORKSPACE_ID])
@extend_schema_view(
    list=extend_schema(summary="List a workspace's registry credentials (never their passwords)"),
    retrieve=extend_schema(summary="Get registry credentials (never the password)"),
)
class RegistryCredentialViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceChildViewSet):
    search_fields = ["registry", "username"]
    queryset = RegistryCredential.objects.none()
    serializer_class = RegistryCredentialSerializer
    pagination_class = RegistryCredentialPagination
    workspace_permission = "registry_credential.view"

    def get_queryset(self):
        return (
            RegistryCredential.objects.for_actor(self.request.user, "registry_credential.view")
            .filter(workspace=self.workspace)
            .select_related("workspace__organization")
        )

    @extend_schema(
        summary="Add registry credentials (workspace operators and up)",
        description="Every Deployment of the workspace then pulls with them (an image pull secret), and image "
        "deploys resolve tags with them. One set per registry: a second is refused (change the first).",
        request=RegistryCredentialCreateSerializer,
        responses={201: RegistryCredentialSerializer},
    )
    def create(self, request, workspace_pk=None):
        self.require("registry_credential.manage", self.workspace)
        data = self.validated(RegistryCredentialCreateSerializer)
        credential = services.registry_credential_create(
            actor=request.user,
            workspace=self.workspace,
            registry_host=data["registry"],
            username=data["username"],
            password=data["password"],
        )
        return self.present(credential, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change registry credentials (workspace operators and up)",
        description="The username and/or the password; a password left out or blank keeps the stored one. The "
        "registry cannot change.",
        request=RegistryCredentialUpdateSerializer,
    )
    def partial_update(self, request, workspace_pk=None, pk=None):
        credential = self.get_object()
        self.require("registry_credential.manage", self.workspace)
        data = self.validated(RegistryCredentialUpdateSerializer, context={"credential": credential})
        credential = services.registry_credential_update(
            actor=request.user,
            credential=credential,
            username=data.get("username"),
            password=data.get("password"),
        )
        return self.present(credential)

    @extend_schema(
        summary="Delete registry credentials (workspace operators and up)",
        description="The Deployments render their pull secret without them; running pods keep running.",
    )
    def destroy(self, request, workspace_pk=None, pk=None):
        credential = self.get_object()
        self.require("registry_credential.manage", self.workspace)
        services.registry_credential_delete(actor=request.user, credential=credential)
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register(
    r"workspaces/(?P<workspace_pk>[0-9]+)/registry-credentials",
    RegistryCredentialViewSet,
    basename="api-registry-credential",
)
