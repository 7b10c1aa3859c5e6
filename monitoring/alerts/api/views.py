"""API for alert rules, alert history and silences, per Deployment and per workspace.

Parents resolve through `for_actor` first (404 outside the caller's organisations), then writes check
`alert.manage` (403 below AUTHOR) and call the services, which validate, audit and bump generations.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from aerodrome.api import params
from aerodrome.validation import ErrorCollector
from deployments.api.views import DEPLOYMENT_ID, DeploymentChildViewSet
from monitoring.alerts import selectors, services, silences
from monitoring.alerts.api.serializers import (
    AlertRuleCreateSerializer,
    AlertRuleSerializer,
    AlertRuleWriteSerializer,
    AlertSerializer,
    SilenceCreateSerializer,
    SilenceSerializer,
)
from monitoring.alerts.models import Alert, AlertRule, Severity, Silence
from workspaces.api.views import WORKSPACE_ID, WorkspaceChildViewSet

ALERT_FILTERS = [
    OpenApiParameter("state", str, enum=Alert.State.values, description="FIRING or RESOLVED."),
    OpenApiParameter("severity", str, enum=Severity.values),
    OpenApiParameter("rule", str, description="A rule key (`rule-17`, `scheduler_heartbeat`) or a rule's name."),
    OpenApiParameter("since", str, description=params.MOMENT_FORMAT + " Alerts that started then or later."),
    OpenApiParameter("until", str, description=params.MOMENT_FORMAT + " Alerts that started then or earlier."),
]


def _alert_filters(request) -> dict:
    errors = ErrorCollector()
    filters = {
        "state": errors.check(params.choice, request, "state", Alert.State.values),
        "severity": errors.check(params.choice, request, "severity", Severity.values),
        "rule": errors.check(params.text, request, "rule", 100),
        "since": errors.check(params.moment, request, "since"),
        "until": errors.check(params.moment, request, "until"),
    }
    errors.raise_if_any()
    return filters


class _RuleWrites:
    """Change and remove: shared by the Deployment's and the workspace's rule lists."""

    @extend_schema(summary="Change an alert rule (workspace authors)", request=AlertRuleWriteSerializer)
    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        self.require("alert.manage", rule)
        services.rule_update(actor=request.user, rule=rule, **self.validated(AlertRuleWriteSerializer))
        return self.present(rule)

    @extend_schema(summary="Remove an alert rule (workspace authors)")
    def destroy(self, request, *args, **kwargs):
        rule = self.get_object()
        self.require("alert.manage", rule)
        services.rule_delete(actor=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["alerts"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(
    list=extend_schema(summary="List the alert rules that apply to a Deployment (its own and its workspace's)"),
    retrieve=extend_schema(summary="Get an alert rule"),
)
class DeploymentAlertRuleViewSet(_RuleWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, DeploymentChildViewSet):
    queryset = AlertRule.objects.none()
    serializer_class = AlertRuleSerializer
    search_fields = ["name"]

    def get_queryset(self):
        if self.action in ("partial_update", "destroy"):  # the workspace's rules change on the workspace
            return AlertRule.objects.filter(deployment=self.deployment).select_related("workspace__organization")
        rules = selectors.deployment_rules(self.deployment)
        return rules.select_related("workspace__organization").prefetch_related("channels")

    @extend_schema(
        summary="Add an alert rule to a Deployment (workspace authors)",
        request=AlertRuleCreateSerializer,
        responses={201: AlertRuleSerializer},
    )
    def create(self, request, deployment_pk=None):
        self.require("alert.manage", self.deployment)
        data = self.validated(AlertRuleCreateSerializer)
        rule = services.rule_create(
            actor=request.user, workspace=self.deployment.workspace, deployment=self.deployment, **data
        )
        return self.present(rule, status.HTTP_201_CREATED)


@extend_schema(tags=["alerts"], parameters=[WORKSPACE_ID])
@extend_schema_view(
    list=extend_schema(summary="List a workspace's alert rules (those for all of its Deployments)"),
    retrieve=extend_schema(summary="Get a workspace alert rule"),
)
class WorkspaceAlertRuleViewSet(_RuleWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceChildViewSet):
    queryset = AlertRule.objects.none()
    serializer_class = AlertRuleSerializer
    search_fields = ["name"]

    def get_queryset(self):
        return (
            selectors.workspace_rules(self.workspace)
            .select_related("workspace__organization")
            .prefetch_related("channels")
        )

    @extend_schema(
        summary="Add an alert rule for every Deployment of a workspace (workspace authors)",
        request=AlertRuleCreateSerializer,
        responses={201: AlertRuleSerializer},
    )
    def create(self, request, workspace_pk=None):
        self.require("alert.manage", self.workspace)
        rule = services.rule_create(
            actor=request.user, workspace=self.workspace, **self.validated(AlertRuleCreateSerializer)
        )
        return self.present(rule, status.HTTP_201_CREATED)


class _Acknowledge:
    @extend_schema(summary="Acknowledge an alert (workspace authors)", request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs):
        alert = self.get_object()
        self.require("alert.manage", alert)
        services.alert_acknowledge(actor=request.user, alert=alert)
        return self.present(alert)


@extend_schema(tags=["alerts"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(
    list=extend_schema(summary="A Deployment's alert history, newest first", parameters=ALERT_FILTERS),
    retrieve=extend_schema(summary="Get an alert"),
)
class DeploymentAlertViewSet(_Acknowledge, mixins.ListModelMixin, mixins.RetrieveModelMixin, DeploymentChildViewSet):
    queryset = Alert.objects.none()
    serializer_class = AlertSerializer
    search_fields = ["summary", "rule_name", "alertname"]

    def get_queryset(self):
        filters = _alert_filters(self.request) if self.action == "list" else {}
        return selectors.deployment_alerts(self.deployment, **filters).select_related(
            "deployment__workspace__organization"
        )


@extend_schema(tags=["alerts"], parameters=[WORKSPACE_ID])
@extend_schema_view(
    list=extend_schema(summary="A workspace's alert history, newest first", parameters=ALERT_FILTERS),
    retrieve=extend_schema(summary="Get an alert"),
)
class WorkspaceAlertViewSet(_Acknowledge, mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceChildViewSet):
    queryset = Alert.objects.none()
    serializer_class = AlertSerializer
    search_fields = ["summary", "rule_name", "alertname"]

    def get_queryset(self):
        filters = _alert_filters(self.request) if self.action == "list" else {}
        return selectors.workspace_alerts(actor=self.request.user, workspace=self.workspace, **filters).select_related(
            "deployment__workspace__organization"
        )


@extend_schema(tags=["alerts"], parameters=[DEPLOYMENT_ID])
@extend_schema_view(list=extend_schema(summary="A Deployment's silences, latest end first"))
class SilenceViewSet(mixins.ListModelMixin, DeploymentChildViewSet):
    queryset = Silence.objects.none()
    serializer_class = SilenceSerializer
    search_fields = ["comment"]

    def get_queryset(self):
        return Silence.objects.filter(deployment=self.deployment).select_related("deployment__workspace__organization")

    @extend_schema(
        summary="Silence a Deployment's alerts for a while (workspace authors)",
        description="Give `duration_minutes` or `until`. Created in the cluster's Alertmanager first: a 400 says "
        "why when it cannot be reached.",
        request=SilenceCreateSerializer,
        responses={201: SilenceSerializer},
    )
    def create(self, request, deployment_pk=None):
        self.require("alert.manage", self.deployment)
        silence = silences.silence_create(
            actor=request.user, deployment=self.deployment, **self.validated(SilenceCreateSerializer)
        )
        return self.present(silence, status.HTTP_201_CREATED)

    @extend_schema(summary="End a silence now (workspace authors)")
    def destroy(self, request, deployment_pk=None, pk=None):
        silence = self.get_object()
        self.require("alert.manage", silence)
        if silence.cancelled_at is None and silence.ends_at <= timezone.now():
            raise ValidationError("This silence has already ended.")
        silences.silence_cancel(actor=request.user, silence=silence)
        return Response(status=status.HTTP_204_NO_CONTENT)
