"""The proposed settlement over the API: `GET /api/v1/claims/{id}/proposal/` shows it to
reviewers, `POST /api/v1/claims/{id}/accept-proposal/` settles exactly its intervals (reason
"accepted the proposal"). Editing it is a plain `POST .../settle/` with the intervals changed."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response

from claims import access, services
from claims.api import ERRORS
from claims.serializers import SettlementSerializer


class SourceSerializer(serializers.Serializer):
    """A proof's lines (`file`, `lines`, `until_line`) or one of the provider's incidents."""

    file = serializers.CharField(required=False, help_text="The proof file's name.")
    lines = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="The lines of the episode's first and last probe (1-based; 0: unknown).",
    )
    until_line = serializers.IntegerField(
        required=False,
        help_text="The line of the probe that ended the episode (0: the file ends first).",
    )
    incident = serializers.IntegerField(required=False, help_text="The provider's incident id.")

    def to_representation(self, instance):
        return instance.to_dict()


class StretchSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    seconds = serializers.IntegerField()
    sources = SourceSerializer(many=True)


class ProposalSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The claimed period's start.")
    end = serializers.DateTimeField(help_text="The claimed period's end.")
    downtime = StretchSerializer(many=True, help_text="The proposed qualifying downtime.")
    downtime_seconds = serializers.IntegerField()
    answering = StretchSerializer(
        many=True, help_text="Where a proof shows the service answering, inside the period."
    )
    covers_none = serializers.BooleanField(
        help_text="No proof shows a failure inside the claimed period."
    )
    unread = serializers.ListField(child=serializers.CharField(), help_text="Unread proofs.")
    credit = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The engine's credit for the proposed downtime."
    )
    digest = serializers.CharField(
        help_text="Names this proposal: pass it to accept-proposal to refuse a changed one."
    )


class AcceptProposalSerializer(serializers.Serializer):
    proposal = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The digest from GET .../proposal/: 409 if the proposal changed since.",
    )


def proposal_data(proposed):
    p = proposed.proposal
    return {
        "start": p.start,
        "end": p.end,
        "downtime": p.downtime,
        "downtime_seconds": p.downtime_seconds,
        "answering": p.answering,
        "covers_none": p.covers_none,
        "unread": list(p.unread),
        "credit": proposed.credit,
        "digest": proposed.digest,
    }


class ProposalActions:
    """Mixed into the claims viewset with the review steps."""

    @extend_schema(request=None, responses={200: ProposalSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def proposal(self, request, pk=None):
        claim = self.get_object()
        if not access.is_reviewer(request.user):
            raise NotFound()
        return Response(ProposalSerializer(proposal_data(services.proposal_for(claim))).data)

    @extend_schema(
        request=AcceptProposalSerializer, responses={201: SettlementSerializer, **ERRORS}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="accept-proposal",
        parser_classes=[JSONParser, FormParser],
    )
    def accept_proposal(self, request, pk=None):
        claim = self.get_object()
        serializer = AcceptProposalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settlement = services.accept_proposal(
            claim=claim, by=request.user, digest=serializer.validated_data["proposal"] or None
        )
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)
