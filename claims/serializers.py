"""Shapes of claims in the API. Input serializers validate; services decide."""

import zoneinfo

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from claims.models import Claim, Message, Proof, ProofKind
from claims.status import CreditStatusField
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
    decisions = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()
    credit_status = CreditStatusField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "reference",
            "state",
            "decision_due_at",
            "apply_by",
            "decisions",
            "messages",
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
            "credit_status",
        ]

    def get_decisions(self, claim) -> list[dict]:
        decisions = claim.decisions.select_related("decided_by", "corrects", "confirms")
        return DecisionSerializer(decisions, many=True).data

    def get_messages(self, claim) -> list[dict]:
        request = self.context.get("request")
        if request is None:
            return []
        visible = Message.objects.visible_to(request.user).filter(claim=claim)
        return MessageSerializer(visible.select_related("author"), many=True).data


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that must carry its UTC offset: a naive time is refused, never
    guessed."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            # Well formed but impossible (2026-02-30, 12:99:00): parse_datetime raises.
            raise serializers.ValidationError(
                "This date or time does not exist; check the day of the month and the time."
            ) from None
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


class DecisionSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    engine_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    reason = serializers.CharField()
    decided_by = serializers.EmailField(source="decided_by.email")
    decided_at = serializers.DateTimeField()
    corrects = serializers.IntegerField(source="corrects.sequence", allow_null=True, default=None)
    confirms = serializers.IntegerField(source="confirms.sequence", allow_null=True, default=None)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    author = serializers.EmailField(source="author.email")
    body = serializers.CharField()
    internal = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    files = serializers.SerializerMethodField()

    def get_files(self, message) -> list[str]:
        return [f.display_name for f in message.files.all()]


class QueueClaimSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    account = serializers.CharField(source="account.name")
    reseller = serializers.CharField(source="account.reseller.name", default=None, allow_null=True)
    policy = serializers.CharField(source="policy_version.policy.slug")
    services = serializers.SerializerMethodField()
    estimate = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "reference",
            "state",
            "account",
            "reseller",
            "policy",
            "services",
            "period_start",
            "period_end",
            "submitted_at",
            "decision_due_at",
            "apply_by",
            "estimate",
        ]

    def get_services(self, claim) -> list[str]:
        return [line.subscription.service.slug for line in claim.lines.all()]

    def get_estimate(self, claim) -> str:
        return str(claim.estimate()[0])


class IntervalInputSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    exception = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MaintenanceCallSerializer(serializers.Serializer):
    maintenance_id = serializers.IntegerField()
    excused = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SettleSerializer(serializers.Serializer):
    intervals = IntervalInputSerializer(many=True, allow_empty=False)
    maintenance = MaintenanceCallSerializer(many=True, required=False, default=list)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SettlementSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    credit = serializers.DecimalField(max_digits=12, decimal_places=2)
    intervals = serializers.JSONField()
    maintenance = serializers.JSONField()
    quotes = serializers.JSONField()
    reason = serializers.CharField()
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()


class ApproveSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Leave out for the engine's amount; a different amount needs a reason.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    question = serializers.CharField()


class PostMessageSerializer(serializers.Serializer):
    body = serializers.CharField()
    internal = serializers.BooleanField(default=False)
    file = serializers.FileField(required=False)


class AnswerSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False)
    kind = serializers.ChoiceField(choices=ProofKind.choices, required=False, allow_blank=True)
