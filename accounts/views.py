"""Organisation pages: home redirect, organisation list, members, settings (name, leave), teams and the audit log.
(The team page's workspace roles are posted to `workspaces.views`: `team_workspace_bind` and its row actions.)"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import pickers, selectors, services
from accounts.forms import (
    AuditFilterForm,
    OrganizationForm,
    RoleForm,
    TeamForm,
    TeamMemberAddForm,
    TeamWorkspaceBindForm,
    picked,
)
from accounts.invitations.views import invitation_panel
from accounts.models import OrganizationMembership, TeamMembership
from accounts.permissions import can, person_organizations, require
from accounts.roles import OrgRole, WorkspaceRole
from accounts.tenancy import organization_view
from aerodrome.views import add_errors, done, invalid, paginate


@login_required
def home(request):
    """Back to the organisation used last, else the first one, else the page to create one."""
    organizations = person_organizations(request.user)
    last_slug = request.session.get("last_org")
    last = next((o for o in organizations if o.slug == last_slug), organizations[0] if organizations else None)
    if last is None:
        return redirect("organization_list")
    return redirect("organization_home", org_slug=last.slug)


@login_required
def organization_list(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Organisation “{org.name}” created. You are its owner.")
            return done(request, reverse("organization_home", args=[org.slug]))
    context = {"organizations": person_organizations(request.user), "form": form}
    if request.htmx and request.method == "POST":
        return render(request, "accounts/organization_list.html#create-form", context)
    return render(request, "accounts/organization_list.html", context, status=400 if form.errors else 200)


def _members_context(request, org, **panel):
    """The members page's context; `panel` (form, outcomes) is the invite form coming back (invitation_panel)."""
    context = {
        "org": org,
        "members": paginate(request, selectors.members_of(organization=org)),
        "roles": OrgRole.choices,
        "can_manage": can(request.user, "organization.manage_members", org),
        "tab": "members",
    }
    if context["can_manage"]:
        context.update(invitation_panel(request, org, **panel))  # the invite form and the open invitations
    return context


@organization_view()
def organization_members(request, org):
    return render(request, "accounts/organization_members.html", _members_context(request, org))


def _membership(org, pk):
    # The decorator has checked the organisation; scoping to it keeps other tenants' rows out of reach.
    return get_object_or_404(
        OrganizationMembership.objects.select_related("user", "organization"), organization=org, pk=pk
    )


