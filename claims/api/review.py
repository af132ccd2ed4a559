"""Review over the API: the staff queue, and one endpoint per workflow step on a claim
(`POST /api/v1/claims/{id}/approve/` ...). Each step calls one service; refusals are 400, or 409
when the claim's state has moved on (already decided, waiting for a second reviewer)."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from claims import access, services
from claims.api import ERRORS
from claims.api.pagination import KeysetPagination
from claims.api.proposal import ProposalActions
from claims.filters import ReviewQueueFilter, review_queue
from claims.models import Claim, ClaimLine
from claims.serializers import (
    AnswerSerializer,
    ApproveSerializer,
    ClaimSerializer,
    DecisionSerializer,
    MessageSerializer,
    PostMessageSerializer,
    QuestionSerializer,
    QueueClaimSerializer,
    ReasonSerializer,
    SettlementSerializer,
    SettleSerializer,
)
from claims.uploads import rejected_uploads
from portal import api
from portal.auth import needs_recent_auth, recent_auth_message
from sla.models import PolicyVersion


class ReviewQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Claims waiting for staff, what is due first at the top: the same queue and filters as
    the review page (`claims.filters`). Reviewers only; anyone else gets 404."""

    serializer_class = QueueClaimSerializer
    filterset_class = ReviewQueueFilter
    pagination_class = KeysetPagination
    # The queue's order (claims.filters.review_queue), the id breaking ties: index
    # claim_queue_due (migration 0008).
    ordering = ("decision_due_at", "submitted_at", "id")
    # Filing sets both (claims.services.submit_claim) and every queue state is filed.
    ordering_never_null = ("decision_due_at", "submitted_at")

    def get_queryset(self):
        if not access.is_reviewer(self.request.user):
            return Claim.objects.none()
        # Each line with what its estimate reads: the policy's versions prefetched once for
        # the page (the rest is read for the whole page by Claim.estimates_for_page).
        lines = ClaimLine.objects.select_related(
            "subscription__service", "subscription__policy", "subscription__organisation"
        ).order_by("pk")
        versions = PolicyVersion.objects.select_related("policy").prefetch_related(
            "exception_categories"
        )
        return (
            review_queue()
            .prefetch_related(None)
            .prefetch_related(
                Prefetch("lines", queryset=lines),
                Prefetch("lines__subscription__policy__versions", queryset=versions),
            )
        )

    @extend_schema(
        responses={200: QueueClaimSerializer(many=True), **api.error_responses(400, 401, 404)}
    )
    def list(self, request, *args, **kwargs):
        if not access.is_reviewer(request.user):
            raise NotFound()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            **self.get_serializer_context(),
            "estimates": Claim.estimates_for_page(page),
        }
        serializer = QueueClaimSerializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)


def refuse_dropped_uploads(request):
    """A file dropped while the body streamed in (over the size limit) is a field error naming
    it, never a silent `"files": []`: the answer or message is not stored without it."""
    request.data  # noqa: B018 - reads the body, so the handlers have seen every file
    dropped = rejected_uploads(request)
    if dropped:
        raise services.ClaimRefused({"file": [rejected.message for rejected in dropped]})


class ReviewActions(ProposalActions):
    """Mixed into the claims viewset: the review steps on one claim (and the proposal's)."""

    @extend_schema(request=None, responses={200: ClaimSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        claim = self.get_object()
        services.start_review(claim=claim, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=SettleSerializer, responses={201: SettlementSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def settle(self, request, pk=None):
        claim = self.get_object()
        serializer = SettleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        settlement = services.settle(
            claim=claim,
            by=request.user,
            intervals=[
                services.SettledInterval(
                    i["start"], i["end"], i.get("exception") or None, i["reason"]
                )
                for i in data["intervals"]
            ],
            maintenance=[
                services.MaintenanceCall(m["maintenance_id"], m["excused"], m["reason"])
                for m in data["maintenance"]
            ],
            reason=data["reason"],
        )
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApproveSerializer, responses={201: DecisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def approve(self, request, pk=None):
        claim = self.get_object()
        if needs_recent_auth(request):
            return Response({"detail": recent_auth_message()}, status=status.HTTP_403_FORBIDDEN)
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.approve(
            claim=claim,
            by=request.user,
            amount=serializer.validated_data.get("amount"),
            reason=serializer.validated_data["reason"],
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: DecisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="confirm-approval")
    def confirm_approval(self, request, pk=None):
        claim = self.get_object()
        if needs_recent_auth(request):
            return Response({"detail": recent_auth_message()}, status=status.HTTP_403_FORBIDDEN)
        decision = services.confirm_approval(claim=claim, by=request.user)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses={201: DecisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def reject(self, request, pk=None):
        claim = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.reject(
            claim=claim, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=QuestionSerializer, responses={201: MessageSerializer, **ERRORS})
    @action(
        detail=True,
        methods=["post"],
        url_path="request-info",
        parser_classes=[JSONParser, FormParser],
    )
    def request_info(self, request, pk=None):
        claim = self.get_object()
        serializer = QuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.request_info(
            claim=claim, by=request.user, question=serializer.validated_data["question"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": AnswerSerializer, "application/json": AnswerSerializer},
        responses={201: MessageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def answer(self, request, pk=None):
        claim = self.get_object()
        refuse_dropped_uploads(request)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        uploads = [(data["file"], data.get("kind") or "")] if data.get("file") else []
        message = services.answer_info(
            claim=claim, by=request.user, body=data["body"], uploads=uploads
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "multipart/form-data": PostMessageSerializer,
            "application/json": PostMessageSerializer,
        },
        responses={201: MessageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def messages(self, request, pk=None):
        claim = self.get_object()
        refuse_dropped_uploads(request)
        serializer = PostMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        uploads = [(data["file"], "")] if data.get("file") else []
        message = services.post_message(
            claim=claim,
            by=request.user,
            body=data["body"],
            internal=data["internal"],
            uploads=uploads,
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
