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


def _first(number) -> bool:
    """Whether get_page(number) shows the first page without needing the count: 1, or no number at all."""
    try:
        return int(number) == 1
    except (TypeError, ValueError):
        return True


class FirstPageCountingPaginator(Paginator):
    """A Paginator that counts only when the first page is full: a first page with fewer rows than a page holds is
    everything there is, which is what most lists are (a workspace's people, an organisation's teams), and its
    rows then come in one query instead of a count and the rows."""

    def get_page(self, number):
        if _first(number) and self.orphans == 0 and "count" not in self.__dict__:
            rows = list(self.object_list[: self.per_page])
            if len(rows) < self.per_page:
                self.__dict__["count"] = len(rows)  # what the `count` cached property would have found
            return self._get_page(rows, 1, self)
        return super().get_page(number)


def paginate(request, queryset, per_page: int = PAGE_SIZE, param: str = "page", count: int | None = None):
    """The page of `queryset` the request asks for with `?<param>=` (the first when absent or not a number, the
    last when past the end). `count`, when the caller has it already, saves counting the rows."""
    paginator = FirstPageCountingPaginator(queryset, per_page)
    if count is not None:
        paginator.__dict__["count"] = count  # what the `count` cached property would have found
    return paginator.get_page(request.GET.get(param))
