"""The review of a claim: what the reviewer settled as qualifying downtime, the decisions, and
the conversation between the claimant and staff.

Settlements and decisions are append-only (PostgreSQL refuses UPDATE and DELETE, migration
`0004_append_only_review`): an edit is a new settlement, a correction is a new decision.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from claims.models.proof import proof_storage


class Settlement(models.Model):
    """The qualifying downtime a reviewer settled, and the credit the engine computed from it.

    `intervals`: [{"start", "end", "exception", "reason"}] (ISO 8601 with offset);
    `maintenance`: [{"id", "start", "end", "notice_at", "excused", "reason"}];
    `quotes`: per subscription, the engine's rendered quote with its breakdown.
    """

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="settlements")
    number = models.PositiveIntegerField()
    intervals = models.JSONField(default=list)
    maintenance = models.JSONField(default=list)
    credit = models.DecimalField(max_digits=12, decimal_places=2)
    quotes = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim", "number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "number"], name="settlement_number_unique"),
            models.CheckConstraint(
                name="settlement_credit_not_negative", condition=Q(credit__gte=0)
            ),
        ]

    def __str__(self):
        return f"Settlement {self.number} of {self.claim.reference}"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    CONFIRM = "confirm", "Confirm approval (second reviewer)"


class DecisionQuerySet(models.QuerySet):
    def in_force(self):
        """Each claim's decision in force: its latest approval or rejection (a CONFIRM only
        makes the approval it confirms effective). An approval awaiting its second reviewer is
        in force but not yet effective: its awards are written when it is confirmed."""
        later = Decision.objects.filter(
            claim=OuterRef("claim"), sequence__gt=OuterRef("sequence")
        ).exclude(kind=DecisionKind.CONFIRM)
        return self.exclude(kind=DecisionKind.CONFIRM).exclude(Exists(later))


class Decision(models.Model):
    """A reviewer's decision on a claim. Final once made: a correction is a new decision that
    names the one it corrects; a large approval waits for a second reviewer's CONFIRM."""

    Kind = DecisionKind

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="decisions")
    # Decisions are numbered per claim; two reviewers deciding at once cannot both write number n.
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=DecisionKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    engine_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True)
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, null=True, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    confirms = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="confirmations"
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(default=timezone.now)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "sequence"], name="decision_sequence_unique"),
            models.CheckConstraint(
                name="decision_kind_valid", condition=Q(kind__in=DecisionKind.values)
            ),
            # An approval says how much; a rejection says why.
            models.CheckConstraint(
                name="decision_approval_has_amount",
                condition=~Q(kind="approve") | Q(amount__isnull=False, amount__gte=0),
            ),
            models.CheckConstraint(
                name="decision_rejection_has_reason", condition=~Q(kind="reject") | ~Q(reason="")
            ),
            # A different amount than the engine's is only ever given with a written reason.
            models.CheckConstraint(
                name="decision_override_has_reason",
                condition=~Q(kind="approve") | Q(amount=models.F("engine_amount")) | ~Q(reason=""),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.claim.reference} by {self.decided_by}"

    @property
    def overrides_engine(self):
        return self.kind == DecisionKind.APPROVE and self.amount != self.engine_amount


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    INFO_REQUEST = "info_request", "Request for information"
    ANSWER = "answer", "Answer"
    NOTE = "note", "Internal note"


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Internal staff notes are for the provider's staff only."""
        if user.is_superuser or user.is_provider_staff:
            return self
        return self.filter(internal=False)


class Message(models.Model):
    """The conversation on a claim ("OnePointSync will contact you directly to discuss the
    problem"), and staff's internal notes."""

    Kind = MessageKind

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField()
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A note is internal, and only a note is.
            models.CheckConstraint(
                name="message_internal_iff_note",
                condition=Q(kind="note", internal=True) | (~Q(kind="note") & Q(internal=False)),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.claim.reference} by {self.author}"


class MessageFile(models.Model):
    """A file attached to a message, kept privately like proof."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(storage=proof_storage, max_length=200)
    display_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self):
        return self.display_name
