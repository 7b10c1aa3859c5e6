from django import forms

from accounts.models import User
from accounts.roles import OrgRole, WorkspaceRole


class SearchField(forms.ModelChoiceField):
    """An object (a person, a workspace, a team) chosen by search-as-you-type (templates/partials/picker.html) and
    posted as its id: the page lists nothing up front, so it stays the same size as an organisation grows to
    thousands of people and workspaces. The queryset still decides what may be chosen."""

    widget = forms.HiddenInput


def picked(form, name: str):
    """The object a form's picker field holds, to show it in the picker again: what a bound form cleaned, what an
    unbound one starts with, else None."""
    if form.is_bound:
        return getattr(form, "cleaned_data", {}).get(name)
    return form.initial.get(name)


class ProfileForm(forms.Form):
    # Not stripped: the service refuses a line break or tab at either end rather than trimming it away.
    full_name = forms.CharField(
        label="Name", max_length=1000, required=False, strip=False, help_text="How colleagues see you in Aerodrome."
    )


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Organisation name")


class RoleForm(forms.Form):
    role = forms.CharField(max_length=16)


class TeamForm(forms.Form):
    name = forms.CharField(max_length=200, label="Team name")
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TeamMemberAddForm(forms.Form):
    user = SearchField(queryset=User.objects.none(), label="Member")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class TeamWorkspaceBindForm(forms.Form):
    workspace = SearchField(queryset=None)
    role = forms.ChoiceField(choices=WorkspaceRole.choices, initial=WorkspaceRole.MEMBER)

    def __init__(self, *args, workspaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspaces


class AuditFilterForm(forms.Form):
    actor = SearchField(queryset=User.objects.none(), required=False)
    action = forms.ChoiceField(required=False)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actors, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = actors
        self.fields["action"].choices = [("", "Any action")] + [(a, a) for a in actions]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data


class InvitationForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One or many, separated by commas or new lines.",
    )
    org_role = forms.ChoiceField(label="Organisation role", choices=OrgRole.choices, initial=OrgRole.MEMBER)
    workspace = SearchField(queryset=None, required=False, label="Workspace (optional)")
    workspace_role = forms.ChoiceField(
        label="Workspace role", choices=WorkspaceRole.choices, initial=WorkspaceRole.MEMBER, required=False
    )

    def __init__(self, *args, workspaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = workspaces
