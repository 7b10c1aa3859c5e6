from django import forms

from accounts.forms import PersonSearchField
from accounts.models import Team, User
from accounts.roles import WorkspaceRole


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=200, label="Workspace name")
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WorkspaceDeleteForm(forms.Form):
    confirm_name = forms.CharField(max_length=200, label="Type the workspace's name to confirm")


class WorkspaceMemberAddForm(forms.Form):
    user = PersonSearchField(queryset=User.objects.none(), label="Member")
    role = forms.ChoiceField(choices=WorkspaceRole.choices, initial=WorkspaceRole.MEMBER)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class WorkspaceTeamAddForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label="Choose a team…")
    role = forms.ChoiceField(choices=WorkspaceRole.choices, initial=WorkspaceRole.MEMBER)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
