from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"

    def ready(self):
        from accounts.tokens import views as token_views
        from deployments.deploys.credential_views import workspace_section as registry_credentials_section
        from deployments.selectors import live_deployment_count
        from deployments.token_views import DeploymentTokenPage
        from deployments.views import deployment_list_context
        from workspaces import views as workspace_views

        # The apps below cannot import this one: the Deployment's token page (to answer a rotate or delete with
        # it) and the workspace page's Deployments card are registered with them here.
        token_views.register(DeploymentTokenPage)
        workspace_views.register_section(deployment_list_context, counts={"deployment_count": live_deployment_count})
        workspace_views.register_section(registry_credentials_section)
