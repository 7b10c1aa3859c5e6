"""API for clusters, Deployments, their worker queues and environment variables.

Every queryset starts from `for_actor(request.user, ...)` (Deployments also `.live()`), nested routes resolve
their Deployment the same way first, so anything outside the caller's organisations is a 404. A mutation then
checks the caller's role (403) and is one call to `deployments.services`, which validates, audits and asks for a
reconcile once the transaction commits.
"""

from django.core.exceptions import ValidationError
from django.db.models import F
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.api.viewsets import TenantViewSet
from accounts.models import Organization
from accounts.tenancy import get_for_actor
from aerodrome.api import params
from aerodrome.api.errors import ErrorSerializer
from aerodrome.api.pagination import CursorPagination
from aerodrome.api.schema import not_found
from aerodrome.validation import ErrorCollector
from deployments import airflow_login, cluster_services, selectors, services
from deployments.api.serializers import (
    ClusterCreateSerializer,
    ClusterReplaceSerializer,
    ClusterSerializer,
    ClusterUpdateSerializer,
    ConnectionCheckSerializer,
    DeploymentCreateSerializer,
    DeploymentEventSerializer,
    DeploymentSerializer,
    DeploymentUpdateSerializer,
    VariableCreateSerializer,
    VariableSerializer,
    VariableUpdateSerializer,
    WorkerQueueCreateSerializer,
    WorkerQueueSerializer,
    WorkerQueueUpdateSerializer,
)
from deployments.kube import render
from deployments.models import Cluster, Deployment, DeploymentEvent, EnvironmentVariable, WorkerQueue
from deployments.validation import SCALING_FIELDS
from workspaces.models import Workspace

DEPLOYMENT_ID = OpenApiParameter("deployment_pk", int, OpenApiParameter.PATH, description="The Deployment's id.")
GENERATION_HEADER = "X-Aerodrome-Generation"
MANIFESTS_DESCRIPTION = "The objects: a multi-document YAML stream, or a JSON list."

# ------------------------------------------------------------------------------------------------- clusters


@extend_schema(tags=["clusters"])
@extend_schema_view(
    list=extend_schema(
        summary="List the clusters you can use",
        description="Your organisations' own clusters and the platform's clusters (`organization` null).",
        parameters=[
            OpenApiParameter("organization", str, description="Only the clusters of the organisation with this slug.")
        ],
    ),
    retrieve=extend_schema(summary="Get a cluster"),
)
class ClusterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    queryset = Cluster.objects.none()
    serializer_class = ClusterSerializer
    search_fields = ["name", "ingress_base_domain"]

    def get_queryset(self):
        clusters = Cluster.objects.for_actor(self.request.user, "cluster.view").select_related("organization")
        if self.action == "list" and (slug := params.organization_slug(self.request)):
            clusters = clusters.filter(organization__slug=slug)
        return clusters

    @extend_schema(
        summary="Add a cluster to an organisation (organisation owners)",
        description="Platform clusters are added by platform staff in the admin site.",
        request=ClusterCreateSerializer,
        responses={201: ClusterSerializer, 404: not_found("The organisation")},
    )
    def create(self, request):
        data = self.validated(ClusterCreateSerializer)
        organization = get_for_actor(
            Organization.objects, request.user, view_permission="organization.view", slug=data.pop("organization")
        )
        self.require("cluster.manage", organization)
        cluster = cluster_services.cluster_create(actor=request.user, organization=organization, **data)
        return self.present(cluster, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a cluster's settings (organisation owners)",
        description="The kubeconfig and database admin URL are write-only: left out or blank keeps the stored ones.",
        request=ClusterReplaceSerializer,
    )
    def update(self, request, pk=None):
        return self._update(ClusterReplaceSerializer)

    @extend_schema(
        summary="Change some of a cluster's settings (organisation owners)",
        description="Deployments on the cluster are reconciled again to pick up the change.",
        request=ClusterUpdateSerializer,
    )
    def partial_update(self, request, pk=None):
        return self._update(ClusterUpdateSerializer)

    def _update(self, serializer_class):
        cluster = self.get_object()
        # A platform cluster has no organisation, so nobody but platform staff holds `cluster.manage` on it.
        self.require("cluster.manage", cluster)
        data = self.validated(serializer_class)
        cluster_services.cluster_update(actor=self.request.user, cluster=cluster, **data)
        return self.present(cluster)

    @extend_schema(
        summary="Remove a cluster (organisation owners)",
        description="Refused while live Deployments run on it.",
    )
    def destroy(self, request, pk=None):
        cluster = self.get_object()
        self.require("cluster.manage", cluster)
        cluster_services.cluster_delete(actor=request.user, cluster=cluster)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Check that Aerodrome can reach the cluster (organisation owners)",
        description="Calls the API server's `/version` with the stored credentials and records the outcome on the "
        "cluster (`last_check_*`). An unreachable cluster is still a 200, with `ok` false and the reason.",
        request=None,
        responses={200: ConnectionCheckSerializer},
    )
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request, pk=None):
        cluster = self.get_object()
        self.require("cluster.manage", cluster)
        cluster = cluster_services.cluster_test_connection(actor=request.user, cluster=cluster)
        outcome = {
            "ok": cluster.last_check_ok,
            "message": cluster.last_check_message,
            "checked_at": cluster.last_checked_at,
        }
        return Response(ConnectionCheckSerializer(outcome).data)


