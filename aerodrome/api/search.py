"""`?search=` on every list endpoint: the items whose fields the view names in `search_fields` contain every word
given, ignoring case. Only lists are filtered (a retrieve never is), and the query is checked first: control
characters or more than 200 characters are a 400 naming `search`."""

from rest_framework import filters

from aerodrome.api import params

MAX_LENGTH = 200


class SearchFilter(filters.SearchFilter):
    def get_search_terms(self, request):
        value = params.text(request, self.search_param, MAX_LENGTH)
        return value.replace(",", " ").split()

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "search_fields", None)
        if not fields:
            return []
        labels = ", ".join(field.lstrip("^=@$").replace("__", " ").replace("_", " ") for field in fields)
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": f"Only the items whose {labels} contain every word given (ignoring case).",
                "schema": {"type": "string", "maxLength": MAX_LENGTH},
            }
        ]
