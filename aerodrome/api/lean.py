"""Lists of read-only serializers without DRF's per-field machinery on every row.

For each row, DRF asks every field for its attribute and then its representation, through several layers
(`Field.get_attribute`, `fields.get_attribute` with its checks, SkipField handling, `to_representation`), and a
nested `many=True` field goes through all of it again for each of its items. For one page of 50 Deployments that
cost more than the rest of the request together. `LeanListSerializer` plans each field once per list (how to read
it, how to represent it) and runs the plan on every row. The output is the child serializer's own, field for
field (aerodrome/tests/test_api_lean.py compares them); anything the plan does not know how to read faster is
read the way DRF reads it.

Use it as a read-only serializer's `Meta.list_serializer_class`.
"""

import datetime
from collections.abc import Callable, Mapping

from django.db.models.manager import BaseManager
from rest_framework import ISO_8601, fields, relations, serializers
from rest_framework.settings import api_settings

Plan = list[tuple[str, Callable, Callable | None]]

# Fields whose representation of a non-null value is one builtin applied to it (DRF's own implementation, checked
# by identity: a subclass overriding to_representation keeps its own).
_CONVERTERS = {
    fields.CharField.to_representation: str,
    fields.IntegerField.to_representation: int,
}


def _identity(value):
    return value


def _datetime_converter(field: fields.DateTimeField) -> Callable:
    """DRF's ISO 8601 representation of an aware datetime, its time zone looked up once per list instead of per
    value; anything else (naive values, strings, other formats) goes through the field itself."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if output_format is None or output_format.lower() != ISO_8601 or zone is None:
        return field.to_representation
    slow = field.to_representation

    def convert(value):
        if type(value) is not datetime.datetime or value.tzinfo is None:
            return slow(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _reads_its_own_way(field: fields.Field) -> bool:
    """Whether the field's class overrides how DRF reads an attribute (then only the field itself knows)."""
    return type(field).get_attribute not in (fields.Field.get_attribute, relations.RelatedField.get_attribute)


def _reader(field: fields.Field) -> Callable:
    """Reads the field's attribute from an instance as `field.get_attribute` does (which it falls back to for
    whatever is not a plain attribute: callables, missing attributes, defaults)."""
    if _reads_its_own_way(field):
        return field.get_attribute
    if field.source == "*":
        return _identity
    attrs = field.source_attrs
    slow = field.get_attribute

    def read(instance):
        value = instance
        try:
            for attr in attrs:
                value = getattr(value, attr)
        except (AttributeError, KeyError):
            return slow(instance)
        if callable(value):
            return slow(instance)
        return value

    return read


def _pk_reader(field: relations.PrimaryKeyRelatedField) -> Callable:
    """A primary key field of a foreign key (`workspace` -> `workspace_id`), without loading the related row."""
    if _reads_its_own_way(field):
        return lambda instance: field.get_attribute(instance).pk
    *path, name = field.source_attrs
    slow = field.get_attribute

    def read(instance):
        try:
            owner = instance
            for attr in path:
                owner = getattr(owner, attr)
            return owner.serializable_value(name)
        except (AttributeError, KeyError):
            return slow(instance).pk

    return read


def plan(serializer: serializers.Serializer) -> Callable[[object], dict]:
    """A function representing one instance as `serializer.to_representation` would."""
    steps: Plan = []
    for field in serializer._readable_fields:
        name = field.field_name
        if isinstance(field, serializers.ListSerializer):
            steps.append((name, _reader(field), _many(plan(field.child))))
        elif isinstance(field, serializers.Serializer):
            steps.append((name, _reader(field), plan(field)))
        elif isinstance(field, serializers.SerializerMethodField):
            steps.append((name, getattr(field.parent, field.method_name), None))
        elif isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
            steps.append((name, _pk_reader(field), None))
        elif isinstance(field, relations.RelatedField | serializers.HiddenField):
            steps.append((name, field.get_attribute, field.to_representation))
        else:
            if type(field).to_representation is fields.DateTimeField.to_representation:
                convert = _datetime_converter(field)
            else:
                convert = _CONVERTERS.get(type(field).to_representation) or field.to_representation
            steps.append((name, _reader(field), convert))
    fallback = serializer.to_representation

    def represent(instance) -> dict:
        if isinstance(instance, Mapping):
            return fallback(instance)
        row = {}
        for name, read, convert in steps:
            try:
                value = read(instance)
            except fields.SkipField:
                continue
            if value is None or convert is None:
                row[name] = value
            else:
                row[name] = convert(value)
        return row

    return represent


def _many(represent: Callable[[object], dict]) -> Callable:
    def represent_all(data) -> list[dict]:
        items = data.all() if isinstance(data, BaseManager) else data
        return [represent(item) for item in items]

    return represent_all


class LeanListSerializer(serializers.ListSerializer):
    """A list of a read-only serializer's rows, planned once (see the module's docstring)."""

    def to_representation(self, data):
        return _many(plan(self.child))(data)
