from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Small installs let people sign up; closed installs set ACCOUNT_ALLOW_SIGNUP=false.
        return settings.ACCOUNT_ALLOW_SIGNUP