@require_POST
@organization_view("organization.manage_members")
def organization_member_role(request, org, pk):
    membership = _membership(org, pk)
    form = RoleForm(request.POST)
    error = None
    try:
        if not form.is_valid():
            raise ValidationError({"role": "Choose a role."})
        services.organization_member_change_role(
            actor=request.user, membership=membership, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        membership.refresh_from_db()
    context = {"org": org, "m": membership, "roles": OrgRole.choices, "can_manage": True, "row_error": error}
    if not error:
        context["row_saved"] = f"{membership.user.email} is now {membership.get_role_display().lower()}."
    return render(request, "accounts/organization_members.html#member-row", context)


@require_POST
@organization_view("organization.manage_members")
def organization_member_remove(request, org, pk):
    membership = _membership(org, pk)
    try:
        services.organization_member_remove(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} was removed from {org.name}.")
    return done(request, reverse("organization_members", args=[org.slug]))


def _settings_context(request, org, rename_form=None):
    return {
        "org": org,
        "rename_form": rename_form or OrganizationForm(initial={"name": org.name}),
        "can_update": can(request.user, "organization.update", org),
        "tab": "settings",
    }


@organization_view()
def organization_settings(request, org):
    return render(request, "accounts/organization_settings.html", _settings_context(request, org))


@require_POST
@organization_view("organization.update")
def organization_rename(request, org):
    form = OrganizationForm(request.POST)
    if form.is_valid():
        try:
            services.organization_update(actor=request.user, organization=org, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Organisation renamed.")
            return done(request, reverse("organization_settings", args=[org.slug]))
    context = _settings_context(request, org, rename_form=form)
    return invalid(request, "accounts/organization_settings.html", "rename-form", context)


@require_POST
@organization_view("organization.leave")
def organization_leave(request, org):
    try:
        services.organization_leave(actor=request.user, organization=org)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return done(request, reverse("organization_settings", args=[org.slug]))
    request.session.pop("last_org", None)
    messages.success(request, f"You left {org.name}.")
    return done(request, reverse("home"))


# Teams


@organization_view()
def team_list(request, org):
    form = TeamForm(request.POST or None)
    can_manage = can(request.user, "team.manage", org)
    if request.method == "POST":
        require(request.user, "team.manage", org)
        if form.is_valid():
            try:
                team = services.team_create(actor=request.user, organization=org, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Team “{team.name}” created.")
                return done(request, reverse("team_detail", args=[org.slug, team.pk]))
    context = {
        "org": org,
        "teams": paginate(request, selectors.teams_of(organization=org)),
        "form": form,
        "can_manage": can_manage,
        "tab": "teams",
    }
    if request.htmx and request.method == "POST":
        return render(request, "accounts/team_list.html#create-form", context)
    return render(request, "accounts/team_list.html", context, status=400 if request.method == "POST" else 200)


def team_context(request, org, team, **forms):
    """The team page's context; `forms` replace its blank forms (one coming back with errors)."""
    members = TeamMembership.objects.filter(team=team).select_related("user").order_by("user__email")
    bindings = team.workspace_bindings.select_related("workspace").order_by("workspace__name")
    can_manage = can(request.user, "team.manage", org)
    member_form = forms.get("member_form") or TeamMemberAddForm(candidates=selectors.team_member_candidates(org, team))
    bind_form = forms.get("bind_form") or TeamWorkspaceBindForm(
        workspaces=selectors.team_workspace_candidates(org, team)
    )
    return {
        "org": org,
        "team": team,
        "members": paginate(request, members),
        "bindings": bindings,
        "roles": WorkspaceRole.choices,
        "rename_form": forms.get("rename_form")
        or TeamForm(initial={"name": team.name, "description": team.description}),
        "member_form": member_form,
        "member_chosen": picked(member_form, "user"),
        "bind_form": bind_form,
        "bind_chosen": picked(bind_form, "workspace"),
        # Asked once each, and only of those who see the forms (the pickers list nobody up front).
        "has_candidates": can_manage and member_form.fields["user"].queryset.exists(),
        "has_workspaces": can_manage and bind_form.fields["workspace"].queryset.exists(),
        "can_manage": can_manage,
        "tab": "teams",
    }


@organization_view()
def team_detail(request, org, pk):
    team = selectors.team_for(request.user, org, pk)
    return render(request, "accounts/team_detail.html", team_context(request, org, team))


def _team_form_response(request, org, team, partial, **forms):
    context = team_context(request, org, team, **forms)
    return invalid(request, "accounts/team_detail.html", partial, context)


@require_POST
@organization_view("team.manage")
def team_update(request, org, pk):
    team = selectors.team_for(request.user, org, pk, "team.manage")
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            services.team_update(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Team saved.")
            return done(request, reverse("team_detail", args=[org.slug, team.pk]))
    team.refresh_from_db()
    return _team_form_response(request, org, team, "rename-form", rename_form=form)


@require_POST
@organization_view("team.manage")
def team_delete(request, org, pk):
    team = selectors.team_for(request.user, org, pk, "team.manage")
    services.team_delete(actor=request.user, team=team)
    messages.success(request, f"Team “{team.name}” deleted.")
    return done(request, reverse("team_list", args=[org.slug]))


@require_POST
@organization_view("team.manage")
def team_member_add(request, org, pk):
    team = selectors.team_for(request.user, org, pk, "team.manage")
    form = TeamMemberAddForm(request.POST, candidates=selectors.team_member_candidates(org, team))
    if form.is_valid():
        try:
            services.team_member_add(actor=request.user, team=team, user=form.cleaned_data["user"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['user'].email} added to {team.name}.")
            return done(request, reverse("team_detail", args=[org.slug, team.pk]))
    return _team_form_response(request, org, team, "member-form", member_form=form)


@require_POST
@organization_view("team.manage")
def team_member_remove(request, org, pk, membership_pk):
    team = selectors.team_for(request.user, org, pk, "team.manage")
    # Scoped to the team, so another team's (or organisation's) membership id is a 404 like an unknown one.
    membership = get_object_or_404(TeamMembership.objects.select_related("user"), team=team, pk=membership_pk)
    services.team_member_remove(actor=request.user, membership=membership)
    messages.success(request, f"{membership.user.email} removed from {team.name}.")
    return done(request, reverse("team_detail", args=[org.slug, team.pk]))


# Audit log


@organization_view("organization.view_audit")
def audit_log(request, org):
    form = AuditFilterForm(
        request.GET or None,
        actors=selectors.organization_users(organization=org),
        actions=selectors.audit_actions(organization=org),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events(organization=org, **filters)
    page = paginate(request, events, per_page=50)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": org,
        "form": form,
        "actor_chosen": picked(form, "actor"),
        "events": page,
        "query": query.urlencode(),
        "tab": "audit",
    }
    if request.htmx:
        return render(request, "accounts/audit_log.html#results", context)
    return render(request, "accounts/audit_log.html", context)


@require_GET
@organization_view("team.manage")
def team_member_search(request, org, pk):
    """The team page's member picker search (HTMX): a few of the organisation's people not in the team yet."""
    team = selectors.team_for(request.user, org, pk, "team.manage")
    return pickers.answer(request, "person", selectors.team_member_candidates(org, team))


@require_GET
@organization_view("team.manage")
def team_workspace_search(request, org, pk):
    """The team page's workspace picker search (HTMX): a few of the workspaces the team has no role on yet."""
    team = selectors.team_for(request.user, org, pk, "team.manage")
    return pickers.answer(request, "workspace", selectors.team_workspace_candidates(org, team))


@require_GET
@organization_view("organization.view_audit")
def audit_actor_candidates(request, org):
    """The audit log's actor filter search (HTMX): a few of the organisation's people."""
    return pickers.answer(request, "person", selectors.organization_users(organization=org))
