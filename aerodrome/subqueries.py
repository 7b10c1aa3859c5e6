"""Counts and checks over related rows, written as subqueries of the outer row so that a page's rows, or one row with
everything its page counts, come in one query."""

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_of(model: type[Model], field: str, **filters) -> Coalesce:
    """Counts the `model` rows whose `field` points at the outer row, as a subquery: one query for a whole page.

    (A subquery rather than `Count()` over a join, so several counts and the changelist's filters and search
    never multiply each other's rows.)
    """
    rows = (
        model._default_manager.filter(**{field: OuterRef("pk")}, **filters)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
