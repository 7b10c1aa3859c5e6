"""Deployment pages: the workspace's list, create, and the tabs of one Deployment.

Every lookup goes through the actor's `for_actor` queryset, scoped to the organisation in the address, before
anything else; every change goes through `deployments.services`, which checks the role and the input.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can
from accounts.tenancy import organization_view
from aerodrome.views import add_errors, done, invalid, paginate, safe_next
from deployments import catalog, cost, quota, selectors, services, tabs
from deployments import validation as v
from deployments.forms import (
    DeleteForm,
    DeploymentCreateForm,
    DeploymentSettingsForm,
    QueueForm,
    ResourcesForm,
    VariableForm,
)
from deployments.models import DeploymentEvent, EnvironmentVariable, WorkerQueue
from deployments.selectors import deployment_for
from workspaces.selectors import workspace_for

EVENTS_PAGE_SIZE = 25


# --------------------------------------------------------------------------------------------------- lookups


def _url(name, deployment, *extra) -> str:
    return reverse(name, args=[deployment.workspace.organization.slug, deployment.pk, *extra])


def deployment_layout(request, deployment, section, **extra) -> dict:
    """What every tab of a Deployment shows around its content: header, tabs, and which controls to offer."""
    user = request.user
    return {
        "org": deployment.workspace.organization,
        "workspace": deployment.workspace,
        "deployment": deployment,
        "section": section,
        "tab": "workspaces",
        "can_update": can(user, "deployment.update", deployment),
        "can_reconcile": can(user, "deployment.reconcile", deployment),
        "can_delete": can(user, "deployment.delete", deployment),
        "can_manage_variables": can(user, "deployment.manage_variables", deployment),
        "deployment_tabs": tabs.visible_tabs(user, deployment),
        **extra,
    }


# ---------------------------------------------------------------------------------------- workspace's list


DEPLOYMENTS_PER_PAGE = 25


def deployment_list_context(request, workspace) -> dict:
    """The workspace page's Deployments card: one page of rows (its own `dpage` parameter, since the page's
    access list already uses `page`)."""
    deployments = selectors.workspace_deployments(actor=request.user, workspace=workspace)
    # The workspace page loads the workspace with its count (DeploymentsConfig.ready); the rows polled alone count.
    count = getattr(workspace, "deployment_count", None)
    return {
        "deployments": paginate(request, deployments, DEPLOYMENTS_PER_PAGE, param="dpage", count=count),
        "can_create_deployment": can(request.user, "deployment.create", workspace),
    }


@require_GET
@organization_view()
def workspace_deployments(request, org, workspace_id):
    """The workspace page's Deployment rows, polled while any of them is still changing."""
    workspace = workspace_for(request.user, org, workspace_id)
    if not request.htmx:
        return redirect("workspace_detail", org.slug, workspace.pk)
    context = {"org": org, "workspace": workspace, **deployment_list_context(request, workspace)}
    return render(request, "deployments/partials/workspace_deployments.html#rows", context)


# ------------------------------------------------------------------------------------------------------ create


def _create_context(org, workspace, form) -> dict:
    return {"org": org, "workspace": workspace, "form": form, "tab": "workspaces", "executors": _executor_cards()}


def _executor_cards():
    return [
        (
            catalog.Executor.CELERY,
            "Celery executor",
            "A pool of always-on workers in queues that scale between a minimum and a maximum.",
            "ti-stack-2",
        ),
        (
            catalog.Executor.KUBERNETES,
            "Kubernetes executor",
            "Every task runs in its own pod, started on demand: nothing idles between runs.",
            "ti-box-multiple",
        ),
    ]


