"""API tokens in the API: list, create, rotate and delete, with the same rules as the pages (`tokens.services`).

A token is visible only to whoever may manage it (404 otherwise). The plaintext is in the answer to a create or
a rotate, and never again.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import DESCRIPTION_MAX_LENGTH, UserSummarySerializer
from accounts.api.viewsets import TenantViewSet
from accounts.models import ApiToken, Organization
from accounts.tenancy import get_for_actor
from accounts.tokens import services as tokens
from aerodrome.api import params
from aerodrome.api.fields import NameField
from aerodrome.api.schema import not_found


def _target_model(scope_field: str):
    """The model a token's `workspace` or `deployment` points at, read from the token's own foreign key: those
    models belong to apps above accounts, which this module does not import."""
    return ApiToken._meta.get_field(scope_field).related_model


class ApiTokenSerializer(serializers.ModelSerializer):
    organization = serializers.SlugField(source="organization.slug", read_only=True)
    workspace = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    deployment = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices, read_only=True)
    role = serializers.CharField(
        read_only=True, help_text="An organisation role for organisation tokens, else a workspace role."
    )
    created_by = UserSummarySerializer(read_only=True, allow_null=True)
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "description",
            "prefix",
            "scope",
            "organization",
            "workspace",
            "deployment",
            "role",
            "expires_at",
            "is_expired",
            "last_used_at",
            "last_used_ip",
            "created_by",
            "created_at",
            "rotated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"prefix": {"help_text": "The start of the token (`aero_…`), which identifies it."}}


class ApiTokenSecretSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The token itself: shown in this answer only, never again. Store it now."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    """Names exactly one scope: an organisation (slug), a workspace (id) or a Deployment (id)."""

    organization = serializers.SlugField(required=False, help_text="For an organisation token: its slug.")
    workspace = serializers.IntegerField(required=False, help_text="For a workspace token: the workspace's id.")
    deployment = serializers.IntegerField(required=False, help_text="For a Deployment token: the Deployment's id.")
    name = NameField()
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_LENGTH)
    role = serializers.CharField(
        allow_blank=True,
        help_text="For organisation tokens an organisation role (MEMBER, OWNER), else a workspace role (MEMBER, "
        "AUTHOR, OPERATOR, OWNER). At most yours there.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Null: never.")

    def validate(self, attrs):
        scopes = [key for key in ("organization", "workspace", "deployment") if key in attrs]
        if len(scopes) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of `organization`, `workspace` or `deployment`."]}
            )
        return attrs


@extend_schema(tags=["tokens"])
@extend_schema_view(
    list=extend_schema(
        summary="List the API tokens you manage",
        parameters=[
            OpenApiParameter("organization", str, description="Only the tokens of the organisation with this slug."),
            OpenApiParameter("workspace", int, description="Only the tokens of this workspace (and its Deployments)."),
            OpenApiParameter("deployment", int, description="Only the tokens of this Deployment."),
        ],
    ),
    retrieve=extend_schema(summary="Get an API token (never its secret)"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    queryset = ApiToken.objects.none()
    serializer_class = ApiTokenSerializer
    search_fields = ["name", "description", "prefix"]

    def get_queryset(self):
        found = tokens.tokens_for(actor=self.request.user)
        if self.action != "list":
            return found
        if slug := params.organization_slug(self.request):
            found = found.filter(organization__slug=slug)
        for key in ("workspace", "deployment"):
            if (pk := params.object_id(self.request, key)) is not None:
                found = found.filter(**{f"{key}_id": pk})
        return found

    def _secret_answer(self, token, plaintext, status_code):
        token = self.get_queryset().get(pk=token.pk)
        token.token = plaintext
        response = Response(ApiTokenSecretSerializer(token).data, status=status_code)
        response["Cache-Control"] = "no-store"  # it holds the secret, shown once
        return response

    @extend_schema(
        summary="Create an API token (owners of its scope)",
        description="Organisation tokens: organisation owners. Workspace and Deployment tokens: workspace owners. "
        "The role may not exceed yours there. The answer holds the token itself, once.",
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenSecretSerializer, 404: not_found("The organisation, workspace or Deployment")},
    )
    def create(self, request):
        data = self.validated(ApiTokenCreateSerializer)
        user = request.user
        target = {}
        if "organization" in data:
            target["organization"] = get_for_actor(
                Organization.objects, user, view_permission="organization.view", slug=data.pop("organization")
            )
        elif "workspace" in data:
            target["workspace"] = get_for_actor(
                _target_model("workspace").objects.select_related("organization"),
                user,
                view_permission="workspace.view",
                pk=data.pop("workspace"),
            )
        else:
            target["deployment"] = get_for_actor(
                _target_model("deployment").objects.live().select_related("workspace__organization"),
                user,
                view_permission="deployment.view",
                pk=data.pop("deployment"),
            )
        token, plaintext = tokens.token_create(actor=user, **target, **data)
        return self._secret_answer(token, plaintext, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rotate an API token (owners of its scope)",
        description="Gives it a new secret (and prefix); the old one stops working at once. The answer holds the "
        "new token, once.",
        request=None,
        responses={200: ApiTokenSecretSerializer},
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        token = self.get_object()
        plaintext = tokens.token_rotate(actor=request.user, token=token)
        return self._secret_answer(token, plaintext, status.HTTP_200_OK)

    @extend_schema(summary="Delete an API token (owners of its scope)", description="It stops working at once.")
    def destroy(self, request, pk=None):
        token = self.get_object()
        tokens.token_delete(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
