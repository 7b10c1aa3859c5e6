from django.urls import path

from monitoring.alerts.channels import views

# Mounted under /orgs/<org_slug>/
CHANNELS = "workspaces/<int:workspace_pk>/channels/"
urlpatterns = [
    path(CHANNELS, views.channel_list, name="channel_list"),
    path(f"{CHANNELS}new/", views.channel_create, name="channel_create"),
    path(f"{CHANNELS}<int:pk>/", views.channel_update, name="channel_update"),
    path(f"{CHANNELS}<int:pk>/test/", views.channel_test, name="channel_test"),
    path(f"{CHANNELS}<int:pk>/delete/", views.channel_delete, name="channel_delete"),
]
