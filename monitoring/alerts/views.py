"""Alert pages: a Deployment's Alerts tab (history, rules, silences), the workspace's alerts, and a cluster's
Alertmanager receiver (its snippet and token).

Lookups go through the actor's `for_actor` querysets first (404 outside the caller's organisations); writes call
the services, which check the role (403) and validate.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can, require
from accounts.tenancy import get_for_actor, organization_view
from aerodrome.views import add_errors, done, invalid, paginate
from deployments.models import Cluster
from deployments.selectors import deployment_for
from deployments.views import deployment_layout
from monitoring.alerts import receiver, selectors, services, silences
from monitoring.alerts.forms import AlertRuleForm, HistoryFilterForm, SilenceForm
from monitoring.alerts.models import Alert, AlertRule, Silence
from workspaces.selectors import workspace_for

HISTORY_PAGE_SIZE = 25


def _url(name, deployment, *extra) -> str:
    return reverse(name, args=[deployment.workspace.organization.slug, deployment.pk, *extra])


def _layout(request, deployment, page: str, **extra) -> dict:
    return deployment_layout(
        request,
        deployment,
        "alerts",
        alerts_page=page,
        can_manage_alerts=can(request.user, "alert.manage", deployment),
        firing=Alert.objects.firing().filter(deployment=deployment).count(),
        **extra,
    )


def _history(request, template: str, alerts, context: dict):
    """A history page of `alerts` with its filter form; an HTMX request for the results gets only them."""
    form = HistoryFilterForm(request.GET or None, rules=selectors.rule_choices(alerts))
    filters = {}
    if form.is_bound and form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    context |= {"form": form, "alerts": paginate(request, selectors.alerts(alerts, **filters), HISTORY_PAGE_SIZE)}
    if request.htmx and request.headers.get("HX-Target") == "alert-results":
        template = "monitoring/alerts/partials/history_results.html"
    return render(request, template, context)


# ------------------------------------------------------------------------------------------------ history


@require_GET
@organization_view()
def deployment_alerts(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    context = _layout(request, deployment, "history", show_deployment=False)
    return _history(request, "monitoring/alerts/history.html", Alert.objects.filter(deployment=deployment), context)


@require_POST
@organization_view()
def alert_acknowledge(request, org, pk, alert_pk):
    deployment = deployment_for(request.user, org, pk)
    alert = get_object_or_404(Alert, deployment=deployment, pk=alert_pk)
    alert = services.alert_acknowledge(actor=request.user, alert=alert)
    if request.htmx:
        context = {"org": org, "a": alert, "can_manage_alerts": True, "show_deployment": request.POST.get("wide")}
        return render(request, "monitoring/alerts/partials/alert_row.html", context)
    messages.success(request, "Alert acknowledged.")
    return redirect(_url("deployment_alerts", deployment))


@require_GET
@organization_view()
def workspace_alerts(request, org, workspace_id):
    workspace = workspace_for(request.user, org, workspace_id)
    context = {
        "org": org,
        "workspace": workspace,
        "tab": "workspaces",
        "show_deployment": True,
        "can_manage_alerts": can(request.user, "alert.manage", workspace),
        "rules": selectors.workspace_rules(workspace),
        "firing": selectors.workspace_incidents(workspace),
    }
    alerts = selectors.workspace_alerts(actor=request.user, workspace=workspace)
    return _history(request, "monitoring/alerts/workspace_alerts.html", alerts, context)


@require_POST
@organization_view()
def workspace_alert_acknowledge(request, org, workspace_id, alert_pk):
    workspace = workspace_for(request.user, org, workspace_id)
    alert = get_object_or_404(
        selectors.workspace_alerts(actor=request.user, workspace=workspace).select_related(None), pk=alert_pk
    )
    alert = services.alert_acknowledge(actor=request.user, alert=alert)
    if request.htmx:
        context = {"org": org, "a": alert, "can_manage_alerts": True, "show_deployment": True}
        return render(request, "monitoring/alerts/partials/alert_row.html", context)
    return redirect("workspace_alerts", org.slug, workspace.pk)


def workspace_section(request, workspace) -> dict:
    """The workspace page's incidents badge (registered with the workspaces app, which cannot import this one)."""
    if not can(request.user, "alert.view", workspace):
        return {}
    return {"incidents": workspace.incident_count}


# ------------------------------------------------------------------------------------------------ rules


def _channels(deployment):
    from monitoring.alerts.channels.models import Channel

    return Channel.objects.filter(workspace=deployment.workspace_id).order_by("name")


def _rules_context(request, deployment, **extra) -> dict:
    return _layout(
        request,
        deployment,
        "rules",
        builtins=selectors.builtin_rules(deployment),
        rules=selectors.deployment_rules(deployment).prefetch_related("channels"),
        **extra,
    )


