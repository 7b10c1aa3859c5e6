"""The product's URLs plus the floor bench/page_latency.py measures against: a login-required view doing nothing
else, on the same stack (middleware, session, user lookup) as every page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from aerodrome.urls import handler400, handler403, handler404, handler500  # noqa: F401
from aerodrome.urls import urlpatterns as product_urls


@login_required
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *product_urls]
