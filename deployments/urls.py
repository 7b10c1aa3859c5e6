from django.urls import path

from deployments import cluster_views, token_views, views
from deployments.deploys import views as deploy_views

D = "deployments/<int:pk>/"

# Mounted under /orgs/<org_slug>/
urlpatterns = [
    path("workspaces/<int:workspace_id>/deployments/", views.workspace_deployments, name="workspace_deployments"),
    path("workspaces/<int:workspace_id>/deployments/new/", views.deployment_create, name="deployment_create"),
    path(D, views.deployment_overview, name="deployment_overview"),
    path(D + "status/", views.deployment_status, name="deployment_status"),
    path(D + "update/", views.deployment_update, name="deployment_update"),
    path(D + "update/check/", views.deployment_settings_check, name="deployment_settings_check"),
    path(D + "delete/", views.deployment_delete, name="deployment_delete"),
    path(D + "reconcile/", views.deployment_reconcile, name="deployment_reconcile"),
    path(D + "resources/", views.deployment_resources, name="deployment_resources"),
    path(D + "resources/quota/", views.deployment_quota, name="deployment_quota"),
    path(D + "queues/add/", views.queue_add, name="queue_add"),
    path(D + "queues/<int:queue_pk>/", views.queue_row, name="queue_row"),
    path(D + "queues/<int:queue_pk>/edit/", views.queue_edit, name="queue_edit"),
    path(D + "queues/<int:queue_pk>/delete/", views.queue_delete, name="queue_delete"),
    path(D + "variables/", views.deployment_variables, name="deployment_variables"),
    path(D + "variables/add/", views.variable_add, name="variable_add"),
    path(D + "variables/<int:variable_pk>/", views.variable_row, name="variable_row"),
    path(D + "variables/<int:variable_pk>/edit/", views.variable_edit, name="variable_edit"),
    path(D + "variables/<int:variable_pk>/delete/", views.variable_delete, name="variable_delete"),
    path(D + "events/", views.deployment_events, name="deployment_events"),
    path(D + "manifests/", views.deployment_manifests, name="deployment_manifests"),
    path(D + "deploys/", deploy_views.deployment_deploys, name="deployment_deploys"),
    path(D + "deploys/<int:deploy_pk>/rollback/", deploy_views.deploy_rollback, name="deploy_rollback"),
    path("deployments/<int:deployment_id>/tokens/", token_views.deployment_tokens, name="deployment_tokens"),
    path("clusters/", cluster_views.cluster_list, name="cluster_list"),
    path("clusters/new/", cluster_views.cluster_create, name="cluster_create"),
    path("clusters/<int:pk>/edit/", cluster_views.cluster_update, name="cluster_update"),
    path("clusters/<int:pk>/test/", cluster_views.cluster_test, name="cluster_test"),
    path("clusters/<int:pk>/delete/", cluster_views.cluster_delete, name="cluster_delete"),
]
