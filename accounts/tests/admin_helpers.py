"""Helpers for driving the admin site in tests: URLs, the POST data of a change form, messages."""

from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse


def admin_url(model, view: str = "changelist", *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _form_values(form) -> dict:
    data = {}
    for bound in form:
        if bound.field.disabled:
            continue  # the form ignores posted values for these
        name, value, widget = bound.html_name, bound.value(), bound.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(widget, forms.MultiWidget):
            parts = value if isinstance(value, list) else widget.decompress(value)
            for suffix, part in zip(widget.widgets_names, parts, strict=True):
                data[f"{name}{suffix}"] = "" if part is None else part
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "" if value is None else value
    return data


def change_form_data(response) -> dict:
    """What a browser would post back from an admin add/change page, unchanged: edit it, then post it."""
    context = response.context
    data = _form_values(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_values(formset.management_form))
        for form in formset.forms:
            data.update(_form_values(form))
    return data


def inline_row(data: dict, prefix: str, **values) -> dict:
    """Append a new row to the inline formset `prefix` in `data` (as the "Add another" link would)."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    return data


def inline_index(data: dict, prefix: str, pk) -> int:
    """The index of the existing row with primary key `pk` in the inline formset `prefix`."""
    for index in range(int(data[f"{prefix}-INITIAL_FORMS"])):
        if str(data.get(f"{prefix}-{index}-id")) == str(pk):
            return index
    raise AssertionError(f"No row {pk} in the {prefix} inline")


def action_data(action: str, *objs, **extra) -> dict:
    return {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objs], "index": "0", **extra}


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages shown on a followed response."""
    return [(message.level_tag, str(message)) for message in response.context["messages"]]
