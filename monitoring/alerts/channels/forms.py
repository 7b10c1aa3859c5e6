from django import forms

from monitoring.alerts.channels import FIELDS
from monitoring.alerts.channels.models import Channel


def _text(label, **kwargs):
    return forms.CharField(label=label, required=False, strip=False, **kwargs)


class ChannelForm(forms.Form):
    """Every kind's fields; the kind chosen decides which apply (the service checks them). Secrets are never put
    back into the form: blank keeps the stored one."""

    name = forms.CharField(label="Name", max_length=500)
    kind = forms.ChoiceField(label="Kind", choices=Channel.Kind.choices, widget=forms.RadioSelect, required=False)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)
    addresses = _text(
        "Email addresses",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One or more, separated by commas or lines. Sent through this Aerodrome's mail server.",
    )
    url = _text("URL")
    routing_key = _text("Routing key")
    api_key = _text("API key")
    signing_secret = _text("Signing secret")

    def __init__(self, *args, channel: Channel | None = None, **kwargs):
        if channel is not None:
            initial = {"name": channel.name, "kind": channel.kind, "enabled": channel.enabled}
            initial["addresses"] = "\n".join(channel.config.get("addresses") or [])
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault("initial", {"kind": Channel.Kind.SLACK, "enabled": True})
        super().__init__(*args, **kwargs)
        self.channel = channel

    def service_fields(self) -> dict:
        """What the service takes for the chosen kind (on an edit, the channel's own kind)."""
        data = self.cleaned_data
        kind = self.channel.kind if self.channel else data.get("kind")
        fields = {"name": data["name"], "kind": kind, "enabled": data.get("enabled", False)}
        return fields | {name: data.get(name, "") for name in FIELDS.get(kind, ())}  # the service keeps blank secrets
