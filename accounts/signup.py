"""The sign-up form (`ACCOUNT_FORMS["signup"]`): it never tells whether an address already has an account, and it
shows the invited address locked when someone signs up from an invitation.

Not telling: allauth's enumeration prevention only hides a taken address when email verification is mandatory,
and Aerodrome's is optional (people log in before they confirm). So a sign-up here always answers the same way:
- a new address gets its account and a confirmation email, and the answer is the "confirm your address" page;
- a taken address gets no second account but an email saying it already has one, and the very same answer.
Both paths hash the password once and send one email, so their timing is alike too. Whoever signs up from an
invitation skips all of this: the emailed link has proved the address, so they are logged in and join at once
(`accounts.adapters`, `accounts.invitations`).
"""

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal.flows.login import perform_login
from allauth.account.internal.flows.signup import complete_signup
from allauth.account.internal.userkit import filter_users_by_email
from allauth.account.models import Login
from allauth.account.utils import get_next_redirect_url
from allauth.core import context
from django.contrib.auth.hashers import make_password


def stashed_invitation(request):
    """The pending invitation a logged-out visitor chose to accept before signing up, or None."""
    from accounts.adapters import AccountAdapter

    return AccountAdapter(request)._stashed_invitation(request)


class SignupForm(AllauthSignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        invitation = stashed_invitation(context.request)
        if invitation is not None:
            # Locked to the invited address. A browser still lets someone change a read-only box's value in a
            # POST, so the adapter's `clean_email` refuses any other address as well.
            email = self.fields["email"]
            email.initial = invitation.email
            email.widget.attrs.update(readonly=True)
            email.help_text = (
                f"This invitation is for {invitation.email}. You can add other addresses to your account later."
            )
            self.initial["email"] = invitation.email

    def validate_unique_email(self, value) -> str:
        # Never "this address is taken": remember it, and answer as for a new account (try_save).
        self.account_already_exists = bool(filter_users_by_email(value))
        return value

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))  # the slow step a new account takes, taken here too
            return None, self._already_exists(request)
        user, response = super().try_save(request)
        if response is not None or stashed_invitation(request) is not None:
            return user, response  # a honeypot's fake answer; or an invitee, logged in and joined by the view
        return user, complete_signup(
            request,
            user=user,
            email_verification=EmailVerificationMethod.MANDATORY,
            redirect_url=get_next_redirect_url(request),
        )

    def _already_exists(self, request):
        # allauth's own answer to a taken address: the "confirm your address" page, and an email to the address
        # saying that it already has an account.
        login = Login(
            user=None,
            email=self.cleaned_data["email"],
            signup=True,
            email_verification=EmailVerificationMethod.MANDATORY,
        )
        return perform_login(request, login)
