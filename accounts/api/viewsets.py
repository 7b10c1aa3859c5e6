"""Base viewsets for tenant-owned resources.

The rule, as on the pages: every queryset starts from `Model.objects.for_actor(user, "<model>.view")`, and a
nested resource first resolves its parent the same way, so anything outside the caller's organisations is a
404. A mutation then checks the caller's role on the object (403) before it looks at the input, and hands the
input to the service, which checks it again, validates it and writes the audit entry.

Authentication classes come from settings only (REST_FRAMEWORK): API tokens, then sessions. These classes live in
accounts, next to the permissions they apply, since the project package (`aerodrome`) imports no app.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status, viewsets
from rest_framework.response import Response

from accounts.models import Organization
from accounts.permissions import require
from accounts.tenancy import get_for_actor

ORGANIZATION_SLUG = OpenApiParameter(
    "organization_slug", str, OpenApiParameter.PATH, description="The organisation's slug."
)


class TenantViewSet(viewsets.GenericViewSet):
    def require(self, permission: str, obj) -> None:
        """403 (in the API's error format) unless the caller's role on `obj` grants `permission`."""
        require(self.request.user, permission, obj)

    def validated(self, serializer_class, **kwargs) -> dict:
        """The request body checked by `serializer_class`; a 400 in the error format if it is not valid."""
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def present(self, obj, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as the list shows it: re-read through the scoped queryset (with its annotations)."""
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status_code)


class OrganizationChildViewSet(TenantViewSet):
    """A resource nested under /organizations/{organization_slug}/: the organisation is resolved first."""

    organization: Organization

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication first: anonymous callers learn nothing
        self.organization = get_for_actor(
            Organization.objects, request.user, view_permission="organization.view", slug=kwargs["organization_slug"]
        )
