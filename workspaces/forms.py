from django import forms

from accounts.forms import SearchField
from accounts.models import Team, User
from accounts.roles import WorkspaceRole


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=200, label="Workspace name")
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WorkspaceDeleteForm(forms.Form):
    confirm_name = forms.CharField(max_length=200, label="Type the workspace's name to confirm")


class WorkspaceMemberAddForm(forms.Form):
    user = SearchField(queryset=User.objects.none(), label="Member")
    role = forms.ChoiceField(choices=WorkspaceRole.choices, initial=WorkspaceRole.MEMBER)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class WorkspaceTeamAddForm(forms.Form):
    team = SearchField(queryset=Team.objects.none())
    role = forms.ChoiceField(choices=WorkspaceRole.choices, initial=WorkspaceRole.MEMBER)

    def __init__(self, *args, teams, **kwargs):
        # Ids of its own: the member form beside it on the workspace page has a `role` too, and a label must
        # name this form's field.
        kwargs.setdefault("auto_id", "id_team_%s")
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
