"""The Deployment's API tokens tab: the token page of `accounts.tokens.views` in the Deployment's layout. Creating,
rotating and deleting follow the same rules as on the organisation's and the workspace's pages."""

from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.roles import WorkspaceRole
from accounts.tenancy import organization_view
from accounts.tokens.views import TokenPage, list_or_create
from deployments.selectors import deployment_for
from deployments.views import deployment_layout


class DeploymentTokenPage(TokenPage):
    scope = TokenPage.scope.DEPLOYMENT
    roles = WorkspaceRole.choices
    find = staticmethod(deployment_for)

    def __init__(self, request, org, deployment):
        super().__init__(request, org, deployment)
        self.workspace, self.deployment = deployment.workspace, deployment

    @property
    def url(self) -> str:
        return reverse("deployment_tokens", args=[self.org.slug, self.deployment.pk])

    def frame(self) -> dict:
        return {**deployment_layout(self.request, self.deployment, "tokens"), "layout": "deployments/layout.html"}


@require_http_methods(["GET", "POST"])
@organization_view()
def deployment_tokens(request, org, deployment_id):
    deployment = deployment_for(request.user, org, deployment_id, "token.manage_workspace")
    return list_or_create(request, DeploymentTokenPage(request, org, deployment))
