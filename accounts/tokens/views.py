"""API token pages for the owners of each scope: an organisation's (`/orgs/<slug>/tokens/`, which also lists every
token of the organisation), a workspace's (with its Deployments' tokens) and a Deployment's tab. The last two are
`TokenPage` subclasses in their apps (`workspaces.views`, `deployments.token_views`); rotating and deleting any
token happen here, answered with the page the token belongs on.

Creating or rotating answers with the secret, once: it is in that response only (Aerodrome keeps a hash), never
in a redirect, the session or a later page. Outsiders get 404, people who can see the scope but do not own it 403.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiToken
from accounts.permissions import require
from accounts.roles import OrgRole
from accounts.tenancy import NOT_FOUND, organization_view
from accounts.tokens import services as tokens
from accounts.tokens.forms import TokenCreateForm
from aerodrome.views import add_errors, done, invalid, paginate, safe_next

TEMPLATE = "accounts/tokens.html"
Scope = ApiToken.Scope


# ------------------------------------------------------------------------------------------------------ pages


class TokenPage:
    """The organisation's API token page, and the base of the workspace's and the Deployment's, which live in those
    apps (accounts cannot import them) and `register` for their scope. A page knows its target, how to find one
    the way its app's pages do, its address and the frame (layout) around the token card."""

    scope = Scope.ORGANIZATION
    roles = OrgRole.choices
    workspace = deployment = None

    def __init__(self, request, org, target=None):
        self.request, self.org = request, org
        self.target = org if target is None else target

    @staticmethod
    def find(actor, org, pk, permission=None):
        """The target with this id as the app's own pages find it (404 if the actor cannot see it, then 403 below
        `permission`). The organisation's page has only the organisation, which `organization_view` checked."""
        return org

    @property
    def url(self) -> str:
        return reverse("organization_tokens", args=[self.org.slug])

    def frame(self) -> dict:
        """The layout the page extends, and what that layout needs."""
        return {"layout": "accounts/tokens_layout.html", "tab": "tokens"}

    @classmethod
    def of(cls, request, token: ApiToken) -> "TokenPage":
        """The page a token belongs on."""
        return _pages[token.scope](request, token.organization, getattr(token, token.scope.lower()))

    def tokens(self):
        if self.scope == Scope.ORGANIZATION:  # the organisation's page shows every token of the organisation
            return tokens.tokens_for(actor=self.request.user, organization=self.org)
        return tokens.tokens_for(actor=self.request.user, workspace=self.workspace, deployment=self.deployment)

    def context(self, *, form=None, new_secret=None, **extra) -> dict:
        context = {
            "org": self.org,
            "workspace": self.workspace,
            "deployment": self.deployment,
            "scope": self.scope,
            "target": self.target,
            "page_url": self.url,
            "tokens": paginate(self.request, self.tokens()),
            "form": form or TokenCreateForm(roles=self.roles),
            "new_secret": new_secret,
            **extra,
        }
        return {**self.frame(), **context}

    def render(self, **kwargs):
        return _secret_safe(render(self.request, TEMPLATE, self.context(**kwargs)))

    def render_parts(self, *parts, **kwargs) -> HttpResponse:
        """Several partials in one HTMX answer: the first swaps the request's target, the others out of band
        (each in a <template>, so that a table row survives parsing outside its table)."""
        context = self.context(**kwargs)
        html = [render_to_string(f"{TEMPLATE}#{parts[0]}", context, request=self.request)]
        for part in parts[1:]:
            oob = render_to_string(f"{TEMPLATE}#{part}", {**context, "oob": True}, request=self.request)
            html.append(f"<template>{oob}</template>")
        return _secret_safe(HttpResponse("".join(html)))


_pages: dict[str, type[TokenPage]] = {Scope.ORGANIZATION: TokenPage}


def register(page: type[TokenPage]) -> None:
    """Makes `page` the page of its scope's tokens (for rotating and deleting them from it)."""
    _pages[page.scope] = page


def _token(request, org, pk) -> ApiToken:
    """A token of this organisation: 404 unless the actor can see its workspace or Deployment, then 403 unless it
    may manage it."""
    token = (
        ApiToken.objects.filter(organization=org, pk=pk)
        .select_related("organization", "workspace", "deployment", "created_by")
        .first()
    )
    if token is None:
        raise Http404(NOT_FOUND)
    _pages[token.scope].find(request.user, org, getattr(token, f"{token.scope.lower()}_id"))
    require(request.user, tokens.manage_permission(token.scope), token.workspace or org)
    return token


def _secret_safe(response):
    """Never stored by a browser or a proxy: an answer may hold a secret shown once."""
    add_never_cache_headers(response)
    return response


# ------------------------------------------------------------------------------------------------------ views


def list_or_create(request, page: TokenPage):
    """A token page: GET shows it, POST creates a token and shows its secret once (each scope's view calls this)."""
    if request.method == "GET":
        return page.render()
    form = TokenCreateForm(request.POST, roles=page.roles)
    if form.is_valid():
        try:
            token, plaintext = tokens.token_create(
                actor=request.user,
                **{page.scope.lower(): page.target},
                role=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                error.error_dict["expires_on" if form.cleaned_data["expires"] == "date" else "expires"] = (
                    error.error_dict.pop("expires_at")
                )
            add_errors(form, error)
        else:
            new_secret = {"token": token, "plaintext": plaintext, "action": "created"}
            if request.htmx:  # a fresh form, and out of band the secret and the list with the new token
                return page.render_parts("create-form", "secret", "tokens-card", new_secret=new_secret)
            return page.render(new_secret=new_secret)
    return invalid(request, TEMPLATE, "create-form", page.context(form=form))


@require_http_methods(["GET", "POST"])
@organization_view("token.manage_organization")
def organization_tokens(request, org):
    return list_or_create(request, TokenPage(request, org))


@require_POST
@organization_view()
def token_rotate(request, org, pk):
    token = _token(request, org, pk)
    page = TokenPage.of(request, token)
    try:
        plaintext = tokens.token_rotate(actor=request.user, token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return done(request, safe_next(request, page.url))
    new_secret = {"token": token, "plaintext": plaintext, "action": "rotated"}
    if request.htmx:  # the secret at the top of the page, and out of band the row with its new prefix
        return page.render_parts("secret", "token-row", new_secret=new_secret, t=token)
    return page.render(new_secret=new_secret)


@require_POST
@organization_view()
def token_delete(request, org, pk):
    token = _token(request, org, pk)
    page = TokenPage.of(request, token)
    tokens.token_delete(actor=request.user, token=token)
    messages.success(request, f"API token “{token.name}” ({token.prefix}) deleted. It no longer works.")
    return done(request, safe_next(request, page.url))
