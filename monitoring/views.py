"""The Deployment's Logs tab: filters, the merged lines, a live tail polled every 2 s from a cursor, a download.

The page renders its filters at once and loads the lines into `#log-panel` (so a slow cluster never holds the page
up); the panel ends with a poller that asks `logs/tail/` for lines newer than its cursor while Live is on. Anyone
who may see the Deployment (MEMBER and up) may read its logs; outsiders get a 404 like any Deployment page.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts.tenancy import organization_view
from deployments.models import Deployment
from deployments.selectors import deployment_for
from deployments.views import deployment_layout
from monitoring.logs import selectors
from monitoring.logs.parsing import LEVELS
from monitoring.logs.query import DEFAULT_WINDOW, WINDOW_LABELS, LogQuery, parse_query

LEVEL_CHOICES = [("", "All levels"), *[(level, f"{level.title()} and up") for level in LEVELS[:4]]]


def _read(request, org, pk) -> tuple[Deployment, list, LogQuery | None, dict]:
    """The Deployment (a 404 unless the person may see it), its components, and the filters the request asks for
    (None and the errors by field when they are not valid)."""
    deployment = deployment_for(request.user, org, pk)
    components = selectors.components(deployment)
    try:
        return deployment, components, parse_query(request.GET, components, deployment.pk), {}
    except ValidationError as error:
        return deployment, components, None, {field: " ".join(msgs) for field, msgs in error.message_dict.items()}


def _context(request, deployment, components, query, errors, **extra) -> dict:
    params = query.params() if query else []
    return deployment_layout(
        request,
        deployment,
        "logs",
        components=components,
        chosen={component.key for component in query.components} if query else set(),
        query=query,
        errors=errors,
        level_choices=LEVEL_CHOICES,
        window_choices=list(WINDOW_LABELS.items()),
        window=(query.since if query and query.since else DEFAULT_WINDOW),
        query_string=urlencode(params),
        download_url=_url("deployment_log_download", deployment, query) if query else "",
        lines_url=_url("deployment_log_lines", deployment, query) if query else "",
        **extra,
    )


def _url(name: str, deployment, query: LogQuery | None, **more) -> str:
    url = reverse(name, args=[deployment.workspace.organization.slug, deployment.pk])
    params = (query.params() if query else []) + [(key, value) for key, value in more.items() if value is not None]
    return f"{url}?{urlencode(params)}" if params else url


@require_GET
@organization_view()
def deployment_logs(request, org, pk):
    deployment, components, query, errors = _read(request, org, pk)
    context = _context(request, deployment, components, query, errors)
    return render(request, "monitoring/logs.html", context, status=400 if errors else 200)


@require_GET
@organization_view()
def deployment_log_lines(request, org, pk):
    """The panel: notices, the newest lines, and the poller that tails from their cursor."""
    deployment, components, query, errors = _read(request, org, pk)
    if not request.htmx:
        return redirect(f"{reverse('deployment_logs', args=[org.slug, pk])}?{request.GET.urlencode()}")
    context = _context(request, deployment, components, query, errors)
    if query:
        try:
            page = selectors.read_logs(deployment, query)
        except selectors.LogsUnavailable as error:
            context["unavailable"] = error.reason
        else:
            context["page"] = page
            cursor = page.cursor.encode(deployment.pk)
            context["tail_url"] = _url("deployment_log_tail", deployment, query, cursor=cursor)
            context["previous_url"] = _url("deployment_logs", deployment, query, previous="true")
    return render(request, "monitoring/logs.html#log-panel", context)


@require_GET
@organization_view()
def deployment_log_tail(request, org, pk):
    """Lines newer than the cursor, appended to the view out of band, and the poller again with the next cursor."""
    deployment, components, query, errors = _read(request, org, pk)
    if not request.htmx or query is None or query.cursor is None:
        return HttpResponse(status=286)  # htmx stops polling on 286
    context = _context(request, deployment, components, query, errors)
    try:
        page = selectors.read_logs(deployment, query)
    except selectors.LogsUnavailable as error:
        context["tail_error"] = error.reason
        # The same cursor: the next poll tries again from where this one was.
        context["tail_url"] = _url("deployment_log_tail", deployment, query, cursor=request.GET["cursor"])
    else:
        context["page"] = page
        context["tail_url"] = _url("deployment_log_tail", deployment, query, cursor=page.cursor.encode(deployment.pk))
    return render(request, "monitoring/logs.html#log-tail", context)


@require_GET
@organization_view()
def deployment_log_download(request, org, pk):
    """The filtered result as text (at most LOGS_DOWNLOAD_LINES, the newest), a line each."""
    deployment, components, query, errors = _read(request, org, pk)
    if query is None:
        return HttpResponse("\n".join(errors.values()) + "\n", status=400, content_type="text/plain; charset=utf-8")
    try:
        page = selectors.read_logs(deployment, query, max_lines=settings.LOGS_DOWNLOAD_LINES)
    except selectors.LogsUnavailable as error:
        return HttpResponse(error.reason + "\n", status=503, content_type="text/plain; charset=utf-8")
    notes = "".join(f"# {notice.text}\n" for notice in page.notices if notice.kind in ("bound", "gone", "error"))
    body = notes + "".join(selectors.iter_text(page))
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{deployment.release_name}-logs.txt"'
    return response
