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
    """Says in headers how much CPU the request took in this thread (Django's whole handling of it, the response
    rendered), which unlike the time on the clock hardly changes when other processes load the machine, and how long
    it took on the clock inside Django."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start, clock = time.thread_time(), time.perf_counter()
        response = self.get_response(request)
        response["X-Bench-Cpu-Ms"] = f"{(time.thread_time() - start) * 1000:.3f}"
        response["X-Bench-Wall-Ms"] = f"{(time.perf_counter() - clock) * 1000:.3f}"
        return response
