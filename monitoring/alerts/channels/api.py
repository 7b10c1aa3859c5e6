"""/api/v1/workspaces/{workspace_pk}/channels/: a workspace's notification channels (list, get, create, change,
delete) and their test notification. The workspace is resolved for the caller first (404 outside their
organisations), a change needs `channel.manage` (AUTHOR and up, 403 below), and each is one call to
`channels.services`, which validates and audits. Secrets are write-only: never in an answer."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from aerodrome.api.pagination import CursorPagination
from deployments.api.serializers import StrictSerializer
from monitoring.alerts.channels import SECRET_FIELDS, kind, services
from monitoring.alerts.channels.models import Channel, Delivery
from workspaces.api.views import WORKSPACE_ID, WorkspaceChildViewSet

SECRET_HELP = "Write-only: encrypted at rest, never returned; left out (or blank) on a change keeps the stored one."


class ChannelSerializer(serializers.ModelSerializer):
    workspace = serializers.IntegerField(source="workspace_id", read_only=True)
    addresses = serializers.SerializerMethodField(help_text="An email channel's addresses; empty for other kinds.")
    target = serializers.SerializerMethodField(
        help_text="Where it sends, without secrets: the webhook's host, the end of a key, the addresses."
    )
    secrets_set = serializers.SerializerMethodField(
        help_text="Which write-only secrets are stored (never their values)."
    )

    class Meta:
        model = Channel
        fields = [
            "id",
            "workspace",
            "name",
            "kind",
            "enabled",
            "addresses",
            "target",
            "secrets_set",
            "last_test_at",
            "last_test_ok",
            "last_test_message",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_addresses(self, channel) -> list[str]:
        return list(channel.config.get("addresses") or [])

    def get_target(self, channel) -> str:
        return kind(channel).target(channel)

    def get_secrets_set(self, channel) -> list[str]:
        return [name for name in SECRET_FIELDS if channel.secrets.get(name)]


def _secret(help_text: str):
    return serializers.CharField(
        required=False, allow_blank=True, write_only=True, help_text=f"{help_text} {SECRET_HELP}"
    )


class ChannelWriteSerializer(StrictSerializer):
    name = serializers.CharField(required=False, allow_blank=True, help_text="Unique in the workspace.")
    kind = serializers.ChoiceField(choices=Channel.Kind.choices, required=False, help_text="Fixed once created.")
    enabled = serializers.BooleanField(required=False, help_text="A disabled channel receives nothing.")
    addresses = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, max_length=100, help_text="EMAIL: 1 to 20."
    )
    url = _secret("SLACK: the incoming webhook URL; TEAMS: the workflow URL; WEBHOOK: where to POST.")
    routing_key = _secret("PAGERDUTY: the Events API v2 integration key (32 characters).")
    api_key = _secret("OPSGENIE: an API integration's key.")
    signing_secret = _secret("WEBHOOK: the HMAC-SHA256 key requests are signed with (16+ characters).")


class ChannelCreateSerializer(ChannelWriteSerializer):
    name = serializers.CharField(allow_blank=True, help_text="Unique in the workspace.")
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)


class TestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Whether the service accepted the test notification.")
    status = serializers.ChoiceField(choices=Delivery.Status.choices)
    response_status = serializers.IntegerField(allow_null=True, help_text="The HTTP status it answered, if any.")
    message = serializers.CharField(help_text="What happened, for people.")
    delivery = serializers.IntegerField(help_text="The id of the delivery recorded for it.")
    sent_at = serializers.DateTimeField()


class ChannelPagination(CursorPagination):
    ordering = "name"


@extend_schema(tags=["channels"], parameters=[WORKSPACE_ID])
@extend_schema_view(
    list=extend_schema(summary="List a workspace's notification channels"),
    retrieve=extend_schema(summary="Get a notification channel"),
)
class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkspaceChildViewSet):
    queryset = Channel.objects.none()
    serializer_class = ChannelSerializer
    pagination_class = ChannelPagination
    search_fields = ["name"]
    workspace_permission = "channel.view"

    def get_queryset(self):
        return Channel.objects.for_actor(self.request.user, "channel.view").filter(workspace=self.workspace)

    @extend_schema(
        summary="Add a notification channel (workspace authors and up)",
        description="Give the fields of its `kind`: EMAIL `addresses`; SLACK and TEAMS `url`; PAGERDUTY "
        "`routing_key`; OPSGENIE `api_key`; WEBHOOK `url` and `signing_secret`. URLs must be allowed by the "
        "outbound policy.",
        request=ChannelCreateSerializer,
        responses={201: ChannelSerializer},
    )
    def create(self, request, workspace_pk=None):
        self.require("channel.manage", self.workspace)
        data = self.validated(ChannelCreateSerializer)
        channel = services.channel_create(actor=request.user, workspace=self.workspace, **data)
        return self.present(channel, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a notification channel (workspace authors and up)",
        description="Only the fields given change; a secret left out or blank keeps the stored one.",
        request=ChannelWriteSerializer,
    )
    def partial_update(self, request, workspace_pk=None, pk=None):
        channel = self.get_object()
        self.require("channel.manage", channel)
        services.channel_update(actor=request.user, channel=channel, **self.validated(ChannelWriteSerializer))
        return self.present(channel)

    @extend_schema(
        summary="Delete a notification channel (workspace authors and up)",
        description="Its delivery history stays, under its name.",
    )
    def destroy(self, request, workspace_pk=None, pk=None):
        channel = self.get_object()
        self.require("channel.manage", channel)
        services.channel_delete(actor=request.user, channel=channel)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a test notification now (workspace authors and up)",
        description="One attempt, recorded as a delivery and on the channel (`last_test_*`). A channel that "
        "refuses it or cannot be reached is still a 200, with `ok` false and the reason.",
        request=None,
        responses={200: TestResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, workspace_pk=None, pk=None):
        channel = self.get_object()
        self.require("channel.manage", channel)
        delivery = services.channel_test(actor=request.user, channel=channel)
        result = {
            "ok": delivery.status == Delivery.Status.SENT,
            "status": delivery.status,
            "response_status": delivery.response_status,
            "message": channel.last_test_message,
            "delivery": delivery.pk,
            "sent_at": channel.last_test_at,
        }
        return Response(TestResultSerializer(result).data)


router = SimpleRouter()
router.register(r"workspaces/(?P<workspace_pk>[0-9]+)/channels", ChannelViewSet, basename="api-channel")
