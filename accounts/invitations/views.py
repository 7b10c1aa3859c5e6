"""Invitation pages: owners invite, resend and revoke on the organisation's members page; anyone holding a link
opens the accept page (`/invitations/<token>/`).

The accept page, by visitor:
- logged out: who invited them to what, and two ways on: create an account (sign-up form pre-filled with the
  invited address, which is all it accepts) or log in. Choosing one is a POST that remembers the invitation in
  the session; the account adapter accepts it right after the login or sign-up, and `next` brings the visitor
  back here, which then forwards to the organisation.
- logged in with the invited address (or a verified one of theirs): a button that joins.
- logged in as someone else: says so, offers to log out and come back; joins nothing.
- a link that is unknown (mistyped, or replaced by a resend), expired, revoked or already used: a page saying
  which, with status 404 or 410.
"""

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import pickers
from accounts.forms import InvitationForm, picked
from accounts.invitations import services as invitations
from accounts.models import Invitation, User
from accounts.tenancy import organization_view
from aerodrome.views import add_errors, done, paginate

LIST_PAGE_SIZE = 25
LIST_PAGE_PARAM = "invitations_page"
_LEVELS = {
    "invited": messages.SUCCESS,
    "unsent": messages.WARNING,
    "member": messages.INFO,
    "pending": messages.WARNING,
    "malformed": messages.ERROR,
}


def _form(org, data=None, **kwargs) -> InvitationForm:
    # The organisation's workspaces through their relation: accounts does not import the workspaces app.
    return InvitationForm(data, workspaces=org.workspaces.all(), **kwargs)


@require_GET
@organization_view("organization.manage_members")
def invitation_workspaces(request, org):
    """The invite form's workspace picker search (HTMX): a few of the organisation's workspaces, so the members
    page stays the same size however many workspaces there are."""
    return pickers.answer(request, "workspace", org.workspaces.all())


def invitation_panel(request, org, form=None, outcomes=None) -> dict:
    """What the members page needs to show the invite form and the open invitations (owners only)."""
    open_ = invitations.open_invitations(organization=org)
    form = form or _form(org)
    return {
        "invite_form": form,
        "invite_workspace": picked(form, "workspace"),
        "invite_outcomes": outcomes,
        "invitations": paginate(request, open_, LIST_PAGE_SIZE, param=LIST_PAGE_PARAM),
        "invitations_page_param": LIST_PAGE_PARAM,
    }


def _members_page(request, org, form=None, outcomes=None) -> dict:
    from accounts.views import _members_context  # the members page's context, which includes invitation_panel's

    return _members_context(request, org, form=form, outcomes=outcomes)


@require_POST
@organization_view("organization.manage_members")
def invitation_create(request, org):
    form = _form(org, request.POST)
    outcomes = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            outcomes = invitations.invitations_create(
                actor=request.user,
                organization=org,
                emails=[data["emails"]],
                org_role=data["org_role"],
                workspace=data["workspace"],
                workspace_role=data["workspace_role"] if data["workspace"] else "",
            )
        except ValidationError as error:
            add_errors(form, error)
    if outcomes is None:
        context = _members_page(request, org, form=form)
        if request.htmx:
            return render(request, "accounts/partials/invitation_form.html", context)
        return render(request, "accounts/organization_members.html", context, status=400)

    if not request.htmx:
        for outcome in outcomes:
            level = _LEVELS["unsent" if outcome.ok and not outcome.sent else outcome.result]
            messages.add_message(request, level, outcome.message)
        return redirect("organization_members", org_slug=org.slug)
    # HTMX: the form again, with a line per address, the malformed ones left in the box to fix, and the
    # pending list refreshed out of band.
    retry = "\n".join(o.email for o in outcomes if o.result == "malformed")
    fresh = _form(
        org,
        initial={
            "emails": retry,
            "org_role": form.cleaned_data["org_role"],
            "workspace": form.cleaned_data["workspace"],
            "workspace_role": form.cleaned_data["workspace_role"],
        },
    )
    context = _members_page(request, org, form=fresh, outcomes=outcomes)
    return render(request, "accounts/invitations_created.html", context)


def _invitation(org, pk) -> Invitation:
    # The decorator has checked the organisation; scoping to it puts other tenants' invitations out of reach.
    return get_object_or_404(
        Invitation.objects.select_related("organization", "workspace"),
        organization=org,
        pk=pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )


@require_POST
@organization_view("organization.manage_members")
def invitation_resend(request, org, pk):
    invitation = _invitation(org, pk)
    try:
        invitations.invitation_resend(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"A new invitation link was sent to {invitation.email}; the old one no longer works.")
    return done(request, reverse("organization_members", args=[org.slug]) + "#invitations")


@require_POST
@organization_view("organization.manage_members")
def invitation_revoke(request, org, pk):
    invitation = _invitation(org, pk)
    try:
        invitations.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked; its link no longer works.")
    return done(request, reverse("organization_members", args=[org.slug]) + "#invitations")


# ----------------------------------------------------------------------------------------- the accept page


def _page(request, state: str, invitation=None, status: int = 200, **extra):
    context = {"state": state, "invitation": invitation, **extra}
    return render(request, "accounts/invitation_accept.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    invitation = invitations.invitation_for_token(token)
    if invitation is None:
        return _page(request, "unknown", status=404)
    user = request.user
    org = invitation.organization
    status = invitation.status
    if status == "ACCEPTED":
        if user.is_authenticated and invitation.accepted_by_id == user.pk:
            return redirect("organization_home", org_slug=org.slug)  # back from sign-up or login: joined
        return _page(request, "used", invitation, status=410)
    if status == "REVOKED":
        return _page(request, "revoked", invitation, status=410)
    if status == "EXPIRED":
        return _page(request, "expired", invitation, status=410)

    here = request.path
    if not user.is_authenticated:
        if request.method == "POST":
            # Remembered (as the hash) so the account adapter can accept once the visitor is logged in.
            request.session[invitations.SESSION_KEY] = invitation.token_hash
            query = urlencode({"next": here})
            if request.POST.get("action") == "signup":
                get_adapter(request).stash_verified_email(request, invitation.email)
                messages.info(request, f"Create your account with {invitation.email} to join {org.name}.")
                return redirect(f"{reverse('account_signup')}?{query}")
            messages.info(request, f"Log in as {invitation.email} to join {org.name}.")
            return redirect(f"{reverse('account_login')}?{query}")
        has_account = User.objects.filter(email__iexact=invitation.email, is_active=True).exists()
        return _page(request, "anonymous", invitation, has_account=has_account)

    if not invitations.email_matches(user, invitation.email):
        return _page(request, "wrong_user", invitation, status=403, next_url=here)

    if request.method == "POST":
        try:
            invitations.invitation_accept(user=user, invitation=invitation)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(here)
        messages.success(request, f"You joined {org.name}.")
        return redirect("organization_home", org_slug=org.slug)
    return _page(request, "confirm", invitation)
