"""The answers to the pickers' searches (templates/partials/picker.html): a few of the rows that may be picked, as
the person types, so a page lists none of them up front."""

from django.shortcuts import render

from accounts import selectors

# What each kind of picker searches by, and how it lists what it found (templates extending picker_matches.html).
_KINDS = {
    "person": (selectors.search_people, "partials/person_matches.html"),
    "workspace": (selectors.search_by_name, "partials/workspace_matches.html"),
    "team": (selectors.search_by_name, "partials/team_matches.html"),
}


def answer(request, kind: str, rows, empty_hint: str = ""):
    """The matches of `rows` for the request's `?q=`, and whether more match."""
    search, template = _KINDS[kind]
    query = request.GET.get("q", "")
    matches, more = search(rows, query)
    context = {"matches": matches, "more": more, "query": query.strip(), "empty_hint": empty_hint}
    return render(request, template, context)
