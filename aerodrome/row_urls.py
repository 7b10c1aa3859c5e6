"""Links for every row of a table: `row_url("deployment_overview", org.slug)` reverses the route once and returns a
function of the row's primary key. `reverse()` walks the URL resolver each time, which for a page of 25 rows with
two links each cost more than the rest of those rows."""

from collections.abc import Callable

from django.urls import reverse

_SENTINEL = 2_147_483_647  # a primary key no row has yet; it stands in for the row's own in the reversed URL


def row_url(name: str, *leading) -> Callable[[int], str]:
    """`reverse(name, args=[*leading, pk])` as a function of `pk`, for routes whose last argument is an int pk."""
    prefix, found, suffix = reverse(name, args=[*leading, _SENTINEL]).rpartition(str(_SENTINEL))
    if not found:
        raise ValueError(f"{name}'s last argument does not appear in its URL")
    return lambda pk: f"{prefix}{int(pk)}{suffix}"
