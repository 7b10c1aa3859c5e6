"""`POST /api/v1/alerts/alertmanager/`: where each cluster's Alertmanager sends its webhook notifications.

Authenticated with the cluster's receiver token (`Authorization: Bearer aeram_…`, rotatable from the cluster's
alerting page), not with people's API tokens: the caller is a cluster, and what it may file is limited to that
cluster's Deployments (`monitoring.alerts.receiver`). Not throttled per client like people's calls: Alertmanager
batches and retries by itself, and an unknown token is refused with one indexed lookup.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.alerts import receiver

MESSAGE = "Send the cluster's receiver token: `Authorization: Bearer aeram_…` (see the cluster's alerting page)."


class ClusterPrincipal:
    """The caller of the receiver: one cluster's Alertmanager."""

    is_authenticated = True
    is_active = True
    is_superuser = False

    def __init__(self, cluster):
        self.cluster = cluster

    def __str__(self):
        return f"Alertmanager of {self.cluster}"


class ClusterReceiverAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            raise exceptions.NotAuthenticated(MESSAGE)
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(MESSAGE) from None
        cluster = receiver.cluster_for_token(token)
        if cluster is None:
            raise exceptions.AuthenticationFailed("Unknown or rotated receiver token.")
        return ClusterPrincipal(cluster), cluster

    def authenticate_header(self, request):
        return 'Bearer realm="alertmanager"'


class ClusterReceiverScheme(OpenApiAuthenticationExtension):
    target_class = "monitoring.alerts.api.receiver.ClusterReceiverAuthentication"
    name = "clusterReceiverToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "aeram_<secret>",
            "description": "A cluster's Alertmanager receiver token, shown once on the cluster's alerting page.",
        }


_ALERT = inline_serializer(
    "AlertmanagerAlert",
    {
        "status": serializers.ChoiceField(choices=["firing", "resolved"]),
        "labels": serializers.DictField(child=serializers.CharField()),
        "annotations": serializers.DictField(child=serializers.CharField(), required=False),
        "startsAt": serializers.DateTimeField(),
        "endsAt": serializers.DateTimeField(required=False),
        "fingerprint": serializers.CharField(),
    },
)


class AlertmanagerReceiverView(APIView):
    authentication_classes = [ClusterReceiverAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    @extend_schema(
        tags=["alerts"],
        summary="Receive an Alertmanager webhook notification (a cluster's Alertmanager)",
        description="Alertmanager's webhook payload (version 4). Each alert is recorded against its Deployment "
        "(`aerodrome_deployment` label, on this cluster) and rule (`aerodrome_rule`); alerts that name no such "
        "Deployment or rule are counted as ignored. A repeated firing notification records one more "
        "notification of the same alert; the resolve is recorded once.",
        request=inline_serializer(
            "AlertmanagerNotification",
            {"status": serializers.CharField(required=False), "alerts": serializers.ListField(child=_ALERT)},
        ),
        responses={
            200: inline_serializer(
                "AlertmanagerReceipt",
                {
                    "recorded": serializers.IntegerField(help_text="Alert notifications recorded."),
                    "ignored": serializers.IntegerField(help_text="Alerts not for this cluster's Deployments."),
                },
            )
        },
    )
    def post(self, request):
        outcome = receiver.record_notification(cluster=request.auth, payload=request.data)
        return Response({"recorded": len(outcome.recorded), "ignored": outcome.ignored})
