"""row_url: a route reversed once for a table, then filled in per row, gives what reverse() gives."""

import pytest
from django.urls import reverse

from aerodrome.row_urls import row_url


@pytest.mark.parametrize("pk", [1, 42, 2_147_483_646, "7"])
def test_each_rows_link_is_the_one_reverse_gives(pk):
    for name, leading in [("deployment_overview", ["acme"]), ("workspace_binding_role", ["acme-2", 31])]:
        assert row_url(name, *leading)(pk) == reverse(name, args=[*leading, pk])


def test_a_slug_that_looks_like_the_placeholder_does_not_take_the_rows_place():
    overview = row_url("deployment_overview", "org-2147483647")
    assert overview(5) == reverse("deployment_overview", args=["org-2147483647", 5])


def test_a_row_key_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        row_url("deployment_overview", "acme")("1/../../admin")
