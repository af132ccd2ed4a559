"""Shapes of claims in the API. Input serializers validate; services decide."""

import zoneinfo

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from claims.models import Claim, Proof, ProofKind
from sla.models import Subscription


class ProofSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    evidence_summary = serializers.CharField(read_only=True)

    class Meta:
        model = Proof
        fields = [
            "id",
            "display_name",
            "content_type",
            "size",
            "sha256",
            "kind",
            "declared_kind",
            "read",
            "evidence_summary",
            "evidence",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, proof) -> str:
        return f"/api/v1/claims/{proof.claim_id}/proofs/{proof.pk}/"


class LineSerializer(serializers.Serializer):
    subscription = serializers.IntegerField(source="subscription_id")
    service = serializers.CharField(source="subscription.service.slug")


class ClaimSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    account = serializers.CharField(source="account.name")
    account_id = serializers.IntegerField()
    policy = serializers.CharField(source="policy_version.policy.slug")
    policy_version = serializers.DateField(source="policy_version.effective_from")
    lines = LineSerializer(many=True)
    proofs = ProofSerializer(many=True)
    filed_by = serializers.EmailField(source="filed_by.email")

    class Meta:
        model = Claim
        fields = [
            "id",
            "reference",
            "state",
            "account",
            "account_id",
            "policy",
            "policy_version",
            "lines",
            "period_start",
            "period_end",
            "entered_timezone",
            "basis",
            "representation",
            "filed_by",
            "created_at",
            "submitted_at",
            "proofs",
        ]


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that must carry its UTC offset: a naive time is refused, never
    guessed."""

    def to_internal_value(self, value):
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None and parsed.utcoffset() is None:
            raise serializers.ValidationError(
                "This time has no UTC offset; add one such as Z or -05:00."
            )
        return super().to_internal_value(value)


class ClaimCreateSerializer(serializers.Serializer):
    subscriptions = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Subscription.objects.none(), allow_empty=False
    )
    period_start = AwareDateTimeField(help_text="With a UTC offset: 2026-03-10T14:00:00-05:00.")
    period_end = AwareDateTimeField(help_text="With a UTC offset; after period_start.")
    basis = serializers.CharField(max_length=5000)
    representation = serializers.BooleanField(default=False)
    entered_timezone = serializers.CharField(default="UTC", max_length=64)
    submit = serializers.BooleanField(
        default=False,
        help_text="File it now. Leave false to create a draft, attach proof, then POST "
        ".../submit/ (policies that require proof refuse a claim without it).",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            queryset = Subscription.objects.visible_to(user)
            self.fields["subscriptions"].child_relation.queryset = queryset

    def validate_entered_timezone(self, value):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(f"Unknown timezone {value!r}.") from None
        return value


class ProofUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    kind = serializers.ChoiceField(choices=ProofKind.choices, required=False, allow_blank=True)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ErrorsSerializer(serializers.Serializer):
    """Each offending field with its messages ("__all__" for the claim as a whole)."""

    field = serializers.ListField(child=serializers.CharField())
