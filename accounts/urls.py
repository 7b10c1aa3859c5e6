from django.urls import path

from accounts import views
from accounts.invitations import views as invitation_views
from accounts.sso import views as sso_views
from accounts.tokens import views as token_views

# Mounted under /orgs/<org_slug>/ (a workspace's and a Deployment's token pages are in their apps' urls)
urlpatterns = [
    path("members/", views.organization_members, name="organization_members"),
    path("members/<int:pk>/role/", views.organization_member_role, name="organization_member_role"),
    path("members/<int:pk>/remove/", views.organization_member_remove, name="organization_member_remove"),
    path("invitations/", invitation_views.invitation_create, name="invitation_create"),
    path("invitations/workspaces/", invitation_views.invitation_workspaces, name="invitation_workspaces"),
    path("invitations/<int:pk>/resend/", invitation_views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", invitation_views.invitation_revoke, name="invitation_revoke"),
    path("settings/", views.organization_settings, name="organization_settings"),
    path("rename/", views.organization_rename, name="organization_rename"),
    path("leave/", views.organization_leave, name="organization_leave"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/update/", views.team_update, name="team_update"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
    path("teams/<int:pk>/members/add/", views.team_member_add, name="team_member_add"),
    path("teams/<int:pk>/members/search/", views.team_member_search, name="team_member_search"),
    path("teams/<int:pk>/workspaces/search/", views.team_workspace_search, name="team_workspace_search"),
    path("teams/<int:pk>/members/<int:membership_pk>/remove/", views.team_member_remove, name="team_member_remove"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/actors/", views.audit_actor_candidates, name="audit_actor_candidates"),
    path("sso/", sso_views.sso_settings, name="sso_settings"),
    path("sso/delete/", sso_views.sso_delete, name="sso_delete"),
    path("sso/mappings/add/", sso_views.sso_mapping_add, name="sso_mapping_add"),
    path("sso/mappings/<int:pk>/remove/", sso_views.sso_mapping_remove, name="sso_mapping_remove"),
    path("sso/bypass-links/", sso_views.sso_bypass_create, name="sso_bypass_create"),
    path("sso/domains/<int:pk>/verify/", sso_views.sso_domain_verify, name="sso_domain_verify"),
    path("tokens/", token_views.organization_tokens, name="organization_tokens"),
    path("tokens/<int:pk>/rotate/", token_views.token_rotate, name="token_rotate"),
    path("tokens/<int:pk>/delete/", token_views.token_delete, name="token_delete"),
]
