"""GET /api/v1/deployments/{id}/logs/: the same merged, filtered, bounded lines as the Logs tab, with a cursor for
the next poll. Anyone who may see the Deployment may read them (MEMBER and up, Deployment-scoped tokens); another
organisation's Deployment is a 404; an unreachable cluster a 503 in the error format."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from aerodrome.api.errors import ErrorSerializer
from deployments.api.views import DEPLOYMENT_ID, DeploymentChildViewSet
from monitoring.api.serializers import LogPageSerializer
from monitoring.logs import selectors
from monitoring.logs.parsing import LEVELS
from monitoring.logs.query import parse_query

RETRY_SECONDS = 10


class ClusterUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "cluster_unavailable"
    default_detail = "The Deployment's cluster cannot be reached right now."
    wait = RETRY_SECONDS  # DRF's handler turns it into Retry-After


PARAMETERS = [
    DEPLOYMENT_ID,
    OpenApiParameter(
        "components",
        str,
        description="Comma-separated components (repeatable): `scheduler`, `api-server` (`webserver` on Airflow 2), "
        "`triggerer`, `dag-processor`, `worker-<queue>`, `pgbouncer`, `redis`, `statsd`, `flower`. Default: the "
        "Airflow containers.",
    ),
    OpenApiParameter("level", str, enum=list(LEVELS[:4]), description="Only lines of this level and up."),
    OpenApiParameter("search", str, description="Only lines whose message or source contains this, in any case."),
    OpenApiParameter(
        "since",
        str,
        description="The window: `15m`, `1h` (the default), `6h`, `24h`, `started` (since the pods started), or an "
        "ISO 8601 date and time.",
    ),
    OpenApiParameter("until", str, description="Only lines written up to this ISO 8601 date and time."),
    OpenApiParameter("cursor", str, description="The `cursor` of a previous answer: only lines newer than it."),
    OpenApiParameter(
        "previous",
        bool,
        description="The previous instance's log of containers that restarted (after a crash); the window does "
        "not apply to it.",
    ),
]


@extend_schema(tags=["deployments"])
class DeploymentLogViewSet(mixins.ListModelMixin, DeploymentChildViewSet):
    serializer_class = LogPageSerializer
    pagination_class = None
    list_answers_one = True  # the schema documents one page, not an array (aerodrome/api/schema.py)

    @extend_schema(
        operation_id="deployments_logs_read",
        summary="Read a Deployment's component logs",
        description="Lines from every pod of the chosen components, merged by time, each with its pod and "
        "container, parsed for level and source, filtered (all filters combine), the newest first cut to a page "
        "(LOGS_PAGE_LINES) and returned oldest first. Reads are bounded (pods per request, bytes and lines per "
        "container); `notices` says when a bound cut the result. Poll with the returned `cursor` for newer lines.",
        parameters=PARAMETERS,
        responses={
            200: LogPageSerializer,
            503: OpenApiResponse(
                ErrorSerializer,
                description="The Deployment's cluster (or Aerodrome's database) cannot be reached; see Retry-After.",
            ),
        },
    )
    def list(self, request, deployment_pk=None):
        deployment = self.deployment
        query = parse_query(request.query_params, selectors.components(deployment), deployment.pk)
        try:
            page = selectors.read_logs(deployment, query)
        except selectors.LogsUnavailable as error:
            raise ClusterUnavailable(error.reason) from None
        body = {
            "lines": [
                {
                    "time": line.time,
                    "component": line.component,
                    "pod": line.pod,
                    "container": line.container,
                    "level": line.level,
                    "source": line.source,
                    "message": line.message,
                }
                for line in page.lines
            ],
            "cursor": page.cursor.encode(deployment.pk),
            "notices": [notice.text for notice in page.notices],
        }
        return Response(body)