@require_http_methods(["GET", "POST"])
@organization_view()
def deployment_create(request, org, workspace_id):
    workspace = workspace_for(request.user, org, workspace_id, "deployment.create")
    clusters = selectors.clusters_for(actor=request.user, organization=org)
    if request.method == "GET":
        if request.htmx and request.GET.get("part") == "cluster-warning":  # another cluster was chosen
            form = DeploymentCreateForm(clusters=clusters, initial={"cluster": request.GET.get("cluster", "")})
            context = _create_context(org, workspace, form)
            return render(request, "deployments/deployment_create.html#cluster-warning", context)
        form = DeploymentCreateForm(clusters=clusters)
        return render(request, "deployments/deployment_create.html", _create_context(org, workspace, form))
    form = DeploymentCreateForm(request.POST, clusters=clusters)
    if form.is_valid():
        try:
            deployment = services.deployment_create(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Deployment “{deployment.name}” created. Provisioning has started.")
            return done(request, _url("deployment_overview", deployment))
    return invalid(request, "deployments/deployment_create.html", "create-form", _create_context(org, workspace, form))


# ---------------------------------------------------------------------------------------------------- overview


def _overview_context(request, deployment, **forms) -> dict:
    return deployment_layout(
        request,
        deployment,
        "overview",
        events=selectors.recent_events(deployment, 5),
        requested=quota.requested(deployment),
        estimate=cost.for_deployment(deployment),
        settings_form=forms.get("settings_form") or DeploymentSettingsForm.for_deployment(deployment),
        settings_warnings=services.deployment_warnings(deployment),
        delete_form=forms.get("delete_form") or DeleteForm(),
        airflow_versions=catalog.AIRFLOW_VERSIONS,
    )


@require_GET
@organization_view()
def deployment_overview(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    return render(request, "deployments/overview.html", _overview_context(request, deployment))


@require_GET
@organization_view()
def deployment_status(request, org, pk):
    """The polled status: the overview's status card (with the header badge out of band), or with
    `?part=badge` only the header badge (the other tabs). Either stops polling once the status is final."""
    deployment = deployment_for(request.user, org, pk)
    can_reconcile = can(request.user, "deployment.reconcile", deployment)
    context = {"org": org, "deployment": deployment, "can_reconcile": can_reconcile}
    if request.GET.get("part") == "badge":
        return render(request, "deployments/partials/header_status.html", {**context, "poll_header": True})
    return render(request, "deployments/partials/status_card.html", {**context, "oob": True})


@require_POST
@organization_view()
def deployment_update(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "deployment.update")
    form = DeploymentSettingsForm(request.POST)
    if form.is_valid():
        try:
            updated = services.deployment_update(actor=request.user, deployment=deployment, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            if updated.generation != deployment.generation:
                messages.success(request, f"Settings saved. Deploying generation {updated.generation}…")
            else:
                messages.info(request, "Nothing changed.")
            return done(request, _url("deployment_overview", deployment))
    return invalid(
        request,
        "deployments/overview.html",
        "settings-form",
        _overview_context(request, deployment, settings_form=form),
    )


@require_POST
@organization_view()
def deployment_settings_check(request, org, pk):
    """Live, while the settings form is edited: what saving the version and image tag would refuse or warn about."""
    deployment = deployment_for(request.user, org, pk, "deployment.update")
    fields = {field: request.POST.get(field, "") for field in ("airflow_version", "image_tag")}
    context = {"org": org, "deployment": deployment}
    try:
        context["settings_warnings"] = services.deployment_warnings(deployment, fields)
    except ValidationError as error:
        context["settings_problems"] = [message for messages in error.message_dict.values() for message in messages]
    return render(request, "deployments/partials/settings_warnings.html", context)


@require_POST
@organization_view()
def deployment_delete(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "deployment.delete")
    form = DeleteForm(request.POST)
    if form.is_valid():
        try:
            services.deployment_delete(actor=request.user, deployment=deployment, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Deployment “{deployment.name}” is being deleted.")
            return done(request, reverse("workspace_detail", args=[org.slug, deployment.workspace_id]))
    return invalid(
        request, "deployments/overview.html", "delete-form", _overview_context(request, deployment, delete_form=form)
    )


@require_POST
@organization_view()
def deployment_reconcile(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "deployment.reconcile")
    services.deployment_request_reconcile(actor=request.user, deployment=deployment)
    messages.success(request, "Reconcile requested: provisioning will converge the cluster again.")
    return done(request, safe_next(request, _url("deployment_overview", deployment)))


# --------------------------------------------------------------------------------------------------- resources


def _preview(deployment, data) -> dict:
    """The quota for what the form holds: each field parsed as the service would, falling back to the saved
    value while a field is invalid (its error shows on the form once saved)."""
    values, invalid_fields = {}, []
    for field, clean in v.RESOURCE_FIELDS.items():
        raw = data.get(field) if data is not None else None
        if raw is None or (field in ResourcesForm.KUBERNETES_ONLY and raw == ""):
            values[field] = getattr(deployment, field)
            continue
        try:
            values[field] = clean(raw)
        except ValidationError:
            values[field] = getattr(deployment, field)
            invalid_fields.append(ResourcesForm.base_fields[field].label)
    figures = quota.compute(airflow_major=deployment.airflow_major, queues=list(deployment.queues.all()), **values)
    return {
        "quota": figures,
        "quota_values": values,
        "quota_invalid": invalid_fields,
        "high_availability": values["scheduler_replicas"] >= 2,
    }


def _resources_context(request, deployment, *, form=None, queue_form=None, editing=None, edit_form=None, **extra):
    form = form or ResourcesForm.for_deployment(deployment)
    queues = list(deployment.queues.order_by("name"))
    return deployment_layout(
        request,
        deployment,
        "resources",
        form=form,
        executors=_executor_cards(),
        queues=queues,
        queue_form=queue_form or QueueForm(),
        worker_types=catalog.WORKER_TYPES,
        editing=editing,
        edit_form=edit_form,
        limits={
            "scheduler_replicas": catalog.SCHEDULER_REPLICAS,
            "triggerer_replicas": catalog.TRIGGERER_REPLICAS,
            "api_server_replicas": catalog.API_SERVER_REPLICAS,
            "task_pod_cpu": catalog.TASK_POD_CPU,
            "task_pod_memory_mib": catalog.TASK_POD_MEMORY_MIB,
            "max_task_pods": catalog.MAX_TASK_PODS,
            "headroom_percent": catalog.HEADROOM_PERCENT,
            "min_workers": catalog.MIN_WORKERS,
            "max_workers": catalog.MAX_WORKERS,
            "concurrency": catalog.CONCURRENCY,
        },
        **_preview(deployment, form.data if form.is_bound else None),
        **extra,
    )


@require_http_methods(["GET", "POST"])
@organization_view()
def deployment_resources(request, org, pk):
    """The resources tab; POST saves the scaling form."""
    deployment = deployment_for(request.user, org, pk, "deployment.update" if request.method == "POST" else None)
    if request.method == "GET":
        return render(request, "deployments/resources.html", _resources_context(request, deployment))
    form = ResourcesForm(request.POST)
    if form.is_valid():
        try:
            updated = services.deployment_update(actor=request.user, deployment=deployment, **form.changes())
        except ValidationError as error:
            add_errors(form, error)
        else:
            if updated.generation != deployment.generation:
                messages.success(request, f"Resources saved. Deploying generation {updated.generation}…")
            else:
                messages.info(request, "Nothing changed.")
            return done(request, _url("deployment_resources", deployment))
    context = _resources_context(request, deployment, form=form)
    return invalid(request, "deployments/resources.html", "resources-form", context)


@require_POST
@organization_view()
def deployment_quota(request, org, pk):
    """Live quota preview for the resources form (a read: anyone who sees the Deployment may ask)."""
    deployment = deployment_for(request.user, org, pk)
    context = {"org": org, "deployment": deployment, "oob": True, **_preview(deployment, request.POST)}
    return render(request, "deployments/partials/quota.html", context)


def _queue(deployment, queue_pk) -> WorkerQueue:
    return get_object_or_404(WorkerQueue.objects.select_related("deployment"), deployment=deployment, pk=queue_pk)


@require_POST
@organization_view()
def queue_add(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "deployment.update")
    form = QueueForm(request.POST)
    if form.is_valid():
        try:
            queue = services.queue_create(actor=request.user, deployment=deployment, **form.values(with_name=True))
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Worker queue “{queue.name}” added.")
            return done(request, _url("deployment_resources", deployment))
    context = _resources_context(request, deployment, queue_form=form)
    return invalid(request, "deployments/resources.html", "queue-add-form", context)


@require_GET
@organization_view()
def queue_row(request, org, pk, queue_pk):
    """One queue's row as shown (the edit row's Cancel)."""
    deployment = deployment_for(request.user, org, pk)
    queue = _queue(deployment, queue_pk)
    if not request.htmx:
        return redirect(_url("deployment_resources", deployment))
    context = _resources_context(request, deployment, q=queue)
    return render(request, "deployments/resources.html#queue-row", context)


@require_http_methods(["GET", "POST"])
@organization_view()
def queue_edit(request, org, pk, queue_pk):
    """GET: the queue's row as a form (or the page with it open, without HTMX). POST: save it."""
    deployment = deployment_for(request.user, org, pk, "deployment.update")
    queue = _queue(deployment, queue_pk)
    if request.method == "GET":
        form = QueueForm(
            initial={
                "worker_type": queue.worker_type,
                "min_workers": queue.min_workers,
                "max_workers": queue.max_workers,
                "concurrency": queue.concurrency,
            }
        )
    else:
        form = QueueForm(request.POST)
        if form.is_valid():
            try:
                services.queue_update(actor=request.user, queue=queue, **form.values(with_name=False))
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Worker queue “{queue.name}” saved.")
                return done(request, _url("deployment_resources", deployment))
        queue.refresh_from_db()
    context = _resources_context(request, deployment, editing=queue.pk, edit_form=form, q=queue)
    if request.method == "GET":
        template = "deployments/resources.html#queue-row" if request.htmx else "deployments/resources.html"
        return render(request, template, context)
    return invalid(request, "deployments/resources.html", "queue-row", context)


@require_POST
@organization_view()
def queue_delete(request, org, pk, queue_pk):
    deployment = deployment_for(request.user, org, pk, "deployment.update")
    queue = _queue(deployment, queue_pk)
    try:
        services.queue_delete(actor=request.user, queue=queue)
    except ValidationError as error:
        context = _resources_context(request, deployment, q=queue, row_error=" ".join(error.messages), row_pk=queue.pk)
        return invalid(request, "deployments/resources.html", "queue-row", context)
    messages.success(request, f"Worker queue “{queue.name}” removed.")
    return done(request, _url("deployment_resources", deployment))


# --------------------------------------------------------------------------------------- environment variables


def _variables_context(request, deployment, *, add_form=None, editing=None, edit_form=None, **extra):
    return deployment_layout(
        request,
        deployment,
        "variables",
        variables=deployment.variables.order_by("key"),
        add_form=add_form or VariableForm(),
        editing=editing,
        edit_form=edit_form,
        **extra,
    )


def _variable(deployment, variable_pk) -> EnvironmentVariable:
    return get_object_or_404(
        EnvironmentVariable.objects.select_related("deployment"), deployment=deployment, pk=variable_pk
    )


@require_GET
@organization_view()
def deployment_variables(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    return render(request, "deployments/variables.html", _variables_context(request, deployment))


@require_POST
@organization_view()
def variable_add(request, org, pk):
    deployment = deployment_for(request.user, org, pk, "deployment.manage_variables")
    form = VariableForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            variable = services.variable_set(
                actor=request.user,
                deployment=deployment,
                key=data["key"],
                value=data["value"],
                is_secret=data["is_secret"],
                only_new=True,
            )
        except services.VariableExists as error:
            form.add_error("key", f"{error.key} is already set; edit it in the table instead.")
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Variable {variable.key} added.")
            return done(request, _url("deployment_variables", deployment))
    if form.is_bound and form.cleaned_data.get("is_secret"):
        form.data = form.data.copy()
        form.data["value"] = ""  # a secret typed in is never sent back to the browser
    context = _variables_context(request, deployment, add_form=form)
    return invalid(request, "deployments/variables.html", "variable-add-form", context)


@require_GET
@organization_view()
def variable_row(request, org, pk, variable_pk):
    deployment = deployment_for(request.user, org, pk)
    variable = _variable(deployment, variable_pk)
    if not request.htmx:
        return redirect(_url("deployment_variables", deployment))
    return render(
        request, "deployments/variables.html#variable-row", _variables_context(request, deployment, var=variable)
    )


@require_http_methods(["GET", "POST"])
@organization_view()
def variable_edit(request, org, pk, variable_pk):
    """GET: the variable's row as a form. POST: save it; a secret's blank value keeps the stored one."""
    deployment = deployment_for(request.user, org, pk, "deployment.manage_variables")
    variable = _variable(deployment, variable_pk)
    if request.method == "GET":
        form = VariableForm(initial={"value": variable.display_value or "", "is_secret": variable.is_secret})
    else:
        form = VariableForm(request.POST)
        if form.is_valid():
            value = form.cleaned_data["value"]
            try:
                services.variable_set(
                    actor=request.user,
                    deployment=deployment,
                    key=variable.key,
                    value=None if variable.is_secret and value == "" else value,
                    # A secret stays one; a plain variable becomes secret when the box is ticked.
                    is_secret=True if variable.is_secret else form.cleaned_data["is_secret"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Variable {variable.key} saved.")
                return done(request, _url("deployment_variables", deployment))
        form.data = form.data.copy()
        if variable.is_secret or form.cleaned_data.get("is_secret"):
            form.data["value"] = ""
    context = _variables_context(request, deployment, editing=variable.pk, edit_form=form, var=variable)
    if request.method == "GET":
        template = "deployments/variables.html#variable-row" if request.htmx else "deployments/variables.html"
        return render(request, template, context)
    return invalid(request, "deployments/variables.html", "variable-row", context)


@require_POST
@organization_view()
def variable_delete(request, org, pk, variable_pk):
    deployment = deployment_for(request.user, org, pk, "deployment.manage_variables")
    variable = _variable(deployment, variable_pk)
    services.variable_delete(actor=request.user, variable=variable)
    messages.success(request, f"Variable {variable.key} removed.")
    return done(request, _url("deployment_variables", deployment))


# ----------------------------------------------------------------------------------------- events, manifests


@require_GET
@organization_view()
def deployment_events(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    events = DeploymentEvent.objects.filter(deployment=deployment).order_by("-created_at", "-id")
    context = deployment_layout(request, deployment, "events", events=paginate(request, events, EVENTS_PAGE_SIZE))
    return render(request, "deployments/events.html", context)


@require_GET
@organization_view()
def deployment_manifests(request, org, pk):
    deployment = deployment_for(request.user, org, pk)
    if request.GET.get("download"):
        if not deployment.applied_manifest:
            raise Http404("Nothing has been applied yet.")
        response = HttpResponse(deployment.applied_manifest, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{deployment.release_name}.yaml"'
        return response
    manifest = deployment.applied_manifest
    context = deployment_layout(
        request,
        deployment,
        "manifests",
        manifest=manifest,
        object_count=manifest.count("\nkind: ") + manifest.startswith("kind: ") if manifest else 0,
    )
    return render(request, "deployments/manifests.html", context)
