"""The two role ladders. A role ranks above another when it comes later in its ladder."""

from django.db import models


class OrgRole(models.TextChoices):
    MEMBER = "MEMBER", "Member"
    OWNER = "OWNER", "Owner"


class WorkspaceRole(models.TextChoices):
    MEMBER = "MEMBER", "Member"
    AUTHOR = "AUTHOR", "Author"
    OPERATOR = "OPERATOR", "Operator"
    OWNER = "OWNER", "Owner"


def at_least(ladder: type[models.TextChoices], minimum: str) -> list[str]:
    """Every role of `ladder` that ranks at or above `minimum`."""
    values = list(ladder.values)
    return values[values.index(str(minimum)) :]


def highest(ladder: type[models.TextChoices], roles) -> str | None:
    values = list(ladder.values)
    found = [r for r in roles if r]
    return max(found, key=values.index) if found else None
