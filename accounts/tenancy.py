"""Tenant-scoped lookups for pages and the API: the object an actor may see (404 otherwise, the same as one that
does not exist), then 403 if its role is too low for what it asked. Every app's views and viewsets use these."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.permissions import person_organizations, require

NOT_FOUND = "Not found, or you do not have access to it."  # the same for what does not exist


def get_for_actor(queryset, actor, *, view_permission: str, permission: str | None = None, **lookup):
    """The object the actor may see, or 404; then 403 if its role is too low for `permission`."""
    obj = queryset.for_actor(actor, view_permission).filter(**lookup).first()
    if obj is None:
        raise Http404(NOT_FOUND)
    if permission:
        require(actor, permission, obj)
    return obj


def organization_view(permission: str = "organization.view"):
    """Loads the organisation named by the URL's `org_slug` (404 for outsiders, 403 for too low a role)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, org_slug, *args, **kwargs):
            # The person's organisations, with their roles, are read once per request (pages' checks use them).
            org = next((o for o in person_organizations(request.user) if o.slug == org_slug), None)
            if org is None:
                raise Http404(NOT_FOUND)
            request.organization = org
            if request.session.get("last_org") != org.slug:  # a session write (an UPDATE) only when it changes
                request.session["last_org"] = org.slug
            require(request.user, permission, org)
            return view(request, org, *args, **kwargs)

        return wrapper

    return decorator
