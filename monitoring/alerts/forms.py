"""Forms of the alert pages: they only carry what people typed to the services, which validate it."""

from django import forms

from monitoring.alerts.models import Alert, AlertRule, Severity
from monitoring.alerts.services import DAY_NAMES


def _text(label, **kwargs):
    return forms.CharField(label=label, required=False, strip=False, **kwargs)


class AlertRuleForm(forms.Form):
    name = _text("Name")
    # Choices are checked by the service (with its messages), so a missing one is said there, not "required".
    type = forms.ChoiceField(
        label="When", choices=AlertRule.Type.choices, initial=AlertRule.Type.DAG_FAILURE, required=False
    )
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices, initial=Severity.WARNING, required=False)
    dag_match = forms.ChoiceField(
        label="DAG id", choices=AlertRule.Match.choices, initial=AlertRule.Match.IS, required=False
    )
    dag_patterns = _text("DAG id patterns")
    task_match = forms.ChoiceField(
        label="Task id", choices=AlertRule.Match.choices, initial=AlertRule.Match.IS, required=False
    )
    task_patterns = _text("Task id patterns")
    threshold_seconds = _text("Longer than (seconds)")
    deadline = _text("Succeeded by (UTC)")
    deadline_days = forms.MultipleChoiceField(
        label="On", choices=[(str(k), v) for k, v in DAY_NAMES.items()], required=False
    )
    lookback_minutes = _text("Look back (minutes)")
    channels = forms.MultipleChoiceField(label="Notify", required=False)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_objects = list(channels)
        self.fields["channels"].choices = [(str(c.pk), c.name) for c in self.channel_objects]

    @classmethod
    def for_rule(cls, rule: AlertRule, *, channels=()) -> "AlertRuleForm":
        return cls(
            channels=channels,
            initial={
                "channels": [str(c.pk) for c in rule.channels.all()],
                "name": rule.name,
                "type": rule.type,
                "severity": rule.severity,
                "dag_match": rule.dag_match,
                "dag_patterns": ", ".join(rule.dag_patterns),
                "task_match": rule.task_match,
                "task_patterns": ", ".join(rule.task_patterns),
                "threshold_seconds": rule.threshold_seconds or "",
                "deadline": rule.deadline.strftime("%H:%M") if rule.deadline else "",
                "deadline_days": [str(d) for d in rule.deadline_days],
                "lookback_minutes": rule.lookback_minutes or "",
            },
        )

    def service_fields(self) -> dict:
        """What the services take; blank numbers and times become None, so the service says they are missing."""
        data = dict(self.cleaned_data)
        for name in ("threshold_seconds", "deadline", "lookback_minutes"):
            data[name] = data[name].strip() or None
        data["deadline_days"] = [int(day) for day in data["deadline_days"]]
        data["channels"] = [int(pk) for pk in data["channels"]]
        return data


class SilenceForm(forms.Form):
    comment = _text("Why")
    length = forms.ChoiceField(
        label="For",
        choices=[("duration", "A while"), ("until", "Until")],
        initial="duration",
        widget=forms.RadioSelect,
        required=False,
    )
    duration_minutes = forms.TypedChoiceField(
        label="Duration",
        choices=[
            ("30", "30 minutes"),
            ("60", "1 hour"),
            ("120", "2 hours"),
            ("240", "4 hours"),
            ("480", "8 hours"),
            ("1440", "1 day"),
            ("4320", "3 days"),
        ],
        initial="60",
        required=False,
    )
    until = forms.DateTimeField(label="Until (UTC)", required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


class HistoryFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *Alert.State.choices], required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    rule = forms.ChoiceField(choices=[("", "Any rule")], required=False)
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)

    def __init__(self, *args, rules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "Any rule"), *rules]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end of the period comes before its start.")
        return data
