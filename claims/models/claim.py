"""Claims for SLA credit and the audit trail of every change.

State changes go through `claims.services`; nothing else writes `Claim.state`.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from portal.models import Organisation, Role, User
from sla.models import PolicyVersion, Subscription
from sla.quotes import QuoteInputs, credited_each, quote_subscription


class ClaimState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    INFO_REQUESTED = "info_requested", "More information requested"
    AWAITING_SECOND = "awaiting_second", "Approval awaiting a second reviewer"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A live claim blocks another claim on the same subscription and period ("multiple requests
# are not granted for the same time period"). Drafts are not filed yet; rejected and withdrawn
# claims are over.
LIVE_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.UNDER_REVIEW,
    ClaimState.INFO_REQUESTED,
    ClaimState.AWAITING_SECOND,
    ClaimState.APPROVED,
)
# Claims waiting for a reviewer's decision, in the review queue.
QUEUE_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.UNDER_REVIEW,
    ClaimState.AWAITING_SECOND,
)
# A decision was made; a further decision on it is a correction.
DECIDED_STATES = (ClaimState.APPROVED, ClaimState.REJECTED)
WITHDRAWABLE_STATES = (ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.INFO_REQUESTED)
PROOF_OPEN_STATES = (ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.INFO_REQUESTED)


class ClaimQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Claims of the accounts `user` may see (provider staff: all)."""
        return self.filter(account__in=Organisation.objects.visible_to(user))

    def for_end_customer(self, user, account_id):
        """Claims of one account `user` may see (`?account=` on the lists and exports). An id
        that is not a number or names an account outside `user`'s scope is refused with the
        same words, so the refusal never tells whether the account exists."""
        return self.filter(account=Organisation.objects.in_scope(user, account_id))

    def awaiting_review(self):
        return self.filter(state__in=QUEUE_STATES)

    def due_before(self, when):
        return self.filter(decision_due_at__lt=when)


