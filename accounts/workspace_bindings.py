"""Workspace role bindings, as accounts needs them, provided by the app that owns them.

A binding (a user's or a team's role on a workspace) belongs to the workspaces app, which sits above accounts, so
accounts never imports it. Accounts still needs three things from bindings: the workspace roles a person holds
(`accounts.permissions`), a workspace role for someone accepting an invitation (`accounts.invitations`), and the
end of a person's roles in an organisation they leave (`accounts.services`). The workspaces app provides them by
calling `register()` from its AppConfig.ready(); they run inside the caller's transaction, which checks the role
and writes the audit entry.
"""

from collections.abc import Iterable
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet


class WorkspaceBindings(Protocol):
    def roles_by_workspace(self, user) -> dict[int, str]:
        """Every workspace where `user` holds a role through a binding (direct or a team's), with the highest."""

    def workspaces_where(self, user, roles: Iterable[str]) -> QuerySet:
        """The ids of the workspaces where `user` holds one of `roles`, directly or through a team (a subquery)."""

    def grant(self, *, workspace, user, role: str) -> None:
        """Gives `user` a direct `role` on `workspace`; never lowers a direct role it already holds there."""

    def remove_all(self, *, organization, user) -> None:
        """Ends `user`'s direct roles on every workspace of `organization`."""


_provider: WorkspaceBindings | None = None


def register(provider: WorkspaceBindings) -> None:
    global _provider
    _provider = provider


def provider() -> WorkspaceBindings:
    if _provider is None:
        raise ImproperlyConfigured("No app provides workspace role bindings: add 'workspaces' to INSTALLED_APPS.")
    return _provider
