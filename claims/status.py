"""The credit status of claims: one object that the claim page, the claims API, the mail and
billing's pages all show, so they can never disagree.

Claims knows the estimate and the decision; only billing's ledger knows what was granted,
applied, carried, paid out or reversed. Claims must not import billing (the arrows point
`claims` <- `billing`), so this module is an extension point: it holds one registered provider,
with a default that answers from claims' own data ("estimated", "approved"), and billing
registers the ledger's provider in its AppConfig.ready (billing.status.LedgerStatus).

A provider has two methods:

- `statuses(claims)`: {claim id: CreditStatus} for a page of claims, in a constant number of
  queries whatever the page's size;
- `credited(subscriptions, start, end, *, exclude_claim=None)`: {subscription id: Decimal},
  what the ledger already granted against each subscription's cap in the months [start, end)
  touches (the account's month for a shared cap, the service's month otherwise; the largest
  month when several are touched), so the estimator and the review breakdown count it as
  already credited.
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import ClaimState, Decision
from sla import quotes

ZERO = Decimal("0.00")


class Stage:
    """Where a credit is, in the order it gets there."""

    ESTIMATED = "estimated"
    AWAITING_SECOND = "awaiting_second"
    APPROVED = "approved"
    GRANTED = "granted"
    CARRIED = "carried"
    APPLIED = "applied"
    PAID_OUT = "paid_out"
    REVERSED = "reversed"
    REJECTED = "rejected"
    NONE = "none"


LABELS = {
    Stage.ESTIMATED: "Estimated",
    Stage.AWAITING_SECOND: "Approved, waiting for a second reviewer",
    Stage.APPROVED: "Approved, being granted",
    Stage.GRANTED: "Granted",
    Stage.CARRIED: "Granted, carried forward",
    Stage.APPLIED: "Applied to an invoice",
    Stage.PAID_OUT: "Paid out",
    Stage.REVERSED: "Reversed",
    Stage.REJECTED: "Rejected",
    Stage.NONE: "No credit",
}

# What happens next, per stage: the words the claimant reads (tests assert them).
NEXT = {
    "draft": "Submit the claim when it is ready; nothing is decided until then.",
    "withdrawn": "Nothing: the claim was withdrawn.",
    "info_requested": "Answer the reviewer's question; the review goes on once you do.",
    Stage.ESTIMATED: "A reviewer decides the claim by {due}; the estimate is not a promise.",
    Stage.AWAITING_SECOND: "A second reviewer confirms the approval; then billing grants it.",
    Stage.APPROVED: "Billing grants the credit within the agreement's caps, then puts it on "
    "the next invoice (by {apply_by}).",
    Stage.GRANTED: "The credit goes on the next invoice, by {apply_by}.",
    Stage.CARRIED: "The rest did not fit the invoice and goes on the next one, from {carried_to}.",
    Stage.APPLIED: "Nothing more: the credit is on your invoice.",
    Stage.PAID_OUT: "Nothing more: the credit was paid out.",
    Stage.REVERSED: "Nothing more: the credit was taken back by a later decision.",
    Stage.REJECTED: "Nothing more: the claim was rejected, so no credit is given.",
    Stage.NONE: "Nothing more: the caps left no credit to give.",
}


@dataclass(frozen=True)
class Applied:
    invoice_id: int
    invoice: str  # its number, or "the draft invoice of 2026-04-01"
    amount: Decimal
    on: str  # YYYY-MM-DD


@dataclass(frozen=True)
class MonthStatus:
    """One subscription-month of a claim (a line's month)."""

    subscription_id: int
    service: str
    month: str  # YYYY-MM, policy time
    stage: str
    approved: Decimal | None = None
    granted: Decimal | None = None
    cut: Decimal = ZERO
    cut_reason: str = ""
    applied: Decimal = ZERO
    carried: Decimal = ZERO
    paid_out: Decimal = ZERO
    reversed: Decimal = ZERO
    open: Decimal = ZERO
    invoices: list = field(default_factory=list)  # [Applied]
    carried_to: str = ""  # YYYY-MM-DD: the cycle the open rest waits for


@dataclass(frozen=True)
class CreditStatus:
    claim_id: int
    stage: str
    currency: str
    approved: Decimal | None = None
    granted: Decimal | None = None
    cut: Decimal = ZERO
    cut_reasons: list = field(default_factory=list)  # [str], one per cut month
    applied: Decimal = ZERO
    paid_out: Decimal = ZERO
    reversed: Decimal = ZERO
    open: Decimal = ZERO
    invoices: list = field(default_factory=list)  # [Applied]
    carried_to: str = ""
    decision_due: str = ""  # YYYY-MM-DD HH:MM UTC
    apply_by: str = ""  # YYYY-MM-DD, policy time
    next_step: str = ""
    months: list = field(default_factory=list)  # [MonthStatus]

    @property
    def label(self):
        return LABELS[self.stage]

    @property
    def headline(self):
        """The one line a person reads first."""
        money = self.currency
        if self.stage in (Stage.AWAITING_SECOND, Stage.APPROVED):
            return f"{self.label}: {self.approved} {money} approved"
        if self.granted is not None and self.stage not in (Stage.REJECTED, Stage.ESTIMATED):
            text = f"{self.label}: {self.granted} {money} granted"
            if self.cut > 0:
                text += f" of {self.approved} {money} approved ({self.cut} {money} cut by a cap)"
            return text
        return self.label

    def as_dict(self):
        data = asdict(self)
        data["label"] = self.label
        data["headline"] = self.headline
        return _plain(data)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def next_step(stage, claim, *, carried_to=""):
    """The plain "what happens next" sentence for a claim at `stage`."""
    if stage == Stage.ESTIMATED and claim.state in NEXT:
        return NEXT[claim.state]
    due = f"{claim.decision_due_at:%Y-%m-%d}" if claim.decision_due_at else "its due date"
    apply_by = f"{claim.apply_by:%Y-%m-%d}" if claim.apply_by else "the next invoice"
    return NEXT[stage].format(due=due, apply_by=apply_by, carried_to=carried_to)


def currency_of(claim):
    lines = list(claim.lines.all())  # prefetched by callers that list claims
    return lines[0].subscription.currency if lines else ""


class ClaimsOnly:
    """The default provider: what claims alone knows (no ledger): an estimate until a decision,
    then the approved amount of the decision in force."""

    def statuses(self, claims):
        claims = list(claims)
        in_force = {
            decision.claim_id: decision
            for decision in Decision.objects.in_force().filter(claim__in=[c.pk for c in claims])
        }
        return {claim.pk: base_status(claim, in_force.get(claim.pk)) for claim in claims}

    def credited(self, subscriptions, start, end, *, exclude_claim=None):
        return {subscription.pk: ZERO for subscription in subscriptions}

    def credited_each(self, requests):
        return [self.credited(subs, start, end) for subs, start, end, _ in requests]


def base_status(claim, decision, **extra):
    """The status from the claim and its decision in force alone."""
    if claim.state == ClaimState.REJECTED:
        stage = Stage.REJECTED
    elif claim.state == ClaimState.AWAITING_SECOND:
        stage = Stage.AWAITING_SECOND
    elif claim.state == ClaimState.APPROVED:
        stage = Stage.APPROVED
    else:
        stage = Stage.ESTIMATED
    approved = decision.amount if stage in (Stage.APPROVED, Stage.AWAITING_SECOND) else None
    fields = {
        "claim_id": claim.pk,
        "stage": stage,
        "currency": currency_of(claim),
        "approved": approved,
        "decision_due": f"{claim.decision_due_at:%Y-%m-%d %H:%M} UTC"
        if claim.decision_due_at
        else "",
        "apply_by": f"{claim.apply_by:%Y-%m-%d}" if claim.apply_by else "",
        **extra,
    }
    fields["stage"] = stage = extra.get("stage", stage)
    fields.setdefault("next_step", next_step(stage, claim, carried_to=fields.get("carried_to", "")))
    return CreditStatus(**fields)


_provider = ClaimsOnly()


def register(provider):
    """Install `provider` (billing does, in its AppConfig.ready). Returns the one it replaced."""
    global _provider  # noqa: PLW0603 -- the one registered provider, set at start-up
    previous, _provider = _provider, provider
    # sla's quotes (the estimator, the claim's estimate, the review breakdown) read the cap's
    # use from the same provider.
    quotes.register_credited(provider.credited, provider.credited_each)
    return previous


def provider():
    return _provider


def statuses_for(claims):
    """{claim id: CreditStatus} for `claims` (a page of them), in a constant number of queries.
    Prefetch `lines__subscription` on the claims to keep it constant."""
    return _provider.statuses(claims)


def status_for(claim):
    return statuses_for([claim])[claim.pk]


def credited(subscriptions, start, end, *, exclude_claim=None):
    """{subscription id: credit already granted against its cap} (see the module docstring)."""
    return _provider.credited(subscriptions, start, end, exclude_claim=exclude_claim)


class AppliedSchema(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    invoice = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    on = serializers.DateField()


class _AmountsSchema(serializers.Serializer):
    stage = serializers.ChoiceField(choices=list(LABELS))
    approved = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    granted = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    cut = serializers.DecimalField(max_digits=12, decimal_places=2)
    applied = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_out = serializers.DecimalField(max_digits=12, decimal_places=2)
    reversed = serializers.DecimalField(max_digits=12, decimal_places=2)
    open = serializers.DecimalField(max_digits=12, decimal_places=2)
    invoices = AppliedSchema(many=True)
    carried_to = serializers.CharField(help_text="YYYY-MM-DD, or empty")


class MonthStatusSchema(_AmountsSchema):
    subscription_id = serializers.IntegerField()
    service = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM, policy time")
    cut_reason = serializers.CharField()
    carried = serializers.DecimalField(max_digits=12, decimal_places=2)


class CreditStatusSchema(_AmountsSchema):
    """The schema of CreditStatus.as_dict()."""

    claim_id = serializers.IntegerField()
    label = serializers.CharField()
    headline = serializers.CharField()
    currency = serializers.CharField()
    cut_reasons = serializers.ListField(child=serializers.CharField())
    decision_due = serializers.CharField(help_text="YYYY-MM-DD HH:MM UTC, or empty")
    apply_by = serializers.CharField(help_text="YYYY-MM-DD policy time, or empty")
    next_step = serializers.CharField()
    months = MonthStatusSchema(many=True)


@extend_schema_field(CreditStatusSchema)
class CreditStatusField(serializers.Field):
    """A claim's credit status in the API, computed once for the whole page being serialised
    (the first claim asks for every claim of the page)."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, claim):
        cache = self.context.setdefault("_credit_statuses", {})
        if claim.pk not in cache:
            page = self.root.instance
            claims = list(page) if isinstance(page, list | tuple) or hasattr(page, "model") else []
            if claim not in claims:
                claims = [claim]
            cache.update(statuses_for(claims))
        return cache[claim.pk].as_dict()
