from django.conf import settings

from accounts.permissions import org_role
from accounts.selectors import organizations_for


def navigation(request):
    """The organisation switcher and the current organisation, for the top navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_name": settings.SITE_NAME}
    organizations = organizations_for(user=user)
    # Pages outside an organisation (account settings) keep showing the one used last.
    current = (
        getattr(request, "organization", None) or organizations.filter(slug=request.session.get("last_org")).first()
    )
    return {
        "site_name": settings.SITE_NAME,
        "nav_organizations": organizations,
        "current_org": current,
        "current_org_role": org_role(user, current) if current else None,
    }
