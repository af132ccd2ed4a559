"""API errors are always JSON, whatever raised them and wherever.

- In a DRF view: `exception_handler` (named by `REST_FRAMEWORK["EXCEPTION_HANDLER"]`, through
  `claims.api.exception_handler`, which adds the claims' refusals: portal must not import
  claims). DRF's own errors pass through unchanged (`{"detail": "..."}` with their status and
  headers: 401/403/404/405/413/415/429 with `Retry-After`); a validation error is
  `{"field": ["message"]}`; a database that is gone is 503 with `Retry-After`.
- Anything a view under /api/ does not handle: `ApiErrorsMiddleware` answers 500 (or 503)
  JSON and logs it, in DEBUG too.
- Errors outside any view (a session or auth middleware losing the database, an unknown
  address): `server_error` and `not_found`, the project's handler500 and handler404, answer
  JSON under /api/ and Django's own pages elsewhere.
"""

import logging
import sys

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("portal.api")

API_PREFIX = "/api/"
# How long a client should wait before trying again when the database is unreachable.
RETRY_AFTER_SECONDS = 30
DATABASE_GONE = "The service is briefly unavailable (database unreachable); try again shortly."
SERVER_ERROR = "Something went wrong on our side; it has been logged."
NOT_FOUND = "Not found."

DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable():
    response = JsonResponse({"detail": DATABASE_GONE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def exception_handler(exc, context):
    """DRF's handler, plus: a Django PermissionDenied keeps its message, and a lost database
    is 503. Returns None for anything else, which the middleware turns into a JSON 500."""
    if isinstance(exc, DATABASE_ERRORS):
        logger.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return database_unavailable()
    if isinstance(exc, DjangoPermissionDenied) and str(exc):
        exc = exceptions.PermissionDenied(str(exc))
    return drf_exception_handler(exc, context)


def _is_api(request):
    return request.path.startswith(API_PREFIX)


class ApiErrorsMiddleware:
    """An exception no view handled, under /api/: JSON, never the HTML error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning("database unavailable on %s", request.path, exc_info=exception)
            return database_unavailable()
        logger.error("unhandled error on %s", request.path, exc_info=exception)
        return JsonResponse({"detail": SERVER_ERROR}, status=500)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: called while the exception is being handled, so it is in sys.exc_info()."""
    if not _is_api(request):
        return defaults.server_error(request, template_name)
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable()
    return JsonResponse({"detail": SERVER_ERROR}, status=500)


def not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if not _is_api(request):
        return defaults.page_not_found(request, exception, template_name)
    return JsonResponse({"detail": NOT_FOUND}, status=404)


# --- the error bodies, as the schema documents them ------------------------------------------


class ErrorsSerializer(serializers.Serializer):
    """An error body: each offending field (a name, a dotted path such as downtime[0].end,
    `__all__` for the request as a whole) with its messages, or `detail` with one message.
    Its schema is `ERRORS_SCHEMA` (see ErrorsSchema): the keys are not fixed names."""


ERRORS_SCHEMA = {
    "type": "object",
    "description": "Keys are the offending fields (or `__all__` for the request as a whole) "
    "with a list of messages; errors that are not about a field have `detail` with one "
    'message. {"period_end": ["Enter a valid date/time."]}, {"detail": "Not found."}',
    "additionalProperties": {
        "anyOf": [
            # A nested input has the same shape inside: one object of errors per row of a
            # list, or one object for a nested object.
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}


class ErrorsSchema(OpenApiSerializerExtension):
    target_class = ErrorsSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        return ERRORS_SCHEMA


ERROR_DESCRIPTIONS = {
    400: "Bad input, by field, or a rule refused it.",
    401: "Not logged in: no session and no (valid) token.",
    403: "Logged in, but not allowed to do this.",
    404: "No such object visible to you.",
    405: "Method not allowed.",
    409: "Clashes with another claim, or the claim's state has moved on.",
    413: "The body or a file is over the limit.",
    415: "Unsupported media type.",
    429: "Too many requests; `Retry-After` says when to try again.",
    503: "The database is unreachable; `Retry-After` says when to try again.",
}


def error_responses(*codes):
    """Documented error responses for `extend_schema(responses=...)`."""
    return {
        code: OpenApiResponse(ErrorsSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }
