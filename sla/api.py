"""`POST /api/v1/quotes/`: the quote contract over HTTP."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sla.engine import QuoteInputError, QuoteTooLarge
from sla.quotes import quote_payload
from sla.serializers import FieldErrorsSerializer, QuoteInputSerializer, QuoteOutputSerializer


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class RawJSONParser(BaseParser):
    """Hands the body over unparsed: the contract parser reports malformed JSON itself, with
    the same message the command gives. Reads at most `QUOTE_MAX_BODY_BYTES` (+1 to see that
    there is more), so a huge body is refused without being held in memory."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.QUOTE_MAX_BODY_BYTES
        request = parser_context["request"] if parser_context else None
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(_too_large(limit))
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge(_too_large(limit))
        return body


def _too_large(limit):
    return f"The body is larger than the limit of {limit:,} bytes ({limit / 1024 / 1024:g} MB)."


class QuoteView(APIView):
    parser_classes = [RawJSONParser]
    throttle_scope = "quotes"

    @extend_schema(
        operation_id="quote_credit",
        summary="Quote the SLA credit for downtime (one object, or a list quoted in order)",
        request=QuoteInputSerializer,
        responses={
            200: QuoteOutputSerializer,
            400: OpenApiResponse(FieldErrorsSerializer, description="Bad input, by field."),
            413: OpenApiResponse(
                FieldErrorsSerializer,
                description="Beyond a size limit: the body (5 MB), 1,000 quotes or 10,000 "
                "downtime intervals in all; the message names the limit.",
            ),
            429: OpenApiResponse(description="Too many requests; see Retry-After."),
            401: OpenApiResponse(description="Not logged in / no token."),
            403: OpenApiResponse(description="Not allowed."),
        },
        examples=[
            OpenApiExample(
                "groupspark, 20 minutes",
                request_only=True,
                value={
                    "policy": "groupspark",
                    "monthly_fee": "720.00",
                    "downtime": [
                        {
                            "start": "2026-03-10T14:00:00-05:00",
                            "end": "2026-03-10T14:20:00-05:00",
                            "exception": None,
                        }
                    ],
                },
            )
        ],
    )
    def post(self, request):
        # An empty body never reaches the parser: DRF gives {} then.
        body = request.data if isinstance(request.data, bytes) else b""
        try:
            result = quote_payload(
                body,
                breakdown=request.query_params.get("breakdown") == "1",
                max_quotes=settings.QUOTE_MAX_QUOTES,
                max_intervals=settings.QUOTE_MAX_INTERVALS,
            )
        except QuoteTooLarge as exc:
            return Response(
                {exc.field: [exc.message]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        except QuoteInputError as exc:
            return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result)
