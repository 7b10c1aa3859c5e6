"""LeanListSerializer (aerodrome/api/lean.py) represents each row exactly as the child serializer would."""

import datetime
from types import SimpleNamespace

from rest_framework import fields, serializers

from aerodrome.api.lean import LeanListSerializer


class Upper(fields.CharField):
    """A field that reads its value its own way: the name, in capitals."""

    def get_attribute(self, instance):
        return instance.name.upper()


class Item(serializers.Serializer):
    name = serializers.CharField()


class Row(serializers.Serializer):
    name = serializers.CharField()
    shout = Upper(source="name")
    size = serializers.IntegerField()
    at = serializers.DateTimeField()
    items = Item(many=True)

    class Meta:
        list_serializer_class = LeanListSerializer


def rows():
    at = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    return [
        SimpleNamespace(name=f"row {i}", size=i, at=at, items=[SimpleNamespace(name=f"item {i}")]) for i in range(3)
    ]


def test_a_list_is_what_the_serializer_makes_of_each_row():
    listed = Row(rows(), many=True).data
    assert isinstance(Row(many=True), LeanListSerializer)
    assert listed == [Row(row).data for row in rows()]


def test_a_field_that_reads_its_value_its_own_way_is_read_its_way():
    assert [row["shout"] for row in Row(rows(), many=True).data] == ["ROW 0", "ROW 1", "ROW 2"]
