"""Django's error views (handler400/403/404/500 in aerodrome/urls.py): under /api/ they answer in the API's error
format, without rendering a page; elsewhere they are Django's own, which render the product's templates.

They serve what goes wrong outside a view: an address no route matches, a body refused by a middleware, an
exception in a middleware (the database down while loading a session is a 503 here too)."""

import sys

from django.views import defaults

from aerodrome.api import errors
from aerodrome.api.middleware import is_api


def bad_request(request, exception):
    if is_api(request):
        return errors.response_for_exception(exception, request, log=False)  # Django logs it
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return errors.error_response(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return errors.not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        exception = sys.exc_info()[1]  # Django calls this while handling the exception
        if exception is not None:
            return errors.response_for_exception(exception, request, log=False)
        return errors.error_response(500)
    return defaults.server_error(request)
