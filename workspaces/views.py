"""Organisation home (its workspaces), the workspace page (members, teams, settings), its API tokens page, and the
team page's workspace roles (give the team a role on a workspace, change it, remove it)."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Expression
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import pickers
from accounts import selectors as account_selectors
from accounts.forms import RoleForm, TeamWorkspaceBindForm, picked
from accounts.permissions import can
from accounts.roles import WorkspaceRole
from accounts.tenancy import organization_view
from accounts.tokens.views import TokenPage, list_or_create
from accounts.views import team_context
from aerodrome.views import add_errors, done, invalid, paginate
from workspaces import selectors, services
from workspaces.forms import WorkspaceDeleteForm, WorkspaceForm, WorkspaceMemberAddForm, WorkspaceTeamAddForm
from workspaces.models import Workspace, WorkspaceRoleBinding
from workspaces.selectors import workspace_for

# What the apps above add to the workspace page (deployments: its Deployments card), registered from their
# AppConfig.ready() since this app cannot import them: each gives context for the page from the request and workspace.
_sections: list[Callable[[HttpRequest, Workspace], dict]] = []
# The numbers those sections show, each an expression over the workspace row (aerodrome.subqueries.count_of): the
# page loads them with the workspace, in its one query, and the sections read them as the workspace's attributes.
_counts: dict[str, Callable[[], Expression]] = {}


def register_section(context: Callable[[HttpRequest, Workspace], dict], counts=None) -> None:
    if context not in _sections:
        _sections.append(context)
    _counts.update(counts or {})


def _page_workspace(request, org, pk, permission: str | None = None) -> Workspace:
    """The workspace with everything its page counts (its sections' numbers, whether anyone or any team may still
    be added), in one query."""
    annotations = {**selectors.addable(), **{name: count() for name, count in _counts.items()}}
    return workspace_for(request.user, org, pk, permission, annotations=annotations)


def _home_context(request, org, form=None):
    return {
        "org": org,
        "workspaces": paginate(request, selectors.workspaces_for_home(actor=request.user, organization=org)),
        "form": form or WorkspaceForm(),
        "can_create": can(request.user, "workspace.create", org),
        "tab": "workspaces",
    }


@organization_view()
def organization_home(request, org):
    return render(request, "workspaces/organization_home.html", _home_context(request, org))


@require_POST
@organization_view("workspace.create")
def workspace_create(request, org):
    form = WorkspaceForm(request.POST)
    if form.is_valid():
        try:
            workspace = services.workspace_create(actor=request.user, organization=org, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Workspace “{workspace.name}” created.")
            return done(request, reverse("workspace_detail", args=[org.slug, workspace.pk]))
    context = _home_context(request, org, form)
    return invalid(request, "workspaces/organization_home.html", "create-form", context)


# Forms the workspace page shows only when asked (`?show=`): rarely used, so they are loaded on demand (HTMX) rather
# than rendered into every visit. The name of each, the permission it needs and its partial.
ON_DEMAND = {"settings": ("workspace.update", "settings-form"), "delete": ("workspace.delete", "delete-form")}


def _access_page(request, workspace):
    page = paginate(request, selectors.people_with_access(workspace=workspace))
    page.object_list = selectors.access_of(workspace=workspace, users=page.object_list)
    return page


def _detail_context(request, workspace, show=None, **forms):
    can_manage = can(request.user, "workspace.manage_members", workspace)
    member_form = forms.get("member_form") or WorkspaceMemberAddForm(
        candidates=selectors.member_candidates(workspace=workspace)
    )
    team_form = forms.get("team_form") or WorkspaceTeamAddForm(teams=selectors.team_candidates(workspace=workspace))
    context = {
        "org": workspace.organization,
        "workspace": workspace,
        "access": _access_page(request, workspace),
        "team_bindings": selectors.team_bindings(workspace=workspace),
        "roles": WorkspaceRole.choices,
        "can_manage": can_manage,
        "can_update": can(request.user, "workspace.update", workspace),
        "member_form": member_form,
        "member_chosen": picked(member_form, "user"),
        "team_chosen": picked(team_form, "team"),
        # Loaded with the workspace (_page_workspace), shown only to those who see the forms.
        "has_candidates": can_manage and workspace.has_candidates,
        "has_teams": can_manage and workspace.has_teams,
        "team_form": team_form,
        "show": show,
        "tab": "workspaces",
    }
    if show == "settings" or "settings_form" in forms:
        context["show"] = "settings"
        context["settings_form"] = forms.get("settings_form") or WorkspaceForm(
            initial={"name": workspace.name, "description": workspace.description}
        )
    if show == "delete" or "delete_form" in forms:
        context["show"] = "delete"
        context["delete_form"] = forms.get("delete_form") or WorkspaceDeleteForm()
    for section in _sections:
        context.update(section(request, workspace))
    return context


def _form_response(request, workspace, partial, **forms):
    context = _detail_context(request, workspace, **forms)
    return invalid(request, "workspaces/workspace_detail.html", partial, context)


@organization_view()
def workspace_detail(request, org, pk):
    show = request.GET.get("show")
    if show in ON_DEMAND:  # a form loaded on demand: 403 for those who may not use it
        permission, partial = ON_DEMAND[show]
        workspace = _page_workspace(request, org, pk, permission)
        context = _detail_context(request, workspace, show=show)
        if request.htmx:
            return render(request, f"workspaces/workspace_detail.html#{partial}", context)
        return render(request, "workspaces/workspace_detail.html", context)
    workspace = _page_workspace(request, org, pk)
    return render(request, "workspaces/workspace_detail.html", _detail_context(request, workspace))


@require_GET
@organization_view()
def workspace_member_candidates(request, org, pk):
    """The member picker's search (HTMX): a few members of the organisation without a direct role here yet."""
    workspace = workspace_for(request.user, org, pk, "workspace.manage_members")
    candidates = selectors.member_candidates(workspace=workspace)
    return pickers.answer(request, "person", candidates, empty_hint="only members without a role here")


