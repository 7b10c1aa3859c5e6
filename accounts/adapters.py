from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError

from aerodrome.validation import normalize_email


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Small installs let people sign up; closed installs set ACCOUNT_ALLOW_SIGNUP=false. Someone who chose
        # to accept an invitation may sign up either way (with the invited address only: clean_email).
        return settings.ACCOUNT_ALLOW_SIGNUP or self._stashed_invitation(request) is not None

    # Invitations (accounts/invitations/views.py): a logged-out visitor who chose to accept an invitation has its
    # token hash in the session; sign-up then only takes the invited address, and any login or sign-up accepts it.

    def _stashed_invitation(self, request):
        from accounts.invitations import services as invitations

        if request is None or not hasattr(request, "session"):
            return None
        invitation = invitations.invitation_for_hash(request.session.get(invitations.SESSION_KEY))
        return invitation if invitation is not None and invitation.status == "PENDING" else None

    def clean_email(self, email):
        # Every address typed into allauth's forms (sign-up, added addresses, password reset) in the one form
        # Aerodrome stores: a browser's email box sends an IDN domain as punycode, people type it in Unicode.
        email = normalize_email(super().clean_email(email))
        # Only the sign-up page is locked; this hook also sees password resets and addresses from an IdP.
        match = getattr(self.request, "resolver_match", None)
        if match is None or match.url_name != "account_signup":
            return email
        from accounts.sso import services as sso

        sso.refuse_enforced_signup(email)  # those addresses get their account at their first SSO login
        invitation = self._stashed_invitation(self.request)
        if invitation is not None and email != normalize_email(invitation.email):
            raise ValidationError(
                f"This invitation is for {invitation.email}. Sign up with that address to join "
                f"{invitation.organization.name}; you can add other addresses to your account later."
            )
        return email

    # Single sign-on (accounts/sso/services.py): an organisation that enforces SSO refuses password logins for its
    # domains, except one through a bypass link opened in this browser (redeemed once the password is right).

    def is_email_verified(self, request, email):
        verified = request.session.get("account_verified_email") if request is not None else None
        return bool(verified) and normalize_email(verified) == normalize_email(email)

    def authenticate(self, request, **credentials):
        from accounts.sso import services as sso

        if credentials.get("email"):
            credentials["email"] = normalize_email(credentials["email"])  # either spelling of an IDN domain
        bypass = sso.password_login_gate(request, credentials.get("email") or "")
        user = super().authenticate(request, **credentials)
        if user is not None and bypass is None:
            bypass = sso.linked_password_login_gate(request, user)
        if user is not None and bypass is not None:
            sso.sso_bypass_link_redeem(request=request, link=bypass, user=user)
        return user

    def post_login(self, request, user, **kwargs):
        from accounts.invitations import services as invitations

        response = super().post_login(request, user, **kwargs)
        invitation = invitations.accept_stashed(request, user)
        if invitation is not None:
            messages.success(request, f"You joined {invitation.organization.name}.")
        return response
