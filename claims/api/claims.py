"""`/api/v1/claims/`: claims scoped to the asker; create, upload proof, submit, withdraw."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from claims import access, services
from claims.api import ERRORS
from claims.api.pagination import KeysetPagination
from claims.api.review import ReviewActions
from claims.models import Claim, Decision, Message
from claims.serializers import (
    ClaimCreateSerializer,
    ClaimListSerializer,
    ClaimSerializer,
    ProofSerializer,
    ProofUploadSerializer,
    WithdrawSerializer,
)
from claims.uploads import StreamingUploadHandlers, proof_download_response, rejected_uploads
from portal import api


@extend_schema_view(
    list=extend_schema(
        responses={200: ClaimListSerializer(many=True), **api.error_responses(400, 401, 404)}
    ),
    retrieve=extend_schema(responses={200: ClaimSerializer, **api.error_responses(401, 404)}),
)
class ClaimViewSet(
    ReviewActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ClaimSerializer
    filterset_fields = ["state", "account"]
    pagination_class = KeysetPagination
    # Newest first, the id breaking ties: index claim_created_id (migration 0008).
    ordering = ("-created_at", "-id")

    def get_serializer_class(self):
        return ClaimListSerializer if self.action == "list" else ClaimSerializer

    def initialize_request(self, request, *args, **kwargs):
        # Proof uploads stream to disk: handlers go in before anything reads the body.
        request.upload_handlers = StreamingUploadHandlers(request)
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, asked by nobody
            return Claim.objects.none()
        # Everything the serializer shows, read once per page: a query per relation, not per
        # claim (decisions, messages and their files were read claim by claim).
        messages = Message.objects.visible_to(self.request.user).select_related("author")
        return (
            access.visible_claims(self.request.user)
            .select_related("account", "filed_by", "policy_version__policy")
            .prefetch_related(
                "lines__subscription__service",
                "proofs",
                Prefetch(
                    "decisions",
                    queryset=Decision.objects.select_related("decided_by", "corrects", "confirms"),
                ),
                Prefetch(
                    "messages",
                    queryset=messages.prefetch_related("files"),
                    to_attr="visible_messages",
                ),
            )
        )

    @extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer, **ERRORS})
    def create(self, request):
        serializer = ClaimCreateSerializer(data=request.data, user=request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = services.file_claim(
            by=request.user,
            data=services.ClaimInput(
                subscriptions=tuple(data["subscriptions"]),
                period_start=data["period_start"],
                period_end=data["period_end"],
                basis=data["basis"],
                representation=data["representation"],
                entered_timezone=data["entered_timezone"],
            ),
            submit=data["submit"],
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=claim.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: ClaimSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        claim = self.get_object()
        access.require_claimant_side(request.user, claim)
        services.submit_claim(claim=claim, by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=WithdrawSerializer, responses={200: ClaimSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        claim = self.get_object()
        access.require_claimant_side(request.user, claim)
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.withdraw_claim(
            claim=claim, by=request.user, reason=serializer.validated_data.get("reason", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(
        request={"multipart/form-data": ProofUploadSerializer},
        responses={201: ProofSerializer, **ERRORS, **api.error_responses(413)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def proofs(self, request, pk=None):
        claim = self.get_object()
        access.require_claimant_side(request.user, claim)
        request.data  # noqa: B018 - reads the body, so the handlers have seen every file
        dropped = rejected_uploads(request)
        if dropped:
            return Response(
                {"file": [rejected.message for rejected in dropped]},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer = ProofUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proof = services.attach_proof(
            claim=claim,
            by=request.user,
            uploaded=serializer.validated_data["file"],
            declared_kind=serializer.validated_data.get("kind") or "",
        )
        return Response(ProofSerializer(proof).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file."),
            **api.error_responses(401, 404),
        }
    )
    @action(detail=True, methods=["get"], url_path=r"proofs/(?P<proof_pk>\d+)")
    def download(self, request, pk=None, proof_pk=None):
        claim = self.get_object()
        proof = get_object_or_404(claim.proofs, pk=proof_pk)
        return proof_download_response(
            proof.file.storage,
            proof.file.name,
            content_type=proof.content_type,
            display_name=proof.display_name,
        )
