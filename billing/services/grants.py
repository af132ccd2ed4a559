"""Granting the awards of claims' decisions in force (claims.models.Award) within the
agreements' caps, and taking back what a correction lowers or a rejection zeroes.

The award rows are the outbox: a decision in force whose awards have no GrantOutcome is still
to be granted, whether or not its task ever ran. Billing reads awards and writes only its own
tables (the ledger, outcomes)."""

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from billing.models import (
    ZERO,
    BillingAccount,
    CreditEntry,
    CreditKind,
    GrantOutcome,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    month_start,
)
from billing.services.applying import apply_open_credit
from billing.services.ledger import (
    lock_billing_accounts,
    open_amount,
    settle_claims,
    write_movement,
)
from billing.status import notify_granted
from claims.models import Award, Claim, Decision
from sla.models import Subscription

logger = logging.getLogger(__name__)


class Caps:
    """What the caps still allow for a batch of grants, read once under the billed parties'
    locks and kept current as the batch grants and reverses.

    groupSPARK: a service's credits for a month never exceed its fee. OnePointSync: an
    account's credits for a month never exceed "the monthly recurring charge actually paid":
    what was paid on the invoices whose cycle starts in that month, up to their recurring fees.
    Decision: for a month the portal never invoiced (before billing began here), the account's
    subscription fees in force that month stand in for it; while an invoice of the month is
    unpaid the cap is not known and the grant waits for a later run.
    """

    def __init__(self, billing_account_ids, awards):
        """`awards`: every award the batch may grant."""
        months = {award.service_month for award in awards}
        self.fees = dict(
            Subscription.objects.filter(
                pk__in={award.subscription_id for award in awards}
            ).values_list("pk", "monthly_fee")
        )
        self.used = defaultdict(Decimal)
        if not awards:
            return
        net = (
            CreditEntry.objects.filter(
                billing_account__in=billing_account_ids,
                service_month__in=months,
                kind__in=(CreditKind.GRANTED, CreditKind.REVERSED),
            )
            .order_by()
            .values_list("billing_account", "account", "subscription", "service_month", "kind")
            .annotate(total=Sum("amount"))
        )
        for billing_account, account, subscription, month, kind, total in net:
            signed = total if kind == CreditKind.GRANTED else -total
            self.used[(billing_account, "account", account, month)] += signed
            self.used[(billing_account, "subscription", subscription, month)] += signed
        self._read_paid(billing_account_ids, {award.claim.account_id for award in awards}, months)

    def _read_paid(self, billing_account_ids, accounts, months):
        invoices = {
            invoice.pk: invoice
            for invoice in Invoice.objects.filter(
                billing_account__in=billing_account_ids,
                cycle_start__gte=min(months),
                cycle_start__lt=month_start(max(months) + dt.timedelta(days=32)),
            )
        }
        self.invoiced = {
            (i.billing_account_id, month_start(i.cycle_start)) for i in invoices.values()
        }
        self.unpaid = {
            (i.billing_account_id, month_start(i.cycle_start))
            for i in invoices.values()
            if i.status != InvoiceStatus.PAID
        }
        paid = dict(
            Payment.objects.filter(invoice__in=list(invoices))
            .order_by()
            .values_list("invoice")
            .annotate(total=Sum("amount"))
        )
        self.paid = defaultdict(Decimal)
        fees = (
            InvoiceLine.objects.filter(
                invoice__in=list(invoices), subscription__organisation__in=accounts
            )
            .order_by()
            .values_list("invoice", "subscription__organisation")
            .annotate(total=Sum("amount"))
        )
        for invoice_id, account, total in fees:
            invoice = invoices[invoice_id]
            key = (invoice.billing_account_id, account, month_start(invoice.cycle_start))
            self.paid[key] += min(total, paid.get(invoice_id, ZERO))
        self.fees_in_force = {}
        for month in months:
            instant = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
            in_force = (
                Subscription.objects.filter(organisation__in=accounts)
                .active_at(instant)
                .order_by()
                .values_list("organisation")
                .annotate(total=Sum("monthly_fee"))
            )
            for account in accounts:
                self.fees_in_force[(account, month)] = ZERO
            self.fees_in_force.update(((account, month), total) for account, total in in_force)

    def waits(self, award, billing_account_id):
        return award.shares_account_cap and (
            (billing_account_id, award.service_month) in self.unpaid
        )

    def key(self, award, billing_account_id):
        if award.shares_account_cap:
            return (billing_account_id, "account", award.claim.account_id, award.service_month)
        return (billing_account_id, "subscription", award.subscription_id, award.service_month)

    def cap(self, award, billing_account_id):
        month = award.service_month
        if not award.shares_account_cap:
            return self.fees[award.subscription_id]
        if (billing_account_id, month) not in self.invoiced:
            return self.fees_in_force[(award.claim.account_id, month)]
        return self.paid[(billing_account_id, award.claim.account_id, month)]

    def left(self, award, billing_account_id):
        key = self.key(award, billing_account_id)
        return max(self.cap(award, billing_account_id) - self.used[key], ZERO)

    def use(self, grant, amount):
        """`amount` of `grant`'s cap is now used (negative: given back by a reversal)."""
        self.used[(grant.billing_account_id, "account", grant.account_id, grant.service_month)] += (
            amount
        )
        key = (grant.billing_account_id, "subscription", grant.subscription_id, grant.service_month)
        self.used[key] += amount


