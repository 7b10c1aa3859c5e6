"""Refuses form bodies that are not valid UTF-8 (400), for pages and the API alike.

Django decodes form bodies leniently: bad bytes become U+FFFD (or, undecodable as a whole, Latin-1), and the result
would be saved as if someone had typed it. JSON bodies need nothing here: the API's parser already refuses them.
"""

from urllib.parse import unquote_to_bytes

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

MESSAGE = "The request is not valid UTF-8 text. Send form fields encoded as UTF-8."
REPLACEMENT = "\ufffd"  # what Django puts where a multipart text field had bytes it could not decode


class Utf8BodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _valid_text(request):
            return _refusal(request)
        return self.get_response(request)


def _valid_text(request) -> bool:
    encoding = request.encoding or "utf-8"
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            # Decoding the whole body at once is enough: a field separator (& or =) breaks any sequence it splits.
            unquote_to_bytes(request.body.replace(b"+", b" ")).decode(encoding)
        elif request.content_type == "multipart/form-data":
            # Files stay bytes; text fields are already decoded (streamed, so there is no whole body to check).
            return not any(
                REPLACEMENT in key or any(REPLACEMENT in value for value in values)
                for key, values in request.POST.lists()
            )
    except UnicodeDecodeError:
        return False
    return True


def _refusal(request):
    if request.path.startswith(reverse("api-root")):
        error = {"code": "invalid_encoding", "message": MESSAGE, "fields": {}}  # aerodrome/api/errors.py's format
        return JsonResponse({"error": error}, status=400)
    return render(request, "400.html", {"message": MESSAGE}, status=400)
