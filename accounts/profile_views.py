"""The signed-in person's own page: who they are, their organisations, and session security."""

import secrets

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.models import OrganizationMembership


@login_required
def profile(request):
    memberships = OrganizationMembership.objects.filter(user=request.user).select_related("organization")
    return render(request, "accounts/profile.html", {"memberships": memberships})


@require_POST
@login_required
def logout_other_sessions(request):
    """Every other browser signed in as this user is signed out; this one stays signed in."""
    user = request.user
    with transaction.atomic():
        user.session_salt = secrets.token_hex(16)
        user.save(update_fields=["session_salt"])
        audit.record(actor=user, action="user.logout_other_sessions", target=user)
    update_session_auth_hash(request, user)  # keep this session valid under the new hash
    messages.success(request, "Signed out of every other session.")
    return redirect("profile")
