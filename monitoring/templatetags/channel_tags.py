from django import template

register = template.Library()

ICONS = {
    "EMAIL": ("ti-mail", "bg-blue-lt"),
    "SLACK": ("ti-brand-slack", "bg-purple-lt"),
    "TEAMS": ("ti-brand-teams", "bg-indigo-lt"),
    "PAGERDUTY": ("ti-urgent", "bg-green-lt"),
    "OPSGENIE": ("ti-bell-ringing", "bg-orange-lt"),
    "WEBHOOK": ("ti-webhook", "bg-secondary-lt"),
}


UNKNOWN = ("ti-bell", "bg-secondary-lt")


@register.simple_tag
def kind_icon(kind: str) -> str:
    """The icon class of a channel kind, as its avatar shows it."""
    return ICONS.get(kind, UNKNOWN)[0]


@register.inclusion_tag("monitoring/partials/kind_avatar.html")
def kind_avatar(kind: str, size: str = ""):
    icon, colour = ICONS.get(kind, UNKNOWN)
    return {"icon": icon, "colour": colour, "size": size}
