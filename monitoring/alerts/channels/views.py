"""A workspace's notification channels pages: list (with recent deliveries), add, edit, send a test, delete. Every
change goes through `channels.services`, which checks the role and the input."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can
from accounts.tenancy import get_for_actor, organization_view
from aerodrome.views import add_errors, done, invalid
from monitoring.alerts.channels import kind, services
from monitoring.alerts.channels.forms import ChannelForm
from monitoring.alerts.channels.models import Channel, Delivery, DeliveryAttempt
from workspaces.selectors import workspace_for

RECENT_DELIVERIES = 15


def _channel(request, workspace, pk, permission=None) -> Channel:
    channels = Channel.objects.filter(workspace=workspace).select_related("workspace__organization")
    return get_for_actor(channels, request.user, view_permission="channel.view", permission=permission, pk=pk)


def _decorate(channel: Channel) -> Channel:
    channel.target = kind(channel).target(channel)
    return channel


def _list_context(request, workspace) -> dict:
    channels = [_decorate(c) for c in Channel.objects.filter(workspace=workspace)]
    deliveries = (
        Delivery.objects.filter(notification__workspace=workspace)
        .select_related("notification")
        .prefetch_related(Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("number")))
        .order_by("-id")[:RECENT_DELIVERIES]
    )
    return {
        "org": workspace.organization,
        "workspace": workspace,
        "channels": channels,
        "deliveries": deliveries,
        "can_manage": can(request.user, "channel.manage", workspace),
        "tab": "workspaces",
    }


@require_GET
@organization_view()
def channel_list(request, org, workspace_pk):
    workspace = workspace_for(request.user, org, workspace_pk, "channel.view")
    return render(request, "monitoring/channel_list.html", _list_context(request, workspace))


def _form_context(workspace, form, channel=None) -> dict:
    return {
        "org": workspace.organization,
        "workspace": workspace,
        "form": form,
        "channel": channel,
        "tab": "workspaces",
    }


@require_http_methods(["GET", "POST"])
@organization_view()
def channel_create(request, org, workspace_pk):
    workspace = workspace_for(request.user, org, workspace_pk, "channel.manage")
    if request.method == "GET":
        return render(request, "monitoring/channel_form.html", _form_context(workspace, ChannelForm()))
    form = ChannelForm(request.POST)
    if form.is_valid():
        try:
            channel = services.channel_create(actor=request.user, workspace=workspace, **form.service_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Channel “{channel.name}” added. Send a test to check that it arrives.")
            return done(request, reverse("channel_list", args=[org.slug, workspace.pk]))
    return invalid(request, "monitoring/channel_form.html", "channel-form", _form_context(workspace, form))


@require_http_methods(["GET", "POST"])
@organization_view()
def channel_update(request, org, workspace_pk, pk):
    workspace = workspace_for(request.user, org, workspace_pk)
    channel = _channel(request, workspace, pk, "channel.manage")
    if request.method == "GET":
        form = ChannelForm(channel=channel)
        return render(request, "monitoring/channel_form.html", _form_context(workspace, form, channel))
    form = ChannelForm(request.POST, channel=channel)
    if form.is_valid():
        try:
            services.channel_update(actor=request.user, channel=channel, **form.service_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Channel “{channel.name}” saved.")
            return done(request, reverse("channel_list", args=[org.slug, workspace.pk]))
    channel.refresh_from_db()
    return invalid(request, "monitoring/channel_form.html", "channel-form", _form_context(workspace, form, channel))


@require_POST
@organization_view()
def channel_test(request, org, workspace_pk, pk):
    """Sends a test notification now and shows what the service answered on the channel's row."""
    workspace = workspace_for(request.user, org, workspace_pk)
    channel = _channel(request, workspace, pk, "channel.manage")
    outcome = services.channel_test(actor=request.user, channel=channel)
    if not request.htmx:
        level = messages.success if outcome.status == Delivery.Status.SENT else messages.error
        level(request, f"{channel.name}: {channel.last_test_message}")
        return redirect("channel_list", org.slug, workspace.pk)
    # Only the row: the manager it was sent by sees it (no list of channels or deliveries to read for it).
    context = {"org": org, "workspace": workspace, "c": _decorate(channel), "can_manage": True}
    return render(request, "monitoring/channel_list.html#channel-row", {**context, "row_pk": pk, "row_tested": True})


@require_POST
@organization_view()
def channel_delete(request, org, workspace_pk, pk):
    workspace = workspace_for(request.user, org, workspace_pk)
    channel = _channel(request, workspace, pk, "channel.manage")
    services.channel_delete(actor=request.user, channel=channel)
    messages.success(request, f"Channel “{channel.name}” deleted.")
    return done(request, reverse("channel_list", args=[org.slug, workspace.pk]))


def workspace_section(request, workspace) -> dict:
    """The workspace page's card: how many channels it has, and the link to them."""
    if not can(request.user, "channel.view", workspace):
        return {}
    return {"channel_count": workspace.channel_count}  # counted with the workspace (MonitoringConfig.ready)
