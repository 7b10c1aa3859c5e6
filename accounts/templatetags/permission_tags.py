"""`{% can "permission" obj as name %}`: whether the signed-in user holds a permission on an object, for templates
whose view does not say (shared layouts)."""

from django import template

from accounts import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, permission: str, obj) -> bool:
    request = context.get("request")
    return request is not None and permissions.can(request.user, permission, obj)
