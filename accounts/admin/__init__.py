"""The admin site for platform staff: users, organisations (with their memberships), teams and the audit trail,
a module each.

Changes go through `accounts.services` (which check the actor's role with `permissions.can`, where superusers
may do anything, and write the audit entry), so the admin keeps the same rules as the pages: an organisation
never loses its last owner, and every change leaves an audit entry. The workspaces app adds its columns to the
organisation and team lists (`workspaces.admin`).
"""

from allauth.socialaccount.models import SocialApp
from django.contrib import admin

from accounts.admin import audit_trail, organizations, teams, users  # noqa: F401 (each registers its pages)

# SSO apps are built from each organisation's SSOConnection (accounts/sso/adapter.py); allauth's own SocialApp
# rows would be ignored, so their admin would only mislead.
if admin.site.is_registered(SocialApp):
    admin.site.unregister(SocialApp)
