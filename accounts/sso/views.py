"""Single sign-on pages: the organisation's SSO settings (owners), the login page's realm check, one-time bypass
links, and a guard around allauth's OpenID Connect callback."""

import logging

import requests
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization, SSOBypassLink, SSOConnection, SSODomain, SSOGroupMapping, Team
from accounts.sso import domains as sso_domains
from accounts.sso import services as sso
from accounts.sso.adapter import OrganizationOIDCAdapter
from accounts.sso.forms import GroupMappingForm, SSOConnectionForm
from accounts.tenancy import organization_view
from aerodrome.site import absolute_url
from aerodrome.views import add_errors, done, invalid

logger = logging.getLogger(__name__)
TEMPLATE = "accounts/sso_settings.html"


def _connection(org) -> SSOConnection | None:
    return SSOConnection.objects.filter(organization=org).first()


def _context(request, org, connection, **extra):
    teams = Team.objects.filter(organization=org).order_by("name")
    mappings = connection.group_mappings.select_related("team").order_by("group") if connection else []
    links = SSOBypassLink.objects.filter(organization=org).select_related("created_by", "used_by")
    claims = list(connection.domain_claims.all()) if connection else []
    return {
        "domain_claims": claims,
        "any_verified": any(claim.verified_at for claim in claims),
        "org_sign_in_url": absolute_url(reverse("sso_org_sign_in", args=[org.slug])),
        "org": org,
        "connection": connection,
        "form": extra.pop("form", None) or SSOConnectionForm.for_connection(connection),
        "mapping_form": extra.pop("mapping_form", None) or GroupMappingForm(teams=teams),
        "mappings": mappings,
        "has_teams": teams.exists(),
        "bypass_links": links.order_by("-created_at")[:5],
        "callback_url": sso.callback_url(request, org),
        "provider_id": sso.provider_id_for(org),
        "now_value": timezone.now(),
        "tab": "sso",
        **extra,
    }


