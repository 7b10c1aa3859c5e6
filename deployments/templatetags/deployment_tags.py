"""Small display helpers for the Deployment pages."""

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from aerodrome.row_urls import row_url

register = template.Library()


@register.filter
def any_in_progress(deployments) -> bool:
    """True while some Deployment is still changing (its list keeps polling)."""
    return any(not d.is_final for d in deployments)


@register.filter
def cpu(value) -> str:
    """Cores without trailing zeros: 0.50 -> 0.5, 2.00 -> 2."""
    number = Decimal(str(value))
    return f"{number.normalize():f}" if number else "0"


@register.filter
def mib(value) -> str:
    """MiB as a reader would say it: 512 MiB, 2 GiB, 1.5 GiB."""
    value = int(value)
    if value >= 1024:
        gib = Decimal(value) / 1024
        return f"{gib.quantize(Decimal('0.1')).normalize():f} GiB"
    return f"{value} MiB"


@register.filter
def ago(value) -> str:
    """“just now” or “3 minutes ago”."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value)} ago"


_STATUS_COLOURS = {
    "HEALTHY": "green",
    "CREATING": "blue",
    "DEPLOYING": "blue",
    "RENDERED": "azure",
    "UNHEALTHY": "orange",
    "FAILED": "red",
    "HIBERNATING": "purple",
}


_SPINNER = mark_safe('<span class="spinner-border" role="status" aria-hidden="true"></span>')  # a constant


@register.simple_tag
def status_badge(deployment):
    """A Deployment's status, coloured, with a spinner while it is changing. A tag rather than an included
    template: the workspace page shows one per row."""
    status = deployment.status
    if deployment.is_final:
        animated = " status-dot-animated" if status == "HEALTHY" else ""
        marker = format_html('<span class="status-dot{}"></span>', animated)
    else:
        marker = _SPINNER
    return format_html(
        '<span class="status deployment-status status-{}" data-status="{}">{}{}</span>',
        _STATUS_COLOURS.get(status, "secondary"),
        status,
        marker,
        deployment.get_status_display(),
    )


_DEPLOYMENT_ROW = """<tr id="deployment-{pk}">
  <td>
    <a class="fw-medium" href="{url}">{name}</a>{description}
  </td>
  <td class="text-nowrap"><code>{release_name}</code></td>
  <td class="text-nowrap">
    <div>{airflow_version}</div>
    <div class="text-secondary small">{executor}</div>
  </td>
  <td class="text-nowrap">{cluster}</td>
  <td class="text-nowrap">
    {status}
    <div class="text-secondary small mt-1" title="{updated}">updated {updated_ago}</div>
  </td>
</tr>
"""
_DESCRIPTION = '\n    <div class="text-secondary small text-truncate" style="max-width:18rem">{}</div>'
_NO_CLUSTER = mark_safe('<span class="text-secondary">Built-in (manifests only)</span>')  # a constant


def _executor(deployment) -> str:
    if not deployment.is_celery:
        return "Kubernetes"
    count = deployment.queue_count
    return f"Celery · {count} queue{'' if count == 1 else 's'}"


@register.simple_tag
def deployment_rows(deployments, org):
    """The workspace page's Deployment rows (`queue_count` annotated, as selectors.workspace_deployments does).
    Written here rather than as template nodes: a page of rows cost the page more than everything else on it."""
    overview = row_url("deployment_overview", org.slug)
    badges = {}  # a status's badge depends on the status alone; a page has a few statuses and many rows

    def badge(deployment):
        if deployment.status not in badges:
            badges[deployment.status] = status_badge(deployment)
        return badges[deployment.status]

    return format_html_join(
        "",
        _DEPLOYMENT_ROW,
        (
            {
                "pk": d.pk,
                "url": overview(d.pk),
                "name": d.name,
                "description": format_html(_DESCRIPTION, d.description) if d.description else "",
                "release_name": d.release_name,
                "airflow_version": d.airflow_version,
                "executor": _executor(d),
                "cluster": d.cluster.name if d.cluster else _NO_CLUSTER,
                "status": badge(d),
                "updated": timezone.localtime(d.updated_at).isoformat(),
                "updated_ago": ago(d.updated_at),
            }
            for d in deployments
        ),
    )
