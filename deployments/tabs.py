"""The tabs of the Deployment page: this app's own, and those upper apps add (monitoring's Logs, Metrics, Alerts).
This app cannot import the upper ones, so they register a `Tab` from their AppConfig.ready(); `deployment_layout`
shows every tab the person may open, in order."""

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
    order: int = 50  # this app's tabs take 1-5 (Overview to Deploys) and 90-95 (Manifests, API tokens)


_tabs: dict[str, Tab] = {
    tab.section: tab
    for tab in [
        Tab("overview", "Overview", "ti-layout-dashboard", "deployment_overview", order=1),
        Tab("resources", "Resources", "ti-cpu", "deployment_resources", order=2),
        Tab("variables", "Environment variables", "ti-variable", "deployment_variables", order=3),
        Tab("events", "Events", "ti-timeline-event", "deployment_events", order=4),
        Tab("deploys", "Deploys", "ti-rocket", "deployment_deploys", order=5),
        Tab("manifests", "Manifests", "ti-file-code", "deployment_manifests", order=90),
        Tab("tokens", "API tokens", "ti-key", "deployment_tokens", permission="token.manage_workspace", order=95),
    ]
}


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