@require_GET
@organization_view()
def workspace_team_candidates(request, org, pk):
    """The team picker's search (HTMX): a few teams of the organisation without a role here yet."""
    workspace = workspace_for(request.user, org, pk, "workspace.manage_members")
    candidates = selectors.team_candidates(workspace=workspace)
    return pickers.answer(request, "team", candidates, empty_hint="only teams without a role here")


@require_POST
@organization_view()
def workspace_member_add(request, org, pk):
    workspace = _page_workspace(request, org, pk, "workspace.manage_members")  # the page again if refused
    form = WorkspaceMemberAddForm(request.POST, candidates=selectors.member_candidates(workspace=workspace))
    if form.is_valid():
        try:
            services.workspace_member_add(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['user'].email} added to {workspace.name}.")
            return done(request, reverse("workspace_detail", args=[org.slug, workspace.pk]))
    return _form_response(request, workspace, "member-form", member_form=form)


@require_POST
@organization_view()
def workspace_team_add(request, org, pk):
    workspace = _page_workspace(request, org, pk, "workspace.manage_members")
    form = WorkspaceTeamAddForm(request.POST, teams=selectors.team_candidates(workspace=workspace))
    if form.is_valid():
        try:
            services.workspace_team_add(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Team {form.cleaned_data['team'].name} added to {workspace.name}.")
            return done(request, reverse("workspace_detail", args=[org.slug, workspace.pk]))
    return _form_response(request, workspace, "team-form", team_form=form)


def _binding(workspace, binding_pk) -> WorkspaceRoleBinding:
    return get_object_or_404(
        WorkspaceRoleBinding.objects.select_related("user", "team", "workspace__organization"),
        workspace=workspace,
        pk=binding_pk,
    )


def _change_role(request, binding) -> tuple[str | None, str | None]:
    """An inline role change of a binding (workspace page or team page): (error, confirmation) for its row."""
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"role": "Choose a role."})
        services.workspace_binding_change_role(actor=request.user, binding=binding, role=form.cleaned_data["role"])
    except ValidationError as exc:
        binding.refresh_from_db()
        return " ".join(exc.messages), None
    return None, f"Role changed to {binding.get_role_display()}."


@require_POST
@organization_view()
def workspace_binding_role(request, org, pk, binding_pk):
    """Inline role change (HTMX): answers with the updated row."""
    workspace = workspace_for(request.user, org, pk, "workspace.manage_members")
    binding = _binding(workspace, binding_pk)
    error, saved = _change_role(request, binding)
    if binding.team_id:
        row = next(b for b in selectors.team_bindings(workspace=workspace) if b.pk == binding.pk)
        partial, context = "team-row", {"b": row}
    else:
        person = selectors.people_with_access(workspace=workspace).filter(pk=binding.user_id)
        (access,) = selectors.access_of(workspace=workspace, users=person)
        partial, context = "access-row", {"a": access}
    context.update(
        org=org, workspace=workspace, roles=WorkspaceRole.choices, can_manage=True, row_error=error, row_saved=saved
    )
    return render(request, f"workspaces/workspace_detail.html#{partial}", context)


