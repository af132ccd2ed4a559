"""Review over the API: the staff queue, and one endpoint per workflow step on a claim
(`POST /api/v1/claims/{id}/approve/` ...). Each step calls one service; refusals are 400, or 409
when the claim's state has moved on (already decided, waiting for a second reviewer)."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from claims import services
from claims.api import ERRORS, refused
from claims.models import Claim, ClaimState
from claims.serializers import (
    AnswerSerializer,
    ApproveSerializer,
    DecisionSerializer,
    MessageSerializer,
    PostMessageSerializer,
    QuestionSerializer,
    QueueClaimSerializer,
    ReasonSerializer,
    SettlementSerializer,
    SettleSerializer,
)
from claims.services.review import is_reviewer
from portal.auth import needs_recent_auth, recent_auth_message
from portal.models import Organisation


class QueueFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[
            (s, ClaimState(s).label)
            for s in ("submitted", "under_review", "info_requested", "awaiting_second")
        ]
    )
    policy = django_filters.CharFilter(field_name="policy_version__policy__slug")
    reseller = django_filters.ModelChoiceFilter(
        field_name="account__reseller", queryset=Organisation.objects.filter(kind="reseller")
    )
    account = django_filters.ModelChoiceFilter(queryset=Organisation.objects.customers())
    due_before = django_filters.DateTimeFilter(field_name="decision_due_at", lookup_expr="lt")

    class Meta:
        model = Claim
        fields = ["state", "policy", "reseller", "account", "due_before"]


class ReviewQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Claims waiting for staff, what is due first at the top. Reviewers only."""

    serializer_class = QueueClaimSerializer
    filterset_class = QueueFilter

    def get_queryset(self):
        if not is_reviewer(self.request.user):
            return Claim.objects.none()
        return (
            Claim.objects.filter(
                state__in=["submitted", "under_review", "info_requested", "awaiting_second"]
            )
            .select_related("account__reseller", "policy_version__policy")
            .prefetch_related("lines__subscription__service")
            .order_by("decision_due_at", "submitted_at", "pk")
        )

    @extend_schema(responses={200: QueueClaimSerializer(many=True), **ERRORS})
    def list(self, request, *args, **kwargs):
        if not is_reviewer(request.user):
            raise NotFound()
        return super().list(request, *args, **kwargs)


class ReviewActions:
    """Mixed into the claims viewset: the review steps on one claim."""

    @extend_schema(
        request=None, responses={200: OpenApiResponse(description="The claim."), **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        claim = self.get_object()
        try:
            services.start_review(claim=claim, by=request.user)
        except services.ClaimRefused as refusal:
            return refused(refusal)
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=SettleSerializer, responses={201: SettlementSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def settle(self, request, pk=None):
        claim = self.get_object()
        serializer = SettleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
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
        except services.ClaimRefused as refusal:
            return refused(refusal)
        return Response(SettlementSerializer(settlement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApproveSerializer, responses={201: DecisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def approve(self, request, pk=None):
        claim = self.get_object()
        if needs_recent_auth(request):
            return Response({"detail": recent_auth_message()}, status=status.HTTP_403_FORBIDDEN)
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            decision = services.approve(
                claim=claim,
                by=request.user,
                amount=serializer.validated_data.get("amount"),
                reason=serializer.validated_data["reason"],
            )
        except services.ClaimRefused as refusal:
            return refused(refusal)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: DecisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="confirm-approval")
    def confirm_approval(self, request, pk=None):
        claim = self.get_object()
        if needs_recent_auth(request):
            return Response({"detail": recent_auth_message()}, status=status.HTTP_403_FORBIDDEN)
        try:
            decision = services.confirm_approval(claim=claim, by=request.user)
        except services.ClaimRefused as refusal:
            return refused(refusal)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses={201: DecisionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def reject(self, request, pk=None):
        claim = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            decision = services.reject(
                claim=claim, by=request.user, reason=serializer.validated_data["reason"]
            )
        except services.ClaimRefused as refusal:
            return refused(refusal)
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
        try:
            message = services.request_info(
                claim=claim, by=request.user, question=serializer.validated_data["question"]
            )
        except services.ClaimRefused as refusal:
            return refused(refusal)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": AnswerSerializer, "application/json": AnswerSerializer},
        responses={201: MessageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def answer(self, request, pk=None):
        claim = self.get_object()
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        uploads = [(data["file"], data.get("kind") or "")] if data.get("file") else []
        try:
            message = services.answer_info(
                claim=claim, by=request.user, body=data["body"], uploads=uploads
            )
        except services.ClaimRefused as refusal:
            return refused(refusal)
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
        serializer = PostMessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        uploads = [(data["file"], "")] if data.get("file") else []
        try:
            message = services.post_message(
                claim=claim,
                by=request.user,
                body=data["body"],
                internal=data["internal"],
                uploads=uploads,
            )
        except services.ClaimRefused as refusal:
            return refused(refusal)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
