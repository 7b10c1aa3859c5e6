"""Microsoft Teams: a workflow's "When a Teams webhook request is received" URL (Power Automate; the old Office 365
connectors are retired), posted a message whose attachment is an Adaptive Card. The URL (with its `sig`) is the
secret."""

from monitoring.alerts.channels import base
from monitoring.alerts.channels.base import Notice, Sent

FIELDS = SECRETS = ("url",)
COLOUR = {"firing": "Attention", "resolved": "Good", "test": "Accent"}


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    return base.clean_url_secret(fields, errors, channel=channel, what="workflow URL")


target = base.target_host


def card(notice: Notice) -> dict:
    facts = [{"title": "Severity", "value": notice.severity}]
    for title, value in (("Deployment", notice.deployment), ("Workspace", notice.workspace), ("Rule", notice.rule)):
        if value:
            facts.append({"title": title, "value": value})
    if notice.starts_at:
        facts.append({"title": "Since", "value": notice.starts_at})
    body = [
        {
            "type": "TextBlock",
            "text": notice.headline,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": COLOUR.get(notice.status, "Default"),
        },
        {"type": "FactSet", "facts": facts},
    ]
    if notice.summary or notice.description:
        text = "\n\n".join(part for part in (notice.summary, notice.description) if part)
        body.append({"type": "TextBlock", "text": text[:4000], "wrap": True})
    content = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    }
    if notice.url:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "View in Aerodrome", "url": notice.url}]
    return content


def payload(notice: Notice) -> dict:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card(notice)}
        ],
    }


def send(channel, notice: Notice, *, delivery_id: int) -> Sent:
    return base.post_json(channel.secrets["url"], payload(notice))
