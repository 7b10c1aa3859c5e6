from django.urls import path

from monitoring.overview import views

# Mounted under /orgs/<org_slug>/
urlpatterns = [path("overview/", views.organization_overview, name="organization_overview")]