def pending_awards():
    """The awards of each claim's decision in force that have no grant outcome yet: what
    billing must still do (a nudge lost with the broker, or a month waiting for its payment)."""
    return Award.objects.filter(decision__in=Decision.objects.in_force()).exclude(
        Exists(GrantOutcome.objects.filter(decision=OuterRef("decision")))
    )


def claims_awaiting_grant():
    """Claims with pending awards."""
    return Claim.objects.filter(pk__in=pending_awards().values("claim"))


def grant_key(award):
    return (
        f"grant:claim-{award.claim_id}:subscription-{award.subscription_id}:"
        f"{award.service_month:%Y-%m}"
    )


def grant_credit(claim_id, *, now=None):
    """Grant one claim's pending awards (see grant_credits). Run it twice, or twice at once:
    the second writes nothing. Returns the entries written now."""
    now = now or timezone.now()
    claim = Claim.objects.select_related("account").get(pk=claim_id)
    billing_account = BillingAccount.for_account(claim.account)
    with transaction.atomic():
        lock_billing_accounts([billing_account.pk])
        return grant_credits(pending_awards().filter(claim=claim_id), now=now)


def grant_and_apply(claim_id, *, now=None):
    """What billing does when nudged about a claim's new awards, in one transaction under the
    billed party's lock: grant them, then put open credit on the party's next draft invoice.
    Returns the grant entries written."""
    now = now or timezone.now()
    claim = Claim.objects.select_related("account").get(pk=claim_id)
    billing_account = BillingAccount.for_account(claim.account)
    with transaction.atomic():
        lock_billing_accounts([billing_account.pk])
        written = grant_credits(pending_awards().filter(claim=claim_id), now=now)
        if written:
            apply_open_credit([billing_account.pk], now=now)
    return written


