from django.urls import path

from workspaces import views

# Mounted under /orgs/<org_slug>/
urlpatterns = [
    path("", views.organization_home, name="organization_home"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("workspaces/<int:pk>/", views.workspace_detail, name="workspace_detail"),
    path("workspaces/<int:pk>/members/add/", views.workspace_member_add, name="workspace_member_add"),
    path(
        "workspaces/<int:pk>/members/candidates/",
        views.workspace_member_candidates,
        name="workspace_member_candidates",
    ),
    path("workspaces/<int:pk>/teams/add/", views.workspace_team_add, name="workspace_team_add"),
    path("workspaces/<int:pk>/teams/candidates/", views.workspace_team_candidates, name="workspace_team_candidates"),
    path(
        "workspaces/<int:pk>/bindings/<int:binding_pk>/role/",
        views.workspace_binding_role,
        name="workspace_binding_role",
    ),
    path(
        "workspaces/<int:pk>/bindings/<int:binding_pk>/remove/",
        views.workspace_binding_remove,
        name="workspace_binding_remove",
    ),
    path("workspaces/<int:pk>/update/", views.workspace_update, name="workspace_update"),
    path("workspaces/<int:pk>/delete/", views.workspace_delete, name="workspace_delete"),
    path("workspaces/<int:workspace_id>/tokens/", views.workspace_tokens, name="workspace_tokens"),
    path("teams/<int:pk>/workspaces/add/", views.team_workspace_bind, name="team_workspace_bind"),
    path("teams/<int:pk>/workspaces/<int:binding_pk>/role/", views.team_workspace_role, name="team_workspace_role"),
    path(
        "teams/<int:pk>/workspaces/<int:binding_pk>/remove/", views.team_workspace_remove, name="team_workspace_remove"
    ),
]
