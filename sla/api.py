"""`POST /api/v1/quotes/`: the quote contract over HTTP."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sla.engine import QuoteInputError
from sla.quotes import quote_payload
from sla.serializers import FieldErrorsSerializer, QuoteInputSerializer, QuoteOutputSerializer


class RawJSONParser(BaseParser):
    """Hands the body over unparsed: the contract parser reports malformed JSON itself, with
    the same message the command gives."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


class QuoteView(APIView):
    parser_classes = [RawJSONParser]

    @extend_schema(
        operation_id="quote_credit",
        summary="Quote the SLA credit for downtime (one object, or a list quoted in order)",
        request=QuoteInputSerializer,
        responses={
            200: QuoteOutputSerializer,
            400: OpenApiResponse(FieldErrorsSerializer, description="Bad input, by field."),
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
        try:
            result = quote_payload(
                request.data, breakdown=request.query_params.get("breakdown") == "1"
            )
        except QuoteInputError as exc:
            return Response({exc.field: [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result)
