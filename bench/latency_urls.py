"""The product's URLs plus the floor bench/page_latency.py measures against: a login-required view doing nothing
else, on the same stack (middleware, session, user lookup) as every page."""

import time

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from aerodrome.urls import handler400, handler403, handler404, handler500  # noqa: F401
from aerodrome.urls import urlpatterns as product_urls


@login_required
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *product_urls]


class ThreadCpuMiddleware:
    """Says in a header how much CPU the request took in this thread (Django's whole handling of it, the response
    rendered): unlike the time on the clock, it hardly changes when other processes load the machine."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.thread_time()
        response = self.get_response(request)
        response["X-Bench-Cpu-Ms"] = f"{(time.thread_time() - start) * 1000:.3f}"
        return response
