from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"

    def ready(self):
        from accounts import workspace_bindings
        from accounts.tokens import views as token_views
        from workspaces.bindings import Bindings
        from workspaces.views import WorkspaceTokenPage

        # Accounts sits below this app: it reaches role bindings, and the workspace's token page (to answer a
        # rotate or delete with it), only through what is registered here.
        workspace_bindings.register(Bindings())
        token_views.register(WorkspaceTokenPage)
