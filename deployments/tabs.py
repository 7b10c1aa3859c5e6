"""Tabs of the Deployment page that upper apps add (monitoring's Logs, Metrics): this app cannot import them, so
they register a `Tab` from their AppConfig.ready() and `deployment_layout` shows the ones the person may open."""

from dataclasses import dataclass

from django.urls import reverse

from accounts.permissions import can


@dataclass(frozen=True)
class Tab:
    section: str  # the `section` its view passes to deployment_layout (marks it active)
    title: str
    icon: str  # a Tabler icon class, e.g. "ti-file-text"
    url_name: str  # reversed with (organisation slug, Deployment id)
    permission: str = "deployment.view"
    order: int = 50  # among the registered tabs; all come after Events, before Manifests


_tabs: dict[str, Tab] = {}


def register(tab: Tab) -> None:
    _tabs[tab.section] = tab


def visible_tabs(user, deployment) -> list[dict]:
    slug = deployment.workspace.organization.slug
    return [
        {
            "section": tab.section,
            "title": tab.title,
            "icon": tab.icon,
            "url": reverse(tab.url_name, args=[slug, deployment.pk]),
        }
        for tab in sorted(_tabs.values(), key=lambda tab: (tab.order, tab.section))
        if can(user, tab.permission, deployment)
    ]