class Claim(models.Model):
    State = ClaimState

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="claims")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims_filed"
    )
    subscriptions = models.ManyToManyField(Subscription, through="ClaimLine", related_name="claims")
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        help_text="The policy version in force at the start of the claimed period.",
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    entered_timezone = models.CharField(
        max_length=64, default="UTC", help_text="The timezone the claimant entered times in."
    )
    basis = models.TextField(help_text="What happened, in the claimant's words.")
    representation = models.BooleanField(
        default=False,
        help_text="The claimant represents that, to its knowledge, no Exception caused it.",
    )
    state = models.CharField(max_length=16, choices=ClaimState.choices, default=ClaimState.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff owe the claimant a decision."
    )
    apply_by = models.DateField(
        null=True,
        blank=True,
        help_text="Policy-time date by which an approved credit must be on an invoice.",
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The claims lists, newest first, the id breaking ties (API keyset pages).
            models.Index(fields=["created_at", "id"], name="claim_created_id"),
            # Filters by state (the queue's states, a customer's drafts...).
            models.Index(fields=["state"], name="claim_state"),
            # The review queue: what is due first, among the claims staff review (its states
            # as in claims.filters.REVIEW_STATES), in the order its pages walk.
            models.Index(
                fields=["decision_due_at", "submitted_at", "id"],
                name="claim_queue_due",
                condition=Q(
                    state__in=["submitted", "under_review", "info_requested", "awaiting_second"]
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="claim_period_ends_after_start", condition=Q(period_end__gt=F("period_start"))
            ),
            models.CheckConstraint(
                name="claim_state_valid", condition=Q(state__in=ClaimState.values)
            ),
            # A filed claim has the instant it was received: the apply-by date counts from it.
            # (A draft withdrawn before filing was never received.)
            models.CheckConstraint(
                name="claim_filed_has_submitted_at",
                condition=Q(state__in=[ClaimState.DRAFT, ClaimState.WITHDRAWN])
                | Q(submitted_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"Claim {self.reference} for {self.account}"

    @property
    def reference(self):
        return f"C-{self.pk:06d}" if self.pk else "C-new"

    @property
    def policy(self):
        return self.policy_version.policy

    @property
    def can_withdraw(self):
        return self.state in WITHDRAWABLE_STATES

    @property
    def accepts_proof(self):
        return self.state in PROOF_OPEN_STATES

    def estimate(self):
        """The SLA engine's quote for this claim: see `estimate_for`."""
        lines = self.lines.select_related("subscription__service", "subscription__policy")
        return self.estimate_for(
            [line.subscription for line in lines],
            self.period_start,
            self.period_end,
            exclude_claim=self.pk,
        )

    @staticmethod
    def estimate_for(
        subscriptions,
        start,
        end,
        *,
        exclude_claim=None,
        credited=None,
        inputs=None,
    ):
        """Quote [start, end) as downtime on each subscription, with the provider's recorded
        maintenance excused. Returns (total, [(subscription, quote, maintenance)]).
        `inputs` (sla.quotes.QuoteInputs) and `credited` (a list in the order of
        `subscriptions`) are what `quote_subscription` would read for each, when already read
        for a page of claims (`estimates_for_page`).

        Subscriptions are quoted in order, each counting what the ones before it took from a
        shared cap (OnePointSync caps the account's month as a whole; across several months
        this is conservative, and review settles the exact figure), on top of what the ledger
        already granted against the cap (claims.status.credited; not `exclude_claim`'s own).
        """
        total = Decimal("0.00")
        rows = []
        for i, subscription in enumerate(subscriptions):
            terms = subscription.policy.terms_for()(start)
            shared_cap = terms.cap_basis == PolicyVersion.CapBasis.MRC_PAID
            quote, excused = quote_subscription(
                subscription,
                [(start, end, None)],
                already_credited=total if shared_cap else Decimal("0"),
                exclude_claim=exclude_claim,
                credited=None if credited is None else credited[i],
                inputs=inputs,
            )
            total += quote.credit
            rows.append((subscription, quote, excused))
        return total, rows

    @staticmethod
    def estimates_for_page(claims):
        """{claim id: the engine's estimate} for a page of claims (lines prefetched with their
        subscriptions), in the same few queries whatever the page's length: maintenance and
        recurring charges (QuoteInputs) and what the ledger granted against the caps
        (credited_each) are read once for the whole page. Each equals `claim.estimate()`."""
        claims = list(claims)
        subscriptions = [line.subscription for claim in claims for line in claim.lines.all()]
        policies = {}
        for subscription in subscriptions:
            # One Policy object per policy, so its versions are read once for the whole page.
            subscription.policy = policies.setdefault(subscription.policy_id, subscription.policy)
        periods = [(claim.period_start, claim.period_end) for claim in claims]
        inputs = QuoteInputs.read(subscriptions, periods)
        lines = {claim.pk: [line.subscription for line in claim.lines.all()] for claim in claims}
        credited = credited_each(
            [(lines[c.pk], c.period_start, c.period_end, c.pk) for c in claims]
        )
        estimates = {}
        for claim, used in zip(claims, credited, strict=True):
            estimates[claim.pk], _ = Claim.estimate_for(
                lines[claim.pk],
                claim.period_start,
                claim.period_end,
                exclude_claim=claim.pk,
                credited=[used[subscription.pk] for subscription in lines[claim.pk]],
                inputs=inputs,
            )
        return estimates


class ClaimLine(models.Model):
    """One subscription of a claim. It repeats the claim's period so that PostgreSQL can refuse
    overlapping live claims per subscription with an exclusion constraint (see the migration
    `0002_no_overlapping_live_claims`); `live` mirrors the claim's state."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    live = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "subscription"], name="claimline_one_per_subscription"
            ),
            models.CheckConstraint(
                name="claimline_period_ends_after_start",
                condition=Q(period_end__gt=F("period_start")),
            ),
        ]

    def __str__(self):
        return f"{self.claim} - {self.subscription}"


class ClaimEvent(models.Model):
    """Append-only audit record: who changed what on a claim, when, and why. PostgreSQL refuses
    UPDATE and DELETE on this table (migration `0002_no_overlapping_live_claims`)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.claim.reference} {self.action} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self):
        return self.action.replace("_", " ").capitalize()


def reviewers():
    """People who review claims (notified of new ones)."""
    return User.objects.filter(is_active=True, memberships__role=Role.REVIEWER).distinct()
