"""Helpers every dashboard view uses: tenant-scoped lookups, HTMX-aware responses, pagination."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Organization
from accounts.permissions import require

PAGE_SIZE = 25


def get_for_actor(queryset, actor, *, view_permission: str, permission: str | None = None, **lookup):
    """The object the actor may see, or 404; then 403 if its role is too low for `permission`."""
    obj = queryset.for_actor(actor, view_permission).filter(**lookup).first()
    if obj is None:
        raise Http404("Not found, or you do not have access to it.")
    if permission:
        require(actor, permission, obj)
    return obj


def organization_view(permission: str = "organization.view"):
    """Loads the organisation named by the URL's `org_slug` (404 for outsiders, 403 for too low a role)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, org_slug, *args, **kwargs):
            org = get_for_actor(Organization.objects, request.user, view_permission="organization.view", slug=org_slug)
            request.organization = org
            request.session["last_org"] = org.slug
            require(request.user, permission, org)
            return view(request, org, *args, **kwargs)

        return wrapper

    return decorator


def done(request, url: str):
    """The answer to a successful POST: HTMX follows HX-Location, plain browsers a redirect."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Location"] = url
        return response
    return redirect(url)


def invalid(request, template: str, partial: str, context: dict):
    """The answer to a rejected form: HTMX gets just the form partial (with its errors, keeping the input),
    a plain browser the whole page with status 400."""
    if request.htmx:
        return render(request, f"{template}#{partial}", context)
    return render(request, template, context, status=400)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def add_errors(form, error: ValidationError) -> None:
    """Puts a service's ValidationError on the form, next to the field it concerns."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