def grant_credits(awards, *, now):
    """Grant pending awards, each cut to what its cap leaves, take back what a lower or zero
    award no longer allows, and record each decision's outcome (that it is done). A month
    whose cap is not known yet (its invoice unpaid) waits for a later run. `awards` is a
    queryset of pending_awards(), read here under the locks of their billed parties, which the
    caller holds. Returns the entries written."""
    # Only the columns granting reads: the run loads thousands of these at a time.
    awards = list(
        awards.select_related("claim__account", "decision")
        .only(
            "claim__account__reseller",
            "decision__claim",
            "decision__kind",
            "decision__sequence",
            "decision__decided_by",
            "decision__reason",
            "subscription",
            "service_month",
            "amount",
            "cap_basis",
        )
        .order_by("claim", "decision", "subscription", "service_month")
    )
    if not awards:
        return []
    by_decision = defaultdict(list)
    for award in awards:
        by_decision[award.decision_id].append(award)
    # The second reviewer, where one confirmed the approval.
    approvers = dict(
        Decision.objects.filter(confirms__in=list(by_decision))
        .order_by("sequence")
        .values_list("confirms", "decided_by")
    )
    payers = dict(
        BillingAccount.objects.filter(
            organisation__in={
                award.claim.account.reseller_id or award.claim.account_id for award in awards
            }
        ).values_list("organisation", "pk")
    )

    def payer(claim):
        billing_account = payers.get(claim.account.reseller_id or claim.account_id)
        return billing_account or BillingAccount.for_account(claim.account).pk

    earlier = CreditEntry.objects.in_bulk([grant_key(award) for award in awards], field_name="key")
    caps = Caps({payer(award.claim) for award in awards}, awards)
    entries, outcomes, written = [], [], []
    for decision_awards in by_decision.values():
        decision, claim = decision_awards[0].decision, decision_awards[0].claim
        billing_account = payer(claim)
        granted, cut, waiting = ZERO, ZERO, False
        for award in decision_awards:
            amount = award.amount
            existing = earlier.get(grant_key(award))
            if existing is not None:
                # Granted under an earlier decision: a correction to less (or a rejection)
                # reverses the excess; one to more cannot grant twice for a claim-month and is
                # recorded as cut.
                net = _settle_correction(existing, amount, decision, now, written, caps)
                granted += net
                if amount > net:
                    cut += amount - net
                    logger.warning(
                        "claim %s: correction to %s exceeds the %s already granted for %s; "
                        "staff must credit the difference",
                        claim.reference,
                        amount,
                        net,
                        existing.key,
                    )
                continue
            if amount <= 0:
                continue
            if caps.waits(award, billing_account):
                waiting = True
                continue
            left = caps.left(award, billing_account)
            given = min(amount, left)
            cut += amount - given
            if given <= 0:
                continue
            reason = f"Approved claim {claim.reference}, decision {decision.sequence}"
            if given < amount:
                reason += f"; cut from {amount} to the cap left ({left})"
            granted += given
            grant = CreditEntry(
                kind=CreditKind.GRANTED,
                key=grant_key(award),
                claim=claim,
                account_id=claim.account_id,
                billing_account_id=billing_account,
                subscription_id=award.subscription_id,
                service_month=award.service_month,
                amount=given,
                actor_id=approvers.get(decision.pk, decision.decided_by_id),
                at=now,
                reason=reason,
            )
            caps.use(grant, given)
            entries.append(grant)
        if not waiting:
            outcomes.append(
                GrantOutcome(
                    claim=claim, decision=decision, granted=granted, cut_by_caps=cut, at=now
                )
            )
    written += CreditEntry.objects.bulk_create(entries)
    GrantOutcome.objects.bulk_create(outcomes)
    settle_claims([outcome.claim_id for outcome in outcomes], now)
    # The claimant hears what was granted and what a cap cut, with the grant's transaction.
    notify_granted(outcomes)
    return written


def _settle_correction(grant, amount, decision, now, written, caps):
    """The net credit of `grant` once a correcting decision allows only `amount`. A lower amount
    reverses the difference (as far as it is still open); a higher one cannot be granted twice
    for one claim-month and is left to staff (the outcome records it as cut)."""
    net = grant.amount - (
        grant.movements.filter(kind=CreditKind.REVERSED).aggregate(t=Sum("amount"))["t"] or ZERO
    )
    excess = min(net - amount, open_amount(grant))
    if excess > 0:
        entry = write_movement(
            grant,
            CreditKind.REVERSED,
            excess,
            key=f"reverse:grant-{grant.pk}:decision-{decision.sequence}",
            at=now,
            actor_id=decision.decided_by_id,
            reason=_reversal_reason(grant, amount, decision),
        )
        if entry is not None:
            written.append(entry)
            caps.use(grant, -excess)
            net -= excess
    return net


def _reversal_reason(grant, amount, decision):
    if decision.kind == decision.Kind.REJECT:
        return (
            f"Claim {grant.claim.reference} rejected by decision {decision.sequence}: "
            f"{decision.reason}"
        )
    return f"Corrected by decision {decision.sequence} to {amount}: {decision.reason}"