# ------------------------------------------------------------------------------------------------- deployments


class ManifestYAMLRenderer(BaseRenderer):
    """A list of Kubernetes objects as one multi-document YAML stream (what `kubectl apply -f` takes)."""

    media_type = "text/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return render.to_yaml(data)


def _confirm_name(request) -> str:
    """The name typed to confirm a deletion: `?confirm=` (or `?confirm_name=`) or `confirm_name` in the body."""
    value = request.query_params.get("confirm", request.query_params.get("confirm_name"))
    if value is None and hasattr(request.data, "get"):
        value = request.data.get("confirm_name", request.data.get("confirm"))
    return str(value or "")


@extend_schema(tags=["deployments"])
@extend_schema_view(
    list=extend_schema(
        summary="List the Deployments you can see",
        parameters=[
            OpenApiParameter("workspace", int, description="Only the Deployments of the workspace with this id."),
            OpenApiParameter("status", str, enum=Deployment.Status.values, description="Only those in this status."),
        ],
    ),
    retrieve=extend_schema(summary="Get a Deployment"),
)
class DeploymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    queryset = Deployment.objects.none()
    serializer_class = DeploymentSerializer
    search_fields = ["name", "release_name", "description"]

    def get_queryset(self):
        deployments = Deployment.objects.for_actor(self.request.user, "deployment.view").live()
        if self.action == "list":  # the organisation's slug alone, not its workspace and organisation on every row
            organization_slug = F("workspace__organization__slug")
            listed = selectors.for_listing(self._filtered(deployments)).prefetch_related(selectors.LISTED_QUEUES)
            return listed.annotate(organization_slug=organization_slug)
        return deployments.select_related("workspace__organization", "cluster").prefetch_related("queues")

    def _filtered(self, deployments):
        if (workspace_id := params.object_id(self.request, "workspace")) is not None:
            deployments = deployments.filter(workspace_id=workspace_id)
        if status_param := self.request.query_params.get("status"):
            wanted = status_param.upper()
            if wanted not in Deployment.Status.values:
                choices = ", ".join(Deployment.Status.values)
                raise ValidationError({"status": f"{status_param!r} is not a status; choose one of: {choices}."})
            deployments = deployments.filter(status=wanted)
        return deployments

    @extend_schema(
        summary="Create a Deployment (workspace operators)",
        description="Saved at once with status CREATING; provisioning then renders (and, on a cluster, applies) it. "
        "Everything a Deployment holds can be given at once: scaling, executor settings, worker queues and "
        "environment variables. Every invalid field is reported together, nested ones by their path "
        "(`queues[1].max_workers`).",
        request=DeploymentCreateSerializer,
        responses={201: DeploymentSerializer, 404: not_found("The workspace")},
    )
    def create(self, request):
        data = self.validated(DeploymentCreateSerializer)
        workspace = get_for_actor(
            Workspace.objects.select_related("organization"),
            request.user,
            view_permission="workspace.view",
            pk=data.pop("workspace"),
        )
        self.require("deployment.create", workspace)
        scaling = {field: data.pop(field) for field in SCALING_FIELDS if field in data}
        deployment = services.deployment_create(actor=request.user, workspace=workspace, scaling=scaling, **data)
        return self.present(deployment, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a Deployment (workspace operators)",
        description="Only the fields sent change. Each change bumps `generation`; provisioning converges to it.",
        request=DeploymentUpdateSerializer,
    )
    def partial_update(self, request, pk=None):
        deployment = self.get_object()
        self.require("deployment.update", deployment)
        data = self.validated(DeploymentUpdateSerializer)
        services.deployment_update(actor=request.user, deployment=deployment, **data)
        return self.present(deployment)

    @extend_schema(
        summary="Delete a Deployment (workspace operators)",
        description="Type the Deployment's name again: `?confirm=<name>` in the URL, or `confirm_name` in a JSON "
        "body. The answer is 202: the Deployment is now DELETING while provisioning removes its Kubernetes objects "
        "and metadata database, and it no longer appears in the API.",
        parameters=[OpenApiParameter("confirm", str, description="The Deployment's name, exactly.")],
        responses={202: DeploymentSerializer},
    )
    def destroy(self, request, pk=None):
        deployment = self.get_object()
        self.require("deployment.delete", deployment)
        deployment = services.deployment_delete(
            actor=request.user, deployment=deployment, confirm_name=_confirm_name(request)
        )
        # No longer in the (live) queryset: shown as the service left it.
        return Response(self.get_serializer(deployment).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Reconcile a Deployment now (workspace operators)",
        description="Asks provisioning to converge the cluster to the desired state again, without changing it.",
        request=None,
        responses={202: DeploymentSerializer},
    )
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        deployment = self.get_object()
        self.require("deployment.reconcile", deployment)
        services.deployment_request_reconcile(actor=request.user, deployment=deployment)
        return self.present(deployment, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="The Kubernetes objects of the current desired state, secrets redacted",
        description="Rendered now from the Deployment's current desired state (the generation in the "
        f"`{GENERATION_HEADER}` header), so it may be ahead of what is applied on the cluster: compare "
        "`observed_generation`. Every Secret value reads `<redacted>`. YAML by default (one document per object, "
        "ready for GitOps); `?format=json` (or `Accept: application/json`) gives a JSON list of the objects.",
        parameters=[
            OpenApiParameter("format", str, enum=["yaml", "json"], description="`yaml` (the default) or `json`.")
        ],
        responses={
            (200, "text/yaml"): OpenApiResponse(OpenApiTypes.STR, description=MANIFESTS_DESCRIPTION),
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                description=MANIFESTS_DESCRIPTION,
            ),
            # Errors are JSON in the API's one format even here (see `finalize_response`).
            (403, "application/json"): OpenApiResponse(ErrorSerializer, description="Your role does not allow this."),
            (404, "application/json"): OpenApiResponse(
                ErrorSerializer, description="Not found, or outside your organisations."
            ),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[ManifestYAMLRenderer, JSONRenderer])
    def manifests(self, request, pk=None):
        deployment = self.get_object()
        spec = selectors.deployment_spec(deployment, queues=deployment.queues.all())
        response = Response(render.redact(render.render(spec)))
        response[GENERATION_HEADER] = str(deployment.generation)
        return response

    @extend_schema(
        summary="A short-lived token to exchange for an Airflow API token",
        description="For CI: with an API token that can see the Deployment (a Deployment token, say), get a token "
        "of the Deployment's Airflow login client carrying your token's own role (MEMBER → Viewer, AUTHOR → User, "
        "OPERATOR → Op, OWNER → Admin). Post it within `expires_in` seconds to the Deployment's Airflow: "
        '`POST <airflow>/auth/token` with `{"username": "aerodrome-token", "password": <access_token>}`; '
        "Airflow checks it with Aerodrome and answers with its own JWT (`access_token`) for its REST API.",
        request=None,
        responses={
            200: inline_serializer(
                "AirflowTokenExchange",
                {
                    "access_token": serializers.CharField(),
                    "expires_in": serializers.IntegerField(),
                    "airflow_role": serializers.CharField(),
                    "username": serializers.CharField(),
                },
            )
        },
    )
    @action(detail=True, methods=["post"], url_path="airflow-token")
    def airflow_token(self, request, pk=None):
        deployment = self.get_object()
        self.require("deployment.view", deployment)
        return Response(airflow_login.machine_token_issue(actor=request.user, deployment=deployment))

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors keep the API's one (JSON) format, whatever representation the caller asked for.
        # (Also when content negotiation itself failed, say `?format=xml`, and no renderer was chosen yet.)
        if getattr(response, "exception", False) and not isinstance(
            getattr(request, "accepted_renderer", None), JSONRenderer
        ):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


