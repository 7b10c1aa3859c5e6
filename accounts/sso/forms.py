"""Forms for single sign-on: the email-first login form (ACCOUNT_FORMS["login"]) and the SSO settings page."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.base.constants import AuthProcess
from django import forms

from accounts.roles import OrgRole
from accounts.sso import services as sso

PASSWORD_STEP = "password_step"


class LoginForm(AllauthLoginForm):
    """Email first (home realm discovery): an address whose domain an organisation manages through single sign-on
    is sent to that organisation's identity provider; everyone else signs in with a password.

    A password typed for a managed domain is still tried unless the organisation enforces SSO (then the account
    adapter refuses it, except through a one-time bypass link opened in this browser).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].required = False
        self.sso_connection = None

    def clean(self):
        cleaned_data = forms.Form.clean(self)
        email, password = cleaned_data.get("login"), cleaned_data.get("password")
        if self._errors or not email or password:
            return super().clean()
        connection = sso.connection_for_login(self.request, email)
        if connection is not None and sso.session_bypass_link(self.request, connection.organization) is None:
            self.sso_connection = connection
        elif self.data.get("step") == "password":  # the password box was on screen, and left empty
            self.add_error("password", "Enter your password.")
        else:  # sent from the email step: next comes the password, which is no mistake to show in red
            self.add_error("password", forms.ValidationError("Enter your password.", code=PASSWORD_STEP))
        return cleaned_data

    @property
    def asks_for_password(self) -> bool:
        """Whether this answer is the password step after an address alone: the page shows no error then."""
        return self.has_error("password", code=PASSWORD_STEP)

    def login(self, request, redirect_url=None):
        if self.sso_connection is None:
            return super().login(request, redirect_url=redirect_url)
        # This POST is the CSRF-protected request allauth wants before it starts a login at the IdP.
        provider = get_social_adapter(request).get_provider(
            request, sso.provider_id_for(self.sso_connection.organization)
        )
        return provider.redirect(
            request,
            process=AuthProcess.LOGIN,
            next_url=redirect_url,
            auth_params={**provider.get_auth_params(), "login_hint": self.cleaned_data["login"]},
        )


class SSOConnectionForm(forms.Form):
    issuer_url = forms.CharField(
        label="Issuer URL",
        max_length=200,
        error_messages={"required": "Enter the issuer URL of your identity provider."},
        help_text="Aerodrome reads /.well-known/openid-configuration under it when you save.",
    )
    client_id = forms.CharField(
        label="Client ID",
        max_length=255,
        error_messages={"required": "Enter the client ID your identity provider issued for Aerodrome."},
    )
    client_secret = forms.CharField(label="Client secret", required=False, strip=True, widget=forms.PasswordInput)
    domains = forms.CharField(
        label="Email domains",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter at least one email domain, e.g. example.com."},
        help_text="Comma-separated. Once you verify a domain (a DNS record), people signing in with its addresses go "
        "straight to your identity provider; one organisation at a time can hold a domain verified.",
    )
    groups_claim = forms.CharField(
        label="Groups claim",
        max_length=255,
        required=False,
        initial="groups",
        help_text="The claim whose values map to teams: groups for most providers, roles for Entra ID app roles.",
    )
    default_role = forms.ChoiceField(
        label="Organisation role for new users", choices=OrgRole.choices, initial=OrgRole.MEMBER
    )
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)
    enforce_sso = forms.BooleanField(label="Enforce single sign-on", required=False)

    @classmethod
    def for_connection(cls, connection):
        if connection is None:
            return cls()
        return cls(
            initial={
                "issuer_url": connection.issuer_url,
                "client_id": connection.client_id,
                "domains": ", ".join(connection.domains),
                "default_role": connection.default_role,
                "enabled": connection.enabled,
                "enforce_sso": connection.enforce_sso,
                "groups_claim": connection.groups_claim,
            }
        )


class GroupMappingForm(forms.Form):
    group = forms.CharField(
        label="IdP group",
        max_length=255,
        error_messages={"required": "Enter the group's name (or ID) as your identity provider sends it."},
    )
    team = forms.ModelChoiceField(queryset=None, label="Team", empty_label="Choose a team…")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
