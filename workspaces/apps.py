from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from accounts import workspace_bindings
        from accounts.permissions import forget_roles
        from accounts.tokens import views as token_views
        from workspaces.bindings import Bindings
        from workspaces.models import Workspace, WorkspaceRoleBinding
        from workspaces.views import WorkspaceTokenPage

        # Accounts sits below this app: it reaches role bindings, and the workspace's token page (to answer a
        # rotate or delete with it), only through what is registered here.
        workspace_bindings.register(Bindings())
        token_views.register(WorkspaceTokenPage)
        # Roles a request remembered are forgotten when a binding changes (accounts.permissions).
        for model in (Workspace, WorkspaceRoleBinding):
            for signal in (post_save, post_delete):
                signal.connect(forget_roles, sender=model, dispatch_uid=f"forget_roles_{model.__name__}")
