"""The organisation's clusters pages: list, add, edit, test the connection, delete. Every change goes through
`deployments.cluster_services`, which checks the role and the input."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.db.models.functions import Lower
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can
from accounts.tenancy import organization_view
from aerodrome.views import add_errors, done, invalid
from deployments import cluster_services
from deployments.deploys.credential_views import Owner, credentials_context
from deployments.forms import ClusterForm
from deployments.models import Cluster
from deployments.selectors import cluster_for


def _clusters(request, org):
    """The organisation's own clusters, then the platform's, each with how many of this organisation's live
    Deployments run on it."""
    mine = Q(deployments__deleted_at__isnull=True, deployments__workspace__organization=org)
    return (
        Cluster.objects.for_actor(request.user)
        .usable_by(org)
        .annotate(deployment_count=Count("deployments", filter=mine))
        .order_by(F("organization").asc(nulls_last=True), Lower("name"))
    )


def _cluster_list_context(request, org, **extra) -> dict:
    return {
        "org": org,
        "clusters": _clusters(request, org),
        "can_manage": can(request.user, "cluster.manage", org),
        "tab": "clusters",
        **extra,
    }


def _cluster_row(request, org, cluster, **extra):
    """One row of the clusters table (HTMX), or the whole page for a plain browser (400 when it is an error)."""
    context = _cluster_list_context(request, org, c=_clusters(request, org).get(pk=cluster.pk), row_pk=cluster.pk)
    context.update(extra)
    if request.htmx:
        return render(request, "deployments/cluster_list.html#cluster-row", context)
    status = 400 if extra.get("row_error") else 200
    return render(request, "deployments/cluster_list.html", context, status=status)


@require_GET
@organization_view("cluster.view")
def cluster_list(request, org):
    return render(request, "deployments/cluster_list.html", _cluster_list_context(request, org))


def _cluster_form_context(org, form, cluster=None, request=None) -> dict:
    context = {"org": org, "form": form, "cluster": cluster, "tab": "clusters"}
    if cluster is not None and request is not None:  # its registry credentials, in a card below the form
        context |= credentials_context(request, Owner(cluster, org, "cluster"))
    return context


def cluster_form_page(request, org, cluster, *, status=200, extra: dict | None = None):
    """The cluster's edit page (its credentials card answering a plain browser's refused form with `extra`)."""
    context = _cluster_form_context(org, ClusterForm(cluster=cluster), cluster, request) | (extra or {})
    return render(request, "deployments/cluster_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@organization_view("cluster.manage")
def cluster_create(request, org):
    if request.method == "GET":
        return render(request, "deployments/cluster_form.html", _cluster_form_context(org, ClusterForm()))
    form = ClusterForm(request.POST)
    if form.is_valid():
        try:
            cluster = cluster_services.cluster_create(actor=request.user, organization=org, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Cluster “{cluster.name}” added. Test its connection to check the credentials.")
            return done(request, reverse("cluster_list", args=[org.slug]))
    return invalid(request, "deployments/cluster_form.html", "cluster-form", _cluster_form_context(org, form))


@require_http_methods(["GET", "POST"])
@organization_view()
def cluster_update(request, org, pk):
    cluster = cluster_for(request.user, org, pk, "cluster.manage")
    if request.method == "GET":
        return cluster_form_page(request, org, cluster)
    form = ClusterForm(request.POST, cluster=cluster)
    if form.is_valid():
        try:
            cluster_services.cluster_update(actor=request.user, cluster=cluster, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Cluster “{cluster.name}” saved.")
            return done(request, reverse("cluster_list", args=[org.slug]))
    cluster.refresh_from_db()
    context = _cluster_form_context(org, form, cluster, request)
    return invalid(request, "deployments/cluster_form.html", "cluster-form", context)


@require_POST
@organization_view()
def cluster_test(request, org, pk):
    """Calls the cluster's API server (/version) and shows the outcome on its row."""
    cluster = cluster_for(request.user, org, pk, "cluster.manage")
    cluster_services.cluster_test_connection(actor=request.user, cluster=cluster)
    if not request.htmx:
        level = messages.success if cluster.last_check_ok else messages.error
        level(request, f"{cluster.name}: {cluster.last_check_message}")
        return redirect("cluster_list", org.slug)
    return _cluster_row(request, org, cluster, row_checked=True)


@require_POST
@organization_view()
def cluster_delete(request, org, pk):
    cluster = cluster_for(request.user, org, pk, "cluster.manage")
    try:
        cluster_services.cluster_delete(actor=request.user, cluster=cluster)
    except ValidationError as error:
        return _cluster_row(request, org, cluster, row_error=" ".join(error.messages))
    messages.success(request, f"Cluster “{cluster.name}” removed.")
    return done(request, reverse("cluster_list", args=[org.slug]))
