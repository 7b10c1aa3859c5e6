"""Helpers every dashboard view uses: HTMX-aware responses, form errors, safe redirects, pagination.

Tenant-scoped lookups (`get_for_actor`, `organization_view`) live in `accounts.tenancy`, next to the permissions
they apply: this package is the lowest layer and imports no app."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZE = 25


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