# ------------------------------------------------------------------------------------- under one Deployment


class DeploymentChildViewSet(TenantViewSet):
    """A resource nested under /deployments/{deployment_pk}/: the (live) Deployment is resolved first."""

    deployment: Deployment

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first: anonymous callers learn nothing
        self.deployment = get_for_actor(
            Deployment.objects.live().select_related("workspace__organization", "cluster"),
            request.user,
            view_permission="deployment.view",
            pk=kwargs["deployment_pk"],
        )


class QueuePagination(CursorPagination):
    ordering = "name"


class VariablePagination(CursorPagination):
    ordering = "key"


@extend_schema(tags=["deployments"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(
    list=extend_schema(summary="List a Deployment's worker queues"),
    retrieve=extend_schema(summary="Get a worker queue"),
)
class WorkerQueueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeploymentChildViewSet):
    queryset = WorkerQueue.objects.none()
    serializer_class = WorkerQueueSerializer
    pagination_class = QueuePagination
    search_fields = ["name"]
    lookup_field = "name"
    lookup_value_regex = r"[a-z0-9-]+"  # what a queue name may hold (validation.QUEUE_NAME)

    def get_queryset(self):
        return WorkerQueue.objects.filter(deployment=self.deployment).select_related(
            "deployment__workspace__organization"
        )

    @extend_schema(
        summary="Add a worker queue (workspace operators)",
        description="Celery executor only.",
        request=WorkerQueueCreateSerializer,
        responses={201: WorkerQueueSerializer},
    )
    def create(self, request, deployment_pk=None):
        self.require("deployment.update", self.deployment)
        data = self.validated(WorkerQueueCreateSerializer)
        queue = services.queue_create(actor=request.user, deployment=self.deployment, **data)
        return self.present(queue, status.HTTP_201_CREATED)

    @extend_schema(summary="Scale a worker queue (workspace operators)", request=WorkerQueueUpdateSerializer)
    def partial_update(self, request, deployment_pk=None, name=None):
        queue = self.get_object()
        self.require("deployment.update", self.deployment)
        data = self.validated(WorkerQueueUpdateSerializer)
        services.queue_update(actor=request.user, queue=queue, **data)
        return self.present(queue)

    @extend_schema(summary="Remove a worker queue (workspace operators)", description="The `default` queue stays.")
    def destroy(self, request, deployment_pk=None, name=None):
        queue = self.get_object()
        self.require("deployment.update", self.deployment)
        services.queue_delete(actor=request.user, queue=queue)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["deployments"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(
    list=extend_schema(
        summary="List a Deployment's environment variables",
        description="A secret's `value` is null: secrets are write-only.",
    ),
    retrieve=extend_schema(summary="Get an environment variable"),
)
class VariableViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeploymentChildViewSet):
    queryset = EnvironmentVariable.objects.none()
    serializer_class = VariableSerializer
    pagination_class = VariablePagination
    search_fields = ["key"]
    lookup_field = "key"
    lookup_value_regex = r"[A-Za-z0-9_]+"  # what a variable name may hold (validation.ENV_KEY)

    def get_queryset(self):
        return EnvironmentVariable.objects.filter(deployment=self.deployment).select_related(
            "deployment__workspace__organization"
        )

    @extend_schema(
        summary="Add an environment variable (workspace operators)",
        request=VariableCreateSerializer,
        responses={201: VariableSerializer},
    )
    def create(self, request, deployment_pk=None):
        self.require("deployment.manage_variables", self.deployment)
        data = self.validated(VariableCreateSerializer)
        try:
            variable = services.variable_set(
                actor=request.user,
                deployment=self.deployment,
                key=data["key"],
                value=data["value"],
                is_secret=data["is_secret"],
                only_new=True,
            )
        except services.VariableExists as error:
            raise ValidationError(
                {"key": f"There is already a variable named {error.key}; change it with PATCH."}
            ) from None
        return self.present(variable, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an environment variable (workspace operators)",
        description="Leaving out `value` keeps the stored one, so a secret can be kept while other fields change.",
        request=VariableUpdateSerializer,
    )
    def partial_update(self, request, deployment_pk=None, key=None):
        variable = self.get_object()
        self.require("deployment.manage_variables", self.deployment)
        data = self.validated(VariableUpdateSerializer)
        services.variable_set(
            actor=request.user,
            deployment=self.deployment,
            key=variable.key,
            value=data.get("value"),
            is_secret=data.get("is_secret"),
        )
        return self.present(variable)

    @extend_schema(summary="Remove an environment variable (workspace operators)")
    def destroy(self, request, deployment_pk=None, key=None):
        variable = self.get_object()
        self.require("deployment.manage_variables", self.deployment)
        services.variable_delete(actor=request.user, variable=variable)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["deployments"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(
    list=extend_schema(
        summary="List a Deployment's events",
        description="What happened to it, newest first, as its Events tab shows: changes, provisioning steps, "
        "failures. A repeated event (a retry chain's) is one entry with its `count`.",
        parameters=[
            OpenApiParameter("level", str, enum=DeploymentEvent.Level.values, description="Only events of this level."),
            OpenApiParameter("reason", str, description="Only events with this reason, e.g. `Failed`."),
            OpenApiParameter("since", str, description=f"From this moment. {params.MOMENT_FORMAT}"),
            OpenApiParameter("until", str, description=f"Up to this moment. {params.MOMENT_FORMAT}"),
        ],
    )
)
class DeploymentEventViewSet(mixins.ListModelMixin, DeploymentChildViewSet):
    queryset = DeploymentEvent.objects.none()
    serializer_class = DeploymentEventSerializer
    search_fields = ["reason", "message"]

    def get_queryset(self):
        errors = ErrorCollector()
        filters = {
            "level": errors.check(params.choice, self.request, "level", DeploymentEvent.Level.values),
            "reason": errors.check(params.text, self.request, "reason", 64),
            "since": errors.check(params.moment, self.request, "since"),
            "until": errors.check(params.moment, self.request, "until"),
        }
        errors.raise_if_any()
        return selectors.deployment_events(self.deployment, **filters)
