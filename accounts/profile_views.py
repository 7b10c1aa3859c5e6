"""The signed-in person's own page: their name, their organisations, and session security."""

import secrets

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, services
from accounts.forms import ProfileForm
from accounts.models import OrganizationMembership
from aerodrome.views import add_errors, done, invalid


@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    form = ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=request.user, full_name=form.cleaned_data["full_name"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Your name is saved.")
            return done(request, reverse("profile"))
    memberships = OrganizationMembership.objects.filter(user=request.user).select_related("organization")
    context = {"memberships": memberships, "name_form": form}
    if request.method == "POST":
        return invalid(request, "accounts/profile.html", "name-form", context)
    return render(request, "accounts/profile.html", context)


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
