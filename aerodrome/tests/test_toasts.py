"""Messages are toasts on every page, and reach the page on HTMX answers too: one that renders only a partial
carries them out of band; one that makes htmx load a page leaves them for that page."""

import pytest
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path

from accounts.tests.page_helpers import HTMX, text
from aerodrome.views import done

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _note(request):
    messages.success(request, "Queue saved.")
    messages.error(request, "The cluster did not answer.")


def partial(request):
    _note(request)
    return HttpResponse('<tr id="row-1"><td>default</td></tr>')


def poll(request):
    return HttpResponse('<div id="status">Healthy</div>')


def navigate(request):
    _note(request)
    return done(request, "/page/")


def page(request):
    template = engines["django"].from_string('{% include "partials/messages.html" %}<main>The page</main>')
    return HttpResponse(template.render({}, request))


def json(request):
    _note(request)
    return JsonResponse({"ok": True})


urlpatterns = [
    path("partial/", partial),
    path("poll/", poll),
    path("navigate/", navigate),
    path("page/", page),
    path("json/", json),
    path("", include("aerodrome.urls")),  # what the middleware and templates refer to
]


def test_an_htmx_partial_carries_the_messages_as_toasts_out_of_band(client, tenancy):
    client.force_login(tenancy.owner)
    body = text(client.post("/partial/", **HTMX))
    assert body.startswith('<tr id="row-1"><td>default</td></tr>')
    oob = body[body.index('<div id="messages"') :]
    assert oob.startswith('<div id="messages" class="toast-stack" hx-swap-oob="beforeend">')
    assert 'role="status"' in oob and "Queue saved." in oob  # announced politely, and it goes away by itself
    assert 'role="alert"' in oob and "The cluster did not answer." in oob  # announced at once, and it stays
    assert oob.count("data-autohide") == 1
    assert "Queue saved." not in text(client.get("/page/"))  # shown once


def test_an_answer_that_loads_a_page_leaves_the_messages_for_that_page(client, tenancy):
    client.force_login(tenancy.owner)
    response = client.post("/navigate/", **HTMX)
    assert response.status_code == 204 and response["HX-Location"] == "/page/"
    assert response.content == b""
    page_body = text(client.get("/page/", **HTMX))  # what htmx requests for HX-Location
    assert page_body.count("Queue saved.") == 1 and page_body.count("The cluster did not answer.") == 1
    assert "hx-swap-oob" not in page_body  # the page showed them itself


def test_a_poll_meanwhile_leaves_the_messages_for_the_page_being_loaded(client, tenancy):
    client.force_login(tenancy.owner)
    client.post("/navigate/", **HTMX)
    assert text(client.get("/poll/", **HTMX)) == '<div id="status">Healthy</div>'  # e.g. a status every 2 s
    page_body = text(client.get("/page/", **HTMX))
    assert "Queue saved." in page_body and "The cluster did not answer." in page_body


def test_a_plain_browser_gets_the_messages_on_the_next_page(client, tenancy):
    client.force_login(tenancy.owner)
    assert "messages" not in text(client.post("/partial/"))
    assert "Queue saved." in text(client.get("/page/"))


def test_json_answers_are_left_alone(client, tenancy):
    client.force_login(tenancy.owner)
    assert client.post("/json/", **HTMX).json() == {"ok": True}
