"""Limits on what one request may carry, checked before any middleware reads it.

Django parses the Cookie header with the standard library, whose unquoting is quadratic in the number of
backslashes on CPython before 3.11.10 (CVE-2024-7592): ten 8 KB headers of backslashes, which gunicorn
joins into one, pinned a worker for 30 s. The header is bounded here, and backslashes (which no cookie
of this site holds) are dropped, so that parsing stays linear whatever the interpreter. A NUL byte has
no place in a page's path: refused at once rather than met by a database driver (the API refuses its
own, as an OperationOutcome; query strings are checked by the forms that read them).
"""

from django.conf import settings
from django.core.exceptions import BadRequest


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookie = request.META.get("HTTP_COOKIE", "")
        if len(cookie) > settings.COOKIE_MAX_BYTES:
            raise BadRequest("En-tête Cookie trop long.")
        if "\\" in cookie:
            request.META["HTTP_COOKIE"] = cookie.replace("\\", "")
        # the API answers its own refusals in its own format (an OperationOutcome)
        if "\x00" in request.path and not request.path.startswith(settings.API_PATH_PREFIXES):
            raise BadRequest("Caractère nul dans l'adresse.")
        return self.get_response(request)
