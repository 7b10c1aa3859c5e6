from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url

from accounts.audit import current_ip
from accounts.permissions import remembering_roles


class AuditContextMiddleware:
    """Makes the client's IP address available to `accounts.audit.record` for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class RememberRolesMiddleware:
    """Role lookups are remembered for the request (a page asks the same of every control it offers); see
    `accounts.permissions.remembering_roles`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with remembering_roles():
            return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """An HTMX request whose session has expired would swap the login page into a table row; send the
    browser to the login page instead (HX-Redirect makes htmx do a full navigation)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        login_url = resolve_url(settings.LOGIN_URL)
        if getattr(request, "htmx", False) and response.status_code == 302 and response.url.startswith(login_url):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = response.url
            return redirect
        return response
