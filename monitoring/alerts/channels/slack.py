"""Slack: an incoming webhook (https://hooks.slack.com/services/…), whose URL is its secret."""

from monitoring.alerts.channels import base
from monitoring.alerts.channels.base import Notice, Sent

FIELDS = SECRETS = ("url",)
EMOJI = {"firing": ":rotating_light:", "resolved": ":white_check_mark:", "test": ":wave:"}


def clean(fields: dict, errors, *, channel) -> tuple[dict, dict]:
    return base.clean_url_secret(fields, errors, channel=channel, what="webhook URL")


target = base.target_host


def payload(notice: Notice) -> dict:
    """Text for notifications and older clients, blocks for the message itself."""
    facts = [f"*Severity:* {notice.severity}"]
    if notice.deployment:
        facts.append(f"*Deployment:* {notice.deployment}")
    if notice.rule:
        facts.append(f"*Rule:* {notice.rule}")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.headline[:150], "emoji": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": fact} for fact in facts]},
    ]
    if notice.summary or notice.description:
        text = "\n".join(part for part in (notice.summary, notice.description) if part)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
    if notice.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "View in Aerodrome"}, "url": notice.url}
                ],
            }
        )
    return {"text": f"{EMOJI.get(notice.status, '')} {notice.headline}".strip(), "blocks": blocks}


def send(channel, notice: Notice, *, delivery_id: int) -> Sent:
    return base.post_json(channel.secrets["url"], payload(notice))
