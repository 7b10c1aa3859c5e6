"""GET /api/v1/deployments/{id}/metrics/?window=6h: the Metrics tab's series, from the same fixed catalogue (no
PromQL is accepted). Anyone who may see the Deployment may read them (MEMBER and up, Deployment-scoped tokens);
another organisation's Deployment is a 404; a Prometheus that fails to answer a 503 in the error format."""

from datetime import UTC, datetime

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from aerodrome.api import params
from aerodrome.api.errors import ErrorSerializer
from deployments.api.views import DEPLOYMENT_ID, DeploymentChildViewSet
from monitoring.metrics import catalogue, selectors

RETRY_SECONDS = 30


class PrometheusUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "prometheus_unavailable"
    default_detail = "The cluster's Prometheus cannot be reached right now."
    wait = RETRY_SECONDS  # DRF's handler turns it into Retry-After


class SeriesSerializer(serializers.Serializer):
    name = serializers.CharField(
        help_text="What the line shows: a state, a queue, a pod, or `used`/`requested`/`limit`."
    )
    role = serializers.ChoiceField(
        choices=["value", "request", "limit"],
        help_text="`value`: a measurement; `request` and `limit`: the reference it is measured against (a queue's "
        "capacity is a `limit`).",
    )
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[Unix time in seconds, value] pairs, oldest first, one per step (missing where there was no data).",
    )


class PanelSerializer(serializers.Serializer):
    component = serializers.CharField(
        allow_null=True, help_text="The component (container name) of a per-component chart; null otherwise."
    )
    series = SeriesSerializer(many=True)


class ChartSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=list(catalogue.CHART_KEYS))
    title = serializers.CharField()
    unit = serializers.CharField(help_text="`per hour`, `per minute`, `tasks`, `slots`, `cores`, `bytes`, `restarts`.")
    description = serializers.CharField()
    panels = PanelSerializer(many=True)


class MarkerSerializer(serializers.Serializer):
    time = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=list(catalogue.MARKER_KINDS))
    label = serializers.CharField(help_text="The event's reason and message.")


class MetricsSerializer(serializers.Serializer):
    window = serializers.ChoiceField(choices=list(catalogue.WINDOWS))
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    step_seconds = serializers.IntegerField(help_text="Seconds between points (the window over about 240 points).")
    available = serializers.BooleanField(help_text="False when the Deployment's cluster has no Prometheus.")
    message = serializers.CharField(allow_null=True, help_text="Why there are no charts, when `available` is false.")
    charts = ChartSerializer(many=True)
    markers = MarkerSerializer(many=True, help_text="The Deployment's events in the window: deploys, scaling, status.")


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def present(metrics: selectors.DeploymentMetrics) -> dict:
    return {
        "window": metrics.window,
        "start": _time(metrics.start),
        "end": _time(metrics.end),
        "step_seconds": metrics.step,
        "available": metrics.configured,
        "message": None if metrics.configured else metrics.error,
        "charts": [
            {
                "key": chart.key,
                "title": chart.title,
                "unit": chart.unit,
                "description": chart.description,
                "panels": [{"component": panel.title or None, "series": panel.series} for panel in chart.panels],
            }
            for chart in metrics.charts
        ],
        "markers": [{"time": _time(m.time), "kind": m.kind, "label": m.label} for m in metrics.markers],
    }


@extend_schema(tags=["deployments"])
class DeploymentMetricsViewSet(mixins.ListModelMixin, DeploymentChildViewSet):
    serializer_class = MetricsSerializer
    pagination_class = None
    list_answers_one = True  # the schema documents one object, not an array (aerodrome/api/schema.py)

    @extend_schema(
        summary="Read a Deployment's metrics",
        description="The Metrics tab's charts over a window, from the cluster's Prometheus: DAG runs and task "
        "instances by state, scheduler heartbeat, running and queued tasks, queued tasks per worker queue against "
        "capacity, pool slots, CPU and memory per component against requests and limits, pod restarts. The "
        "queries are Aerodrome's own, scoped to the Deployment's namespace. Answers are cached briefly "
        "(METRICS_CACHE_SECONDS). A cluster without Prometheus answers 200 with `available` false.",
        parameters=[
            DEPLOYMENT_ID,
            OpenApiParameter("window", str, enum=list(catalogue.WINDOWS), description="How far back: default `6h`."),
        ],
        responses={
            200: MetricsSerializer,
            503: OpenApiResponse(
                ErrorSerializer, description="The cluster's Prometheus did not answer (in time); see Retry-After."
            ),
        },
    )
    def list(self, request, deployment_pk=None):
        window = params.choice(request, "window", list(catalogue.WINDOWS)) or catalogue.DEFAULT_WINDOW
        metrics = selectors.deployment_metrics(deployment=self.deployment, window=window)
        if metrics.error and metrics.configured:
            raise PrometheusUnavailable(metrics.error)
        return Response(MetricsSerializer(present(metrics)).data)