@require_POST
@organization_view()
def workspace_binding_remove(request, org, pk, binding_pk):
    workspace = workspace_for(request.user, org, pk, "workspace.manage_members")
    binding = _binding(workspace, binding_pk)
    services.workspace_binding_remove(actor=request.user, binding=binding)
    messages.success(request, f"{binding.subject} no longer has a direct role on {workspace.name}.")
    return done(request, reverse("workspace_detail", args=[org.slug, workspace.pk]))


@require_POST
@organization_view()
def workspace_update(request, org, pk):
    workspace = _page_workspace(request, org, pk, "workspace.update")
    form = WorkspaceForm(request.POST)
    if form.is_valid():
        try:
            services.workspace_update(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Workspace saved.")
            return done(request, reverse("workspace_detail", args=[org.slug, workspace.pk]))
    workspace.refresh_from_db()
    return _form_response(request, workspace, "settings-form", settings_form=form)


@require_POST
@organization_view()
def workspace_delete(request, org, pk):
    workspace = _page_workspace(request, org, pk, "workspace.delete")
    form = WorkspaceDeleteForm(request.POST)
    if form.is_valid():
        try:
            services.workspace_delete(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Workspace “{workspace.name}” deleted.")
            return done(request, reverse("organization_home", args=[org.slug]))
    return _form_response(request, workspace, "delete-form", delete_form=form)


# API tokens


class WorkspaceTokenPage(TokenPage):
    """The workspace's API tokens (with its Deployments'), in the frame of the organisation's token page."""

    scope = TokenPage.scope.WORKSPACE
    roles = WorkspaceRole.choices
    find = staticmethod(workspace_for)

    def __init__(self, request, org, workspace):
        super().__init__(request, org, workspace)
        self.workspace = workspace

    @property
    def url(self) -> str:
        return reverse("workspace_tokens", args=[self.org.slug, self.workspace.pk])

    def frame(self) -> dict:
        return {"layout": "accounts/tokens_layout.html", "tab": "workspaces"}


@require_http_methods(["GET", "POST"])
@organization_view()
def workspace_tokens(request, org, workspace_id):
    workspace = workspace_for(request.user, org, workspace_id, "token.manage_workspace")
    return list_or_create(request, WorkspaceTokenPage(request, org, workspace))


# Team page


@require_POST
@organization_view("team.manage")
def team_workspace_bind(request, org, pk):
    """From the team page (accounts'): a role for the team on one of the organisation's workspaces."""
    team = account_selectors.team_for(request.user, org, pk, "team.manage")
    form = TeamWorkspaceBindForm(request.POST, workspaces=account_selectors.team_workspace_candidates(org, team))
    if form.is_valid():
        try:
            services.workspace_team_add(
                actor=request.user, workspace=form.cleaned_data["workspace"], team=team, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{team.name} now has a role on {form.cleaned_data['workspace'].name}.")
            return done(request, reverse("team_detail", args=[org.slug, team.pk]))
    return invalid(request, "accounts/team_detail.html", "bind-form", team_context(request, org, team, bind_form=form))


def _team_binding(team, binding_pk) -> WorkspaceRoleBinding:
    # Scoped to the team: another team's binding, or a person's, is a 404 like an unknown one.
    return get_object_or_404(
        WorkspaceRoleBinding.objects.select_related("team", "workspace__organization"), team=team, pk=binding_pk
    )


@require_POST
@organization_view("team.manage")
def team_workspace_role(request, org, pk, binding_pk):
    """Inline role change on the team page (HTMX): answers with the updated row. The service also requires
    workspace.manage_members on the binding's workspace."""
    team = account_selectors.team_for(request.user, org, pk, "team.manage")
    binding = _team_binding(team, binding_pk)
    error, saved = _change_role(request, binding)
    context = {
        "org": org,
        "team": team,
        "b": binding,
        "roles": WorkspaceRole.choices,
        "can_manage": True,
        "row_error": error,
        "row_saved": saved,
    }
    return render(request, "accounts/team_detail.html#binding-row", context)


@require_POST
@organization_view("team.manage")
def team_workspace_remove(request, org, pk, binding_pk):
    team = account_selectors.team_for(request.user, org, pk, "team.manage")
    binding = _team_binding(team, binding_pk)
    services.workspace_binding_remove(actor=request.user, binding=binding)
    messages.success(request, f"{team.name} no longer has a role on {binding.workspace.name}.")
    return done(request, reverse("team_detail", args=[org.slug, team.pk]))
