from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages over changing lists; clients follow `next` / `previous`."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
