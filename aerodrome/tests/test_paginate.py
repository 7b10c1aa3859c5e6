"""paginate: the page a request asks for, with a count only when the list is longer than its first page."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from aerodrome.views import paginate

pytestmark = pytest.mark.django_db


def organisations(n: int):
    Organization.objects.bulk_create(Organization(name=f"Org {i:03}", slug=f"org-{i:03}") for i in range(n))
    return Organization.objects.order_by("slug")


def page_of(n: int, asked=None, per_page: int = 10):
    query = {} if asked is None else {"page": asked}
    rows = organisations(n)
    with CaptureQueriesContext(connection) as queries:
        page = paginate(RequestFactory().get("/", query), rows, per_page)
        shown = [o.slug for o in page]
        numbers = (page.number, page.paginator.count, page.paginator.num_pages, page.has_next())
    return shown, numbers, [q["sql"] for q in queries.captured_queries]


def test_a_list_shorter_than_a_page_is_read_in_one_query_without_a_count():
    shown, numbers, sql = page_of(7)
    assert shown == [f"org-{i:03}" for i in range(7)]
    assert numbers == (1, 7, 1, False)
    assert len(sql) == 1 and "COUNT" not in sql[0], sql


def test_an_empty_list_is_one_empty_page():
    shown, numbers, sql = page_of(0)
    assert shown == [] and numbers == (1, 0, 1, False) and len(sql) == 1


@pytest.mark.parametrize("rows", [10, 25])
def test_a_full_first_page_is_counted_to_offer_the_next(rows):
    shown, numbers, sql = page_of(rows)
    assert shown == [f"org-{i:03}" for i in range(10)]
    assert numbers == (1, rows, -(-rows // 10), rows > 10)
    assert len(sql) == 2 and any("COUNT" in q for q in sql)


@pytest.mark.parametrize(("asked", "number", "first"), [("2", 2, 10), ("abc", 1, 0), ("", 1, 0), ("99", 3, 20)])
def test_the_page_asked_for_or_the_first_or_the_last(asked, number, first):
    shown, numbers, _ = page_of(25, asked)
    assert numbers[0] == number
    assert shown[0] == f"org-{first:03}"


def test_a_count_the_caller_has_already_is_not_asked_again():
    rows = organisations(25)
    with CaptureQueriesContext(connection) as queries:
        page = paginate(RequestFactory().get("/", {"page": 2}), rows, 10, count=25)
        shown = [o.slug for o in page]
    assert shown == [f"org-{i:03}" for i in range(10, 20)]
    assert (page.paginator.count, page.paginator.num_pages, page.has_next()) == (25, 3, True)
    assert len(queries) == 1 and "COUNT" not in queries[0]["sql"]
