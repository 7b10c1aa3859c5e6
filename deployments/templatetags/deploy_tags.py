"""Template filters of the Deploys tab."""

from django import template

register = template.Library()


@register.filter
def short_image(value: str) -> str:
    """`registry/repo@sha256:<64 hex>` as `registry/repo@sha256:<12 hex>`; a tag reference unchanged."""
    if not value:
        return ""
    repository, at, digest = value.partition("@")
    return f"{repository}@{digest[:19]}" if at else value


@register.filter
def short_sha(value: str) -> str:
    return (value or "")[:12]


@register.filter
def file_changes(diff: dict) -> int:
    files = diff["files"]
    return len(files["added"]) + len(files["removed"]) + len(files["changed"])