@require_GET
@organization_view()
def deployment_rules(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    form = AlertRuleForm(channels=_channels(deployment))
    return render(request, "monitoring/alerts/rules.html", _rules_context(request, deployment, form=form))


@require_POST
@organization_view()
def builtin_rule_toggle(request, org, pk, key):
    deployment = deployment_for(request.user, org, pk)
    try:
        services.builtin_rule_set(
            actor=request.user, deployment=deployment, key=key, enabled=bool(request.POST.get("enabled"))
        )
    except ValidationError as error:
        raise Http404(error.messages[0]) from None
    if request.htmx:
        builtin = next(b for b in selectors.builtin_rules(deployment) if b["key"] == key)
        context = {"org": org, "deployment": deployment, "b": builtin, "can_manage_alerts": True, "saved": True}
        return render(request, "monitoring/alerts/partials/builtin_row.html", context)
    return redirect(_url("deployment_rules", deployment))


@require_POST
@organization_view()
def rule_add(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "alert.manage")
    form = AlertRuleForm(request.POST, channels=_channels(deployment))
    if form.is_valid():
        scope = request.POST.get("scope")
        try:
            rule = services.rule_create(
                actor=request.user,
                workspace=deployment.workspace,
                deployment=None if scope == "workspace" else deployment,
                **form.service_fields(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Alert rule “{rule.name}” added; it applies with the next reconcile.")
            return done(request, _url("deployment_rules", deployment))
    return invalid(request, "monitoring/alerts/rules.html", "rule-form", _rules_context(request, deployment, form=form))


def _deployment_rule(deployment, rule_pk) -> AlertRule:
    return get_object_or_404(selectors.deployment_rules(deployment), pk=rule_pk)


@require_http_methods(["GET", "POST"])
@organization_view()
def rule_edit(request, org, pk, rule_pk):
    deployment = deployment_for(request.user, org, pk)
    rule = _deployment_rule(deployment, rule_pk)
    require(request.user, "alert.manage", rule)
    channels = _channels(deployment)
    if request.method == "POST":
        form = AlertRuleForm(request.POST, channels=channels)
    else:
        form = AlertRuleForm.for_rule(rule, channels=channels)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(actor=request.user, rule=rule, **form.service_fields())
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Alert rule “{rule.name}” saved.")
            return done(request, _url("deployment_rules", deployment))
    context = _layout(request, deployment, "rules", form=form, rule=rule)
    if request.method == "POST":
        return invalid(request, "monitoring/alerts/rule_edit.html", "rule-form", context)
    return render(request, "monitoring/alerts/rule_edit.html", context)


@require_POST
@organization_view()
def rule_delete(request, org, pk, rule_pk):
    deployment = deployment_for(request.user, org, pk)
    rule = _deployment_rule(deployment, rule_pk)
    services.rule_delete(actor=request.user, rule=rule)
    messages.success(request, f"Alert rule “{rule.name}” removed.")
    return done(request, _url("deployment_rules", deployment))


# ------------------------------------------------------------------------------------------------ silences


def _silences_context(request, deployment, **extra) -> dict:
    current, past = selectors.silences(deployment, now=timezone.now())
    return _layout(request, deployment, "silences", current=current, past=past, now=timezone.now(), **extra)


@require_GET
@organization_view()
def deployment_silences(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    context = _silences_context(request, deployment, form=SilenceForm())
    return render(request, "monitoring/alerts/silences.html", context)


@require_POST
@organization_view()
def silence_add(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "alert.manage")
    form = SilenceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        by_time = data.get("length") == "until"
        until = data["until"] if by_time else None
        duration = None if by_time else data.get("duration_minutes") or None
        try:
            silences.silence_create(
                actor=request.user,
                deployment=deployment,
                comment=data["comment"],
                duration_minutes=duration,
                until=until,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Silence created: this Deployment's alerts are muted until it ends.")
            return done(request, _url("deployment_silences", deployment))
    context = _silences_context(request, deployment, form=form)
    return invalid(request, "monitoring/alerts/silences.html", "silence-form", context)


@require_POST
@organization_view()
def silence_cancel(request, org, pk, silence_pk):
    deployment = deployment_for(request.user, org, pk)
    silence = get_object_or_404(Silence, deployment=deployment, pk=silence_pk)
    try:
        silences.silence_cancel(actor=request.user, silence=silence)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Silence ended: alerts notify again.")
    return done(request, _url("deployment_silences", deployment))


# ------------------------------------------------------------------------------------------------ clusters


def _cluster(request, org, pk) -> Cluster:
    return get_for_actor(Cluster.objects.filter(organization=org), request.user, view_permission="cluster.view", pk=pk)


def _receiver_context(request, org, cluster, token=None) -> dict:
    return {
        "org": org,
        "cluster": cluster,
        "tab": "clusters",
        "token": token,
        "receiver_url": request.build_absolute_uri(reverse("api-alertmanager-receiver")),
        "can_manage": can(request.user, "cluster.manage", org),
    }


@require_GET
@organization_view()
def cluster_alerting(request, org, pk):
    cluster = _cluster(request, org, pk)
    return render(request, "monitoring/alerts/cluster_alerting.html", _receiver_context(request, org, cluster))


@require_POST
@organization_view()
def cluster_receiver_token(request, org, pk):
    """A new receiver token, shown on this answer only."""
    cluster = _cluster(request, org, pk)
    token = receiver.receiver_token_rotate(actor=request.user, cluster=cluster)
    return render(request, "monitoring/alerts/cluster_alerting.html", _receiver_context(request, org, cluster, token))