@require_http_methods(["GET", "POST"])
@organization_view("sso.manage")
def sso_settings(request, org):
    connection = _connection(org)
    if request.method != "POST":
        return render(request, TEMPLATE, _context(request, org, connection))
    form = SSOConnectionForm(request.POST)
    if form.is_valid():
        try:
            sso.sso_connection_save(actor=request.user, organization=org, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Single sign-on settings saved.")
            return done(request, reverse("sso_settings", args=[org.slug]))
    return invalid(request, TEMPLATE, "connection-form", _context(request, org, connection, form=form))


@require_POST
@organization_view("sso.manage")
def sso_delete(request, org):
    connection = get_object_or_404(SSOConnection, organization=org)
    sso.sso_connection_delete(actor=request.user, connection=connection)
    messages.success(request, "Single sign-on removed. Everyone signs in with a password again.")
    return done(request, reverse("sso_settings", args=[org.slug]))


@require_POST
@organization_view("sso.manage")
def sso_mapping_add(request, org):
    connection = get_object_or_404(SSOConnection, organization=org)
    form = GroupMappingForm(request.POST, teams=Team.objects.filter(organization=org))
    if form.is_valid():
        try:
            mapping = sso.sso_group_mapping_add(actor=request.user, connection=connection, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"Members of “{mapping.group}” will be in the team {mapping.team.name}.")
            return done(request, reverse("sso_settings", args=[org.slug]))
    return invalid(request, TEMPLATE, "mappings", _context(request, org, connection, mapping_form=form))


@require_POST
@organization_view("sso.manage")
def sso_mapping_remove(request, org, pk):
    mapping = get_object_or_404(
        SSOGroupMapping.objects.select_related("team", "connection"), connection__organization=org, pk=pk
    )
    sso.sso_group_mapping_remove(actor=request.user, mapping=mapping)
    messages.success(request, f"“{mapping.group}” no longer maps to {mapping.team.name}.")
    return done(request, reverse("sso_settings", args=[org.slug]))


@require_POST
@organization_view("sso.manage")
def sso_domain_verify(request, org, pk):
    """The owner published the TXT record: check it now (HTMX swaps the domains card, with the outcome)."""
    claim = get_object_or_404(
        SSODomain.objects.select_related("connection__organization"), connection__organization=org, pk=pk
    )
    outcome = {"claim_id": claim.pk}
    try:
        claim = sso_domains.sso_domain_verify(actor=request.user, claim=claim)
    except ValidationError as error:
        outcome.update(ok=False, message=" ".join(error.messages))
    else:
        outcome.update(ok=True, message=f"{claim.domain} is verified.")
    context = _context(request, org, claim.connection, domain_outcome=outcome)
    if request.htmx:
        return render(request, f"{TEMPLATE}#domains", context)
    (messages.success if outcome["ok"] else messages.error)(request, outcome["message"])
    return redirect(reverse("sso_settings", args=[org.slug]) + "#sso-domains")


@require_POST
@organization_view("sso.manage")
def sso_bypass_create(request, org):
    connection = get_object_or_404(SSOConnection, organization=org)
    link, token = sso.sso_bypass_link_create(actor=request.user, organization=org)
    # Shown in this answer only; the database keeps a hash.
    context = _context(
        request,
        org,
        connection,
        new_bypass=link,
        new_bypass_url=absolute_url(reverse("sso_bypass", args=[token])),
    )
    if request.htmx:
        return render(request, f"{TEMPLATE}#bypass", context)
    return render(request, TEMPLATE, context)


# Login side (no login required).


@require_GET
@never_cache
def login_realm(request):
    """How the login page should continue for an email address: at an IdP, or with a password."""
    email = request.GET.get("email", "")
    connection = sso.connection_for_login(request, email) if "@" in email else None
    if connection is None or sso.session_bypass_link(request, connection.organization) is not None:
        return JsonResponse({"sso": False, "password": True})
    return JsonResponse({"sso": True, "password": not connection.enforce_sso})


@require_GET
@never_cache
def org_sign_in(request, slug):
    """An organisation's SSO sign-in link: the login page then sends addresses of the domains its connection claims
    to its identity provider, verified or not (a domain not verified yet serves its members and invitees only)."""
    organization = get_object_or_404(Organization, slug=slug, sso_connection__enabled=True)
    request.session[sso.ORG_HINT_SESSION_KEY] = organization.pk
    messages.info(request, f"Sign in to {organization.name} with your organisation's address.")
    return redirect("account_login")


@require_GET
@never_cache
def bypass_link(request, token):
    """Opening a bypass link arms it for this browser; the next successful password login uses it up."""
    link = sso.bypass_link_for_token(token)
    if not sso.bypass_link_usable(link):
        used = link is not None and link.used_at is not None
        context = {
            "sso_error": {
                "title": "This bypass link cannot be used",
                "message": (
                    "It has already been used: each bypass link lets one login through."
                    if used
                    else "It has expired or does not exist."
                )
                + " Ask an owner of your organisation for a new one.",
            }
        }
        return render(request, "socialaccount/authentication_error.html", context, status=410 if link else 404)
    request.session[sso.BYPASS_SESSION_KEY] = link.pk
    messages.info(
        request,
        f"One-time password sign-in for {link.organization.name}: sign in with your email address and password.",
    )
    return redirect(f"{reverse('account_login')}?{urlencode({'step': 'password'})}")


def oidc_callback(request, provider_id):
    """allauth's OpenID Connect callback (with Aerodrome's adapter, which checks the ID token's signature), with a
    readable page instead of a server error when the IdP cannot be reached, answers nonsense, or anything else
    unexpected goes wrong while its answer is handled."""
    try:
        view = OAuth2CallbackView.adapter_view(OrganizationOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist:
        raise Http404("No such identity provider.") from None
    except Http404:
        raise
    except (requests.RequestException, ValueError, KeyError) as exc:
        logger.warning("SSO callback for %s failed: %r", provider_id, exc)
        return _callback_error(request, provider_id, exc)
    except Exception as exc:  # never a server error page for an SSO login: the person gets words, the log the trace
        logger.exception("SSO callback for %s failed unexpectedly", provider_id)
        return _callback_error(request, provider_id, exc)


def _callback_error(request, provider_id, exc):
    try:
        provider = get_social_adapter(request).get_provider(request, provider_id)
    except SocialApp.DoesNotExist:
        raise Http404("No such identity provider.") from None
    return render_authentication_error(request, provider, exception=exc)
