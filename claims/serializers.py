"""Shapes of claims in the API. Input serializers validate; services decide."""

import zoneinfo

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims import access
from claims.evidence import Evidence
from claims.models import Claim, Proof, ProofKind
from claims.status import CreditStatusField
from sla.models import Subscription

# A claim's detail shows at most this many failure episodes per proof (those touching the
# claimed period first), so a claim with 20 long logs stays well under 100 KB; the counts
# cover every episode and the download link gives the whole file.
EPISODES_SHOWN = 5


class EpisodeSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    seconds = serializers.IntegerField()
    probes = serializers.IntegerField()
    outcomes = serializers.DictField(child=serializers.IntegerField())
    lines = serializers.ListField(
        child=serializers.IntegerField(), help_text="The file's lines of the first and last probe."
    )
    first_line = serializers.CharField()
    last_line = serializers.CharField()


class ReadingSerializer(serializers.Serializer):
    """What the portal read from a proof file: its summary and failure episodes, not every
    probe (the file itself is at the proof's download_url)."""

    readable = serializers.BooleanField()
    kind = serializers.CharField(allow_null=True)
    format = serializers.CharField()
    target = serializers.CharField(allow_null=True)
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Probes by outcome, over the whole file."
    )
    episodes = serializers.IntegerField(help_text="Runs of failure and of success.")
    failure_episodes = serializers.IntegerField()
    failures = EpisodeSerializer(
        many=True,
        required=False,
        help_text=f"On a claim's detail: at most {EPISODES_SHOWN} failure episodes, those "
        "touching the claimed period first, in time order. Not on list pages.",
    )
    notes = serializers.ListField(child=serializers.CharField())


def reading(proof, *, episodes_shown):
    """(summary, reading) of a proof from what is stored, raw or compact (Evidence.from_dict
    reads both); (\"\", None) for a file nothing was read from."""
    stored = proof.evidence
    if not stored:
        return "", None
    evidence = Evidence.from_dict(stored)
    claim = proof.claim
    summary = stored.get("summary") or evidence.summary(claim.period_start, claim.period_end)
    compact = evidence.compact()
    found = {
        key: compact[key]
        for key in ("readable", "kind", "format", "target", "first_at", "last_at", "counts")
    }
    failing = evidence.failure_episodes
    found["episodes"] = len(evidence.episodes)
    found["failure_episodes"] = len(failing)
    found["notes"] = compact["notes"]
    if episodes_shown:
        touching = sorted(
            failing,
            key=lambda e: (
                not (e.start < claim.period_end and e.end >= claim.period_start),
                e.start,
            ),
        )
        shown = sorted(touching[:episodes_shown], key=lambda e: e.start)
        found["failures"] = [{**e.to_dict(), "seconds": e.seconds} for e in shown]
    return summary, found


class ProofSerializer(serializers.ModelSerializer):
    """A proof file and what was read from it; `episodes_shown` failure episodes each."""

    episodes_shown = EPISODES_SHOWN

    download_url = serializers.SerializerMethodField()
    evidence_summary = serializers.SerializerMethodField()
    reading = serializers.SerializerMethodField()

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
            "reading",
            "uploaded_at",
            "download_url",
        ]

    def _read(self, proof):
        # Both fields come from one reading of the stored evidence.
        cache = self.context.setdefault("_readings", {})
        if proof.pk not in cache:
            cache[proof.pk] = reading(proof, episodes_shown=self.episodes_shown)
        return cache[proof.pk]

    def get_download_url(self, proof) -> str:
        return f"/api/v1/claims/{proof.claim_id}/proofs/{proof.pk}/"

    def get_evidence_summary(self, proof) -> str:
        return self._read(proof)[0]

    @extend_schema_field(ReadingSerializer(allow_null=True))
    def get_reading(self, proof):
        return self._read(proof)[1]


class ProofListSerializer(ProofSerializer):
    """A proof on a list page: counts of episodes, not the episodes."""

    episodes_shown = 0


class LineSerializer(serializers.Serializer):
    subscription = serializers.IntegerField(source="subscription_id")
    service = serializers.CharField(source="subscription.service.slug")


class ClaimSerializer(serializers.ModelSerializer):
    """A claim as its detail shows it. Decisions and messages come prefetched
    (`claims.api.claims.ClaimViewSet.get_queryset`): a page costs the same queries whatever its
    size."""

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
        return DecisionSerializer(claim.decisions.all(), many=True, context=self.context).data

    def get_messages(self, claim) -> list[dict]:
        # Prefetched as `visible_messages`: only what the asker may see.
        messages = getattr(claim, "visible_messages", [])
        return MessageSerializer(messages, many=True, context=self.context).data


class ClaimListSerializer(ClaimSerializer):
    """A claim on a list page: each proof's reading without its episodes."""

    proofs = ProofListSerializer(many=True)


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
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField()
    corrects = serializers.IntegerField(source="corrects.sequence", allow_null=True, default=None)
    confirms = serializers.IntegerField(source="confirms.sequence", allow_null=True, default=None)

    def get_decided_by(self, decision) -> str:
        return people_shown(self.context).name(decision.decided_by)


def people_shown(context):
    """One `access.PeopleShown` per response: staff are named as the asker may see them."""
    if "people_shown" not in context:
        request = context.get("request")
        context["people_shown"] = access.PeopleShown(getattr(request, "user", None))
    return context["people_shown"]


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    author = serializers.SerializerMethodField(
        help_text='The author\'s e-mail; to the claimant side, provider staff are "Provider staff".'
    )
    body = serializers.CharField()
    internal = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    files = serializers.SerializerMethodField()

    def get_files(self, message) -> list[str]:
        return [f.display_name for f in message.files.all()]

    def get_author(self, message) -> str:
        return people_shown(self.context).name(message.author)


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
        # The page's estimates are computed together (`claims.api.review`, in `estimates`);
        # a claim serialized alone is estimated alone.
        estimates = self.context.get("estimates")
        if estimates is None or claim.pk not in estimates:
            estimates = Claim.estimates_for_page([claim])
        return str(estimates[claim.pk])


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
