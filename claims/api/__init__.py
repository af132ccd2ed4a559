"""The claims API: claims scoped to the asker (claims), the review actions and queue (review).

A refusal (`ClaimRefused` from the services) is answered by `exception_handler`, which settings
name as DRF's EXCEPTION_HANDLER: it lives here, not in portal, because portal must not import
claims (portal <- sla <- claims <- billing); everything else it hands to portal's generic
handler (JSON always, 503 for a lost database)."""

from rest_framework import status
from rest_framework.response import Response

from claims.services import ClaimRefused
from portal import api

# What every operation on a claim may answer besides its success.
ERRORS = api.error_responses(400, 401, 403, 404, 409, 429)


def exception_handler(exc, context):
    """A ClaimRefused as `{"field": ["message"]}`: 409 when the claim's state has moved on or it
    clashes with another claim, else 400."""
    if isinstance(exc, ClaimRefused):
        code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        return Response(exc.errors, status=code)
    return api.exception_handler(exc, context)
