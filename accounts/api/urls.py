"""Routes of the accounts API; `aerodrome/api/urls.py` mounts them under /api/v1/."""

from rest_framework.routers import SimpleRouter

from accounts.api import views
from accounts.invitations import api as invitations
from accounts.tokens import api as tokens

ORG = r"organizations/(?P<organization_slug>[-a-zA-Z0-9_]+)"

router = SimpleRouter()
router.register(r"organizations", views.OrganizationViewSet, basename="api-organization")
router.register(rf"{ORG}/members", views.OrganizationMemberViewSet, basename="api-organization-member")
router.register(rf"{ORG}/invitations", invitations.InvitationViewSet, basename="api-organization-invitation")
router.register(rf"{ORG}/teams", views.TeamViewSet, basename="api-team")
router.register(rf"{ORG}/teams/(?P<team_pk>[0-9]+)/members", views.TeamMemberViewSet, basename="api-team-member")
router.register(rf"{ORG}/audit", views.AuditEventViewSet, basename="api-organization-audit")
router.register(r"tokens", tokens.ApiTokenViewSet, basename="api-token")

urlpatterns = router.urls
