from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"

    def ready(self):
        from accounts import workspace_bindings
        from workspaces.bindings import Bindings

        # Accounts sits below this app: it reaches role bindings only through what is registered here.
        workspace_bindings.register(Bindings())
