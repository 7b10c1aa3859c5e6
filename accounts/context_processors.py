from django.conf import settings

from accounts.permissions import org_role, person_organizations


def navigation(request):
    """The organisation switcher and the current organisation, for the top navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"site_name": settings.SITE_NAME}
    organizations = person_organizations(user)
    # Pages outside an organisation (account settings) keep showing the one used last.
    last = request.session.get("last_org")
    current = getattr(request, "organization", None) or next((o for o in organizations if o.slug == last), None)
    return {
        "site_name": settings.SITE_NAME,
        "nav_organizations": organizations,
        "current_org": current,
        "current_org_role": org_role(user, current) if current else None,
    }
