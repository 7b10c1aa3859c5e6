from django.urls import path

from accounts import views

# Mounted under /orgs/<org_slug>/
urlpatterns = [
    path("members/", views.organization_members, name="organization_members"),
    path("members/add/", views.organization_member_add, name="organization_member_add"),
    path("members/<int:pk>/role/", views.organization_member_role, name="organization_member_role"),
    path("members/<int:pk>/remove/", views.organization_member_remove, name="organization_member_remove"),
    path("rename/", views.organization_rename, name="organization_rename"),
    path("leave/", views.organization_leave, name="organization_leave"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/update/", views.team_update, name="team_update"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
    path("teams/<int:pk>/members/add/", views.team_member_add, name="team_member_add"),
    path("teams/<int:pk>/members/<int:membership_pk>/remove/", views.team_member_remove, name="team_member_remove"),
    path("teams/<int:pk>/workspaces/add/", views.team_workspace_bind, name="team_workspace_bind"),
    path("audit/", views.audit_log, name="audit_log"),
]
