from django.urls import path

from monitoring.alerts import views

D = "deployments/<int:pk>/alerts/"

# Mounted under /orgs/<org_slug>/
urlpatterns = [
    path(D, views.deployment_alerts, name="deployment_alerts"),
    path(D + "<int:alert_pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path(D + "rules/", views.deployment_rules, name="deployment_rules"),
    path(D + "rules/add/", views.rule_add, name="alert_rule_add"),
    path(D + "rules/<int:rule_pk>/edit/", views.rule_edit, name="alert_rule_edit"),
    path(D + "rules/<int:rule_pk>/delete/", views.rule_delete, name="alert_rule_delete"),
    path(D + "rules/builtin/<slug:key>/", views.builtin_rule_toggle, name="builtin_rule_toggle"),
    path(D + "silences/", views.deployment_silences, name="deployment_silences"),
    path(D + "silences/new/", views.silence_add, name="silence_add"),
    path(D + "silences/<int:silence_pk>/cancel/", views.silence_cancel, name="silence_cancel"),
    path("workspaces/<int:workspace_id>/alerts/", views.workspace_alerts, name="workspace_alerts"),
    path(
        "workspaces/<int:workspace_id>/alerts/<int:alert_pk>/acknowledge/",
        views.workspace_alert_acknowledge,
        name="workspace_alert_acknowledge",
    ),
    path("clusters/<int:pk>/alerting/", views.cluster_alerting, name="cluster_alerting"),
    path("clusters/<int:pk>/alerting/token/", views.cluster_receiver_token, name="cluster_receiver_token"),
]
