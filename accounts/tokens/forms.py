"""The form behind the API token pages. Checks of meaning (name, role ceiling, expiry) are `tokens.services`'."""

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone

from accounts.tokens.services import DESCRIPTION_MAX_LENGTH

EXPIRY_CHOICES = [
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("date", "On a date…"),
    ("never", "Never"),
]


class DateInput(forms.DateInput):
    input_type = "date"


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What will use it, e.g. “GitHub Actions deploy”.")
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    role = forms.ChoiceField()
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires")
    expires_on = forms.DateField(required=False, widget=DateInput, label="Expiry date (UTC)")

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles
        self.fields["role"].initial = roles[0][0]  # the lowest: least privilege unless asked for more

    def clean(self):
        data = super().clean()
        if data.get("expires") == "date" and not data.get("expires_on"):
            self.add_error("expires_on", "Choose the day it expires.")
        return data

    def expires_at(self) -> datetime | None:
        """When the token stops working: never, a number of days from now, or the start of the chosen day (UTC)."""
        choice = self.cleaned_data["expires"]
        if choice == "never":
            return None
        if choice == "date":
            return datetime.combine(self.cleaned_data["expires_on"], time.min, tzinfo=UTC)
        return timezone.now() + timedelta(days=int(choice))
