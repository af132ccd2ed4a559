"""The claims API: claims scoped to the asker (claims), the review actions and queue (review).
What both answer on refusal is here."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from claims.serializers import ErrorsSerializer

ERRORS = {
    400: OpenApiResponse(ErrorsSerializer, description="Bad input, or a rule refused it."),
    401: OpenApiResponse(description="Not logged in."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such claim visible to you."),
    409: OpenApiResponse(ErrorsSerializer, description="Clashes with another claim or state."),
}


def refused(refusal):
    """A ClaimRefused as a response: 409 when the claim's state has moved on, else 400."""
    code = status.HTTP_409_CONFLICT if refusal.conflict else status.HTTP_400_BAD_REQUEST
    return Response(refusal.errors, status=code)
