"""The deploys API: `/api/v1/deployments/{id}/deploys/` (create with JSON for an image, multipart for a DAG
archive; list newest first; get), `.../{deploy_id}/diff/` and `.../{deploy_id}/rollback/`. The Deployment is
resolved for the caller first (another organisation's is a 404); creating and rolling back need AUTHOR (403)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from aerodrome.api.parsers import JSONParser
from deployments.api.views import DEPLOYMENT_ID, DeploymentChildViewSet
from deployments.deploys import selectors, services
from deployments.deploys.models import DagBundle, Deploy

DEPLOY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The deploy's id.")


class DagBundleSerializer(serializers.ModelSerializer):
    class Meta:
        model = DagBundle
        fields = ["sha256", "size", "file_count"]
        read_only_fields = fields
        extra_kwargs = {
            "sha256": {"help_text": "The archive's SHA-256: the bundle's version."},
            "size": {"help_text": "The archive's size in bytes."},
            "file_count": {"help_text": "How many files it holds."},
        }


class DeploySerializer(serializers.ModelSerializer):
    deployment = serializers.IntegerField(source="deployment_id", read_only=True)
    image = serializers.CharField(
        read_only=True, allow_null=True, help_text="The image as named when deploying; null for a DAG-only deploy."
    )
    image_digest = serializers.CharField(
        read_only=True, allow_null=True, help_text="The digest the image resolved to (pods run repository@digest)."
    )
    dag_bundle = DagBundleSerializer(read_only=True, allow_null=True)
    deployed_by = serializers.CharField(
        source="deployed_by_label", read_only=True, help_text="A person's email address or an API token's name."
    )
    deployed_by_kind = serializers.ChoiceField(choices=Deploy.ActorKind.choices, read_only=True)
    kind = serializers.ChoiceField(choices=Deploy.Kind.choices, read_only=True)
    status = serializers.ChoiceField(choices=Deploy.Status.choices, read_only=True)
    rolled_back_from = serializers.IntegerField(
        source="rolled_back_from_id", read_only=True, allow_null=True, help_text="The deploy this one restored."
    )

    class Meta:
        model = Deploy
        fields = [
            "id",
            "deployment",
            "kind",
            "image",
            "image_digest",
            "dag_bundle",
            "description",
            "deployed_by",
            "deployed_by_kind",
            "status",
            "status_reason",
            "rolled_back_from",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["image"] = instance.image or None
        data["image_digest"] = instance.image_digest or None
        if not instance.has_dags:
            data["dag_bundle"] = None
        return data


class DeployCreateSerializer(serializers.Serializer):
    image = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=512,
        help_text="`registry/repository:tag` or `registry/repository@sha256:...`; resolved to its digest first.",
    )
    dags = serializers.FileField(required=False, help_text="A .tar.gz of the DAGs folder (multipart/form-data only).")
    description = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class RollbackSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class FileChangeSerializer(serializers.Serializer):
    path = serializers.CharField()
    size = serializers.IntegerField()


class FileChangedSerializer(serializers.Serializer):
    path = serializers.CharField()
    size_before = serializers.IntegerField()
    size_after = serializers.IntegerField()


class ImageChangeSerializer(serializers.Serializer):
    from_ = serializers.CharField(allow_blank=True)
    to = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class FilesDiffSerializer(serializers.Serializer):
    added = FileChangeSerializer(many=True)
    removed = FileChangeSerializer(many=True)
    changed = FileChangedSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    image = ImageChangeSerializer(allow_null=True, help_text="The image it moved from and to; null when unchanged.")
    files = FilesDiffSerializer(help_text="DAG files added, removed and changed (by content), with their sizes.")


@extend_schema(tags=["deploys"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(
    list=extend_schema(summary="List a Deployment's deploys", description="Newest first."),
    retrieve=extend_schema(summary="Get a deploy", parameters=[DEPLOY_ID]),
)
class DeployViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeploymentChildViewSet):
    queryset = Deploy.objects.none()
    serializer_class = DeploySerializer
    parser_classes = [JSONParser, MultiPartParser]
    search_fields = ["description", "image", "deployed_by_label"]

    def get_queryset(self):
        return selectors.deployment_deploys(self.deployment)

    @extend_schema(
        summary="Deploy an image, a DAG archive, or both (workspace authors)",
        description='JSON `{"image": ...}` deploys an image, resolved to its digest through the registry before '
        "anything changes (an unknown repository or tag is a 400). multipart/form-data with `dags` (a .tar.gz) "
        "deploys DAGs, which the pods' DAG sync fetches without restarting; add `image` for both. A deploy waits "
        "behind the Deployment's running one; follow `status` to DEPLOYED or FAILED.",
        request={"application/json": DeployCreateSerializer, "multipart/form-data": DeployCreateSerializer},
        responses={201: DeploySerializer},
    )
    def create(self, request, deployment_pk=None):
        self.require("deployment.deploy", self.deployment)
        data = self.validated(DeployCreateSerializer)
        deploy = services.deploy_create(
            actor=request.user,
            deployment=self.deployment,
            image=data.get("image", ""),
            dags=data.get("dags"),
            description=data.get("description", ""),
        )
        return self.present(deploy, status.HTTP_201_CREATED)

    @extend_schema(
        summary="What a deploy changed against the one before it",
        parameters=[DEPLOY_ID],
        responses={200: DiffSerializer},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, deployment_pk=None, pk=None):
        deploy = self.get_object()
        return Response(DiffSerializer(selectors.diff(deploy)).data)

    @extend_schema(
        summary="Roll back to a deploy (workspace authors)",
        description="A new deploy restoring that deploy's image (by digest) and DAG bundle; it records what it "
        "rolled back from. Environment variables, resources and other settings stay as they are. Only a DEPLOYED "
        "deploy can be rolled back to (400 otherwise).",
        parameters=[DEPLOY_ID],
        request=RollbackSerializer,
        responses={201: DeploySerializer},
    )
    @action(detail=True, methods=["post"])
    def rollback(self, request, deployment_pk=None, pk=None):
        deploy = self.get_object()
        self.require("deployment.deploy", self.deployment)
        data = self.validated(RollbackSerializer)
        created = services.deploy_rollback(actor=request.user, deploy=deploy, description=data.get("description", ""))
        return self.present(created, status.HTTP_201_CREATED)
