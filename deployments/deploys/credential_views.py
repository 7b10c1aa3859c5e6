"""Registry credentials pages: a workspace's (its own page, linked from the workspace page; operators manage them)
and a cluster's (a card on the cluster's edit page; the organisation's owners manage them). The same table, add
form and inline edit serve both; every change goes through `deploys.services`, which checks the role, validates
and audits. Passwords are write-only: no page ever renders one, not even the one just typed into a refused form."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can, require
from accounts.tenancy import organization_view
from aerodrome.views import add_errors, done
from deployments.deploys import services
from deployments.deploys.models import RegistryCredential
from deployments.selectors import cluster_for
from workspaces.selectors import workspace_for

PARTIALS = "deployments/partials/registry_credentials.html"
WORKSPACE_PAGE = "deployments/registry_credentials.html"  # a cluster's are a card on its edit page


class CredentialForm(forms.Form):
    """What the page sends; the service checks it (host format, duplicates) and says what is wrong."""

    registry = forms.CharField(required=False, max_length=300)
    username = forms.CharField(required=False, max_length=300, strip=False)
    password = forms.CharField(required=False, max_length=5000, strip=False)


@dataclass
class Owner:
    """A workspace or a cluster, as the credentials pages need it: who may manage, where its pages are."""

    obj: object
    org: object
    kind: str  # "workspace" or "cluster"

    @property
    def owner_filter(self) -> dict:
        return {self.kind: self.obj}

    @property
    def manage_permission(self) -> str:
        return "registry_credential.manage" if self.kind == "workspace" else "cluster.manage"

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.kind}_registry_credential_{name}", args=[self.org.slug, self.obj.pk, *args])

    @property
    def page_url(self) -> str:
        if self.kind == "workspace":
            return reverse("workspace_registry_credentials", args=[self.org.slug, self.obj.pk])
        return reverse("cluster_update", args=[self.org.slug, self.obj.pk]) + "#registry-credentials"


def _workspace_owner(request, org, workspace_pk, permission=None) -> Owner:
    workspace = workspace_for(request.user, org, workspace_pk, "registry_credential.view")
    if permission:
        require(request.user, permission, workspace)
    return Owner(workspace, org, "workspace")


def _cluster_owner(request, org, cluster_pk) -> Owner:
    """Only the organisation's own clusters have credentials here (a platform cluster's are set by staff)."""
    return Owner(cluster_for(request.user, org, cluster_pk, "cluster.manage"), org, "cluster")


def _decorate(owner: Owner, credential: RegistryCredential) -> RegistryCredential:
    credential.row_url = owner.url("row", credential.pk)
    credential.edit_url = owner.url("edit", credential.pk)
    credential.delete_url = owner.url("delete", credential.pk)
    return credential


def credentials_context(request, owner: Owner, *, add_form=None, editing=None, edit_form=None, **extra) -> dict:
    """What the credentials card needs (also given to the cluster's edit page)."""
    credentials = RegistryCredential.objects.filter(**owner.owner_filter).select_related("set_by")
    return {
        "credentials": [_decorate(owner, c) for c in credentials],
        "credentials_owner": owner.kind,
        "credentials_add_url": owner.url("add"),
        "credentials_page_url": owner.page_url,
        "can_manage_credentials": can(request.user, owner.manage_permission, owner.obj),
        "add_form": add_form or CredentialForm(),
        "editing": editing,
        "edit_form": edit_form,
        **extra,
    }


def _page_context(request, owner: Owner, **extra) -> dict:
    context = {"org": owner.org, "tab": "workspaces" if owner.kind == "workspace" else "clusters"}
    if owner.kind == "workspace":
        context["workspace"] = owner.obj
    return context | credentials_context(request, owner, **extra)


def _rejected(request, owner: Owner, partial: str, context: dict):
    """A refused form: just its partial for HTMX (keeping what was typed, except the password), else the page."""
    if request.htmx:
        return render(request, f"{PARTIALS}#{partial}", context)
    if owner.kind == "cluster":
        from deployments.cluster_views import cluster_form_page

        return cluster_form_page(request, owner.org, owner.obj, status=400, extra=context)
    return render(request, WORKSPACE_PAGE, context, status=400)


def _credential(owner: Owner, pk) -> RegistryCredential:
    queryset = RegistryCredential.objects.filter(**owner.owner_filter).select_related(
        "workspace__organization", "cluster__organization"
    )
    return get_object_or_404(queryset, pk=pk)


# ---------------------------------------------------------------------------------------------- shared views


def _add(request, owner: Owner):
    form = CredentialForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            credential = services.registry_credential_create(
                actor=request.user,
                registry_host=data["registry"],
                username=data["username"],
                password=data["password"],
                **owner.owner_filter,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Credentials for {credential.registry} saved. Deployments pull with them.")
            return done(request, owner.page_url)
    return _rejected(request, owner, "credential-add-form", _page_context(request, owner, add_form=form))


def _row(request, owner: Owner, pk):
    credential = _credential(owner, pk)
    if not request.htmx:
        return redirect(owner.page_url)
    context = _page_context(request, owner, c=_decorate(owner, credential))
    return render(request, f"{PARTIALS}#credential-row", context)


def _edit(request, owner: Owner, pk):
    """GET: the row as a form. POST: save it; a blank password keeps the stored one."""
    credential = _credential(owner, pk)
    if request.method == "GET":
        form = CredentialForm(initial={"username": credential.username})
    else:
        form = CredentialForm(request.POST)
        if form.is_valid():
            try:
                services.registry_credential_update(
                    actor=request.user,
                    credential=credential,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"] or None,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Credentials for {credential.registry} saved.")
                return done(request, owner.page_url)
    context = _page_context(request, owner, editing=credential.pk, edit_form=form, c=_decorate(owner, credential))
    if request.method == "POST":
        return _rejected(request, owner, "credential-row", context)
    if request.htmx:
        return render(request, f"{PARTIALS}#credential-row", context)
    return redirect(owner.page_url)


def _delete(request, owner: Owner, pk):
    credential = _credential(owner, pk)
    services.registry_credential_delete(actor=request.user, credential=credential)
    messages.success(request, f"Credentials for {credential.registry} removed.")
    return done(request, owner.page_url)


# ------------------------------------------------------------------------------------------------ workspace


@require_GET
@organization_view()
def workspace_registry_credentials(request, org, workspace_pk):
    owner = _workspace_owner(request, org, workspace_pk)
    return render(request, WORKSPACE_PAGE, _page_context(request, owner))


@require_POST
@organization_view()
def workspace_registry_credential_add(request, org, workspace_pk):
    return _add(request, _workspace_owner(request, org, workspace_pk, "registry_credential.manage"))


@require_GET
@organization_view()
def workspace_registry_credential_row(request, org, workspace_pk, pk):
    return _row(request, _workspace_owner(request, org, workspace_pk), pk)


@require_http_methods(["GET", "POST"])
@organization_view()
def workspace_registry_credential_edit(request, org, workspace_pk, pk):
    return _edit(request, _workspace_owner(request, org, workspace_pk, "registry_credential.manage"), pk)


@require_POST
@organization_view()
def workspace_registry_credential_delete(request, org, workspace_pk, pk):
    return _delete(request, _workspace_owner(request, org, workspace_pk, "registry_credential.manage"), pk)


# -------------------------------------------------------------------------------------------------- cluster


@require_POST
@organization_view()
def cluster_registry_credential_add(request, org, cluster_pk):
    return _add(request, _cluster_owner(request, org, cluster_pk))


@require_GET
@organization_view()
def cluster_registry_credential_row(request, org, cluster_pk, pk):
    return _row(request, _cluster_owner(request, org, cluster_pk), pk)


@require_http_methods(["GET", "POST"])
@organization_view()
def cluster_registry_credential_edit(request, org, cluster_pk, pk):
    return _edit(request, _cluster_owner(request, org, cluster_pk), pk)


@require_POST
@organization_view()
def cluster_registry_credential_delete(request, org, cluster_pk, pk):
    return _delete(request, _cluster_owner(request, org, cluster_pk), pk)


def workspace_section(request, workspace) -> dict:
    """The workspace page's card linking to the credentials (no query: the page's budget is tested)."""
    return {"show_registry_credentials": can(request.user, "registry_credential.view", workspace)}
