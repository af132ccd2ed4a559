"""Granting approved credit within the agreements' caps, and taking it back when a
correction lowers or rejects it."""

import datetime as dt
import logging
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Subquery, Sum
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
from billing.services.ledger import (
    CENT,
    approval_in_force,
    lock_billing_accounts,
    open_amount,
    settle_claims,
    unspent_grants,
    write_movement,
)
from claims.models import Claim, ClaimState, Decision
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

    def __init__(self, billing_account_ids, rows):
        """`rows`: (claim, subscription id, month) of every grant the batch may write."""
        months = {month for _, _, month in rows}
        self.fees = dict(
            Subscription.objects.filter(pk__in={sub for _, sub, _ in rows}).values_list(
                "pk", "monthly_fee"
            )
        )
        self.used = defaultdict(Decimal)
        if not rows:
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
        self._read_paid(billing_account_ids, {claim.account_id for claim, _, _ in rows}, months)

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

    def waits(self, claim, billing_account_id, month):
        return claim.policy_version.cap_basis == "mrc_paid" and (
            (billing_account_id, month) in self.unpaid
        )

    def key(self, claim, billing_account_id, subscription_id, month):
        if claim.policy_version.cap_basis == "mrc_paid":
            return (billing_account_id, "account", claim.account_id, month)
        return (billing_account_id, "subscription", subscription_id, month)

    def cap(self, claim, billing_account_id, subscription_id, month):
        if claim.policy_version.cap_basis != "mrc_paid":
            return self.fees[subscription_id]
        if (billing_account_id, month) not in self.invoiced:
            return self.fees_in_force[(claim.account_id, month)]
        return self.paid[(billing_account_id, claim.account_id, month)]

    def left(self, claim, billing_account_id, subscription_id, month):
        key = self.key(claim, billing_account_id, subscription_id, month)
        return max(
            self.cap(claim, billing_account_id, subscription_id, month) - self.used[key], ZERO
        )

    def use(self, grant, amount):
        """`amount` of `grant`'s cap is now used (negative: given back by a reversal)."""
        self.used[(grant.billing_account_id, "account", grant.account_id, grant.service_month)] += (
            amount
        )
        key = (grant.billing_account_id, "subscription", grant.subscription_id, grant.service_month)
        self.used[key] += amount


def _allocation(decision):
    """[(subscription id, month date, amount)]: the decided amount over the settled
    subscription-months, in proportion to the engine's credits (the engine's own amounts when
    the reviewer did not override). Cents left by rounding go to the last row."""
    rows = []
    for quote in decision.settlement.quotes:
        for month in quote["months"]:
            year, number = (int(part) for part in month["month"].split("-"))
            rows.append((quote["subscription"], dt.date(year, number, 1), Decimal(month["credit"])))
    if not rows:
        return []
    engine_total = sum(amount for _, _, amount in rows)
    if decision.amount == engine_total:
        return [row for row in rows if row[2] > 0]
    weights = [amount for _, _, amount in rows] if engine_total > 0 else [Decimal(1)] * len(rows)
    weight_total = sum(weights)
    allocated, result = ZERO, []
    for index, ((subscription, month, _), weight) in enumerate(zip(rows, weights, strict=True)):
        if index == len(rows) - 1:
            share = decision.amount - allocated
        else:
            share = (decision.amount * weight / weight_total).quantize(CENT, ROUND_HALF_UP)
        allocated += share
        if share > 0:
            result.append((subscription, month, share))
    return result


def grant_credit(claim_id, *, now=None):
    """Write the grant entries for one approved claim (see grant_credits). Run it twice, or
    twice at once: the second writes nothing. Returns the entries written now."""
    now = now or timezone.now()
    claim = Claim.objects.select_related("account").get(pk=claim_id)
    if claim.state != ClaimState.APPROVED:
        return []
    billing_account = BillingAccount.for_account(claim.account)
    with transaction.atomic():
        lock_billing_accounts([billing_account.pk])
        return grant_credits(claims_awaiting_grant().filter(pk=claim_id), now=now)


def grant_credits(claims, *, now):
    """Grant approved claims' credit, each grant cut to what its cap leaves, and record each
    approval's outcome (that it is done). A month whose cap is not known yet (its invoice
    unpaid) waits for a later run. `claims` is a queryset of claims_awaiting_grant(), read here
    under the locks of their billed parties, which the caller holds. Returns the entries
    written."""
    # Only the columns granting reads: the run loads thousands of these at a time.
    claims = list(
        claims.select_related("account", "policy_version")
        .only("account__reseller", "policy_version__cap_basis")
        .order_by("pk")
    )
    if not claims:
        return []
    decisions = (
        Decision.objects.select_related("settlement")
        .only("claim", "sequence", "amount", "decided_by", "reason", "settlement__quotes")
        .in_bulk([claim.in_force for claim in claims])
    )
    confirmations = Decision.objects.filter(confirms__in=list(decisions)).order_by("sequence")
    # The second reviewer, where one confirmed the approval.
    approvers = dict(confirmations.values_list("confirms", "decided_by"))
    payers = dict(
        BillingAccount.objects.filter(
            organisation__in={claim.account.reseller_id or claim.account_id for claim in claims}
        ).values_list("organisation", "pk")
    )
    plans = []  # (claim, decision, billing account id, [(subscription id, month, amount)])
    for claim in claims:
        decision = decisions[claim.in_force]
        billing_account = payers.get(claim.account.reseller_id or claim.account_id)
        if billing_account is None:
            billing_account = BillingAccount.for_account(claim.account).pk
        plans.append((claim, decision, billing_account, _allocation(decision)))

    def key(claim, subscription_id, month):
        return f"grant:claim-{claim.pk}:subscription-{subscription_id}:{month:%Y-%m}"

    rows = [(claim, sub, month) for claim, _, _, rows in plans for sub, month, _ in rows]
    earlier = CreditEntry.objects.in_bulk([key(*row) for row in rows], field_name="key")
    caps = Caps({plan[2] for plan in plans}, rows)
    entries, outcomes, written = [], [], []
    for claim, decision, billing_account, allocation in plans:
        granted, cut, waiting = ZERO, ZERO, False
        for subscription_id, month, amount in allocation:
            existing = earlier.get(key(claim, subscription_id, month))
            if existing is not None:
                # Granted under an earlier decision: a correction to less reverses the excess;
                # one to more cannot grant twice for a claim-month and is recorded as cut.
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
            if caps.waits(claim, billing_account, month):
                waiting = True
                continue
            left = caps.left(claim, billing_account, subscription_id, month)
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
                key=key(claim, subscription_id, month),
                claim=claim,
                account_id=claim.account_id,
                billing_account_id=billing_account,
                subscription_id=subscription_id,
                service_month=month,
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
    # A correction can grant a month the claim had no credit for: the claim holds open credit
    # again, so it is not settled (and its apply-by is watched) until that is applied too.
    Claim.objects.filter(
        pk__in={entry.claim_id for entry in entries}, credit_settled_at__isnull=False
    ).update(credit_settled_at=None)
    settle_claims([outcome.claim_id for outcome in outcomes], now)
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
            reason=f"Corrected by decision {decision.sequence} to {amount}: {decision.reason}",
        )
        if entry is not None:
            written.append(entry)
            caps.use(grant, -excess)
            net -= excess
    return net


def reverse_rejected(claim_id, *, now=None):
    """A claim corrected to rejected after its grant: what is still open of each grant is
    reversed (what was already applied to an issued invoice stays there, on record)."""
    now = now or timezone.now()
    claim = Claim.objects.get(pk=claim_id)
    if claim.state != ClaimState.REJECTED:
        return []
    written = []
    decision = claim.decisions.order_by("-sequence").first()
    grants = CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED)
    for grant in grants:
        with transaction.atomic():
            lock_billing_accounts([grant.billing_account_id])
            left = open_amount(grant)
            if left > 0:
                written.append(
                    write_movement(
                        grant,
                        CreditKind.REVERSED,
                        left,
                        key=f"reverse:grant-{grant.pk}:decision-{decision.sequence}",
                        at=now,
                        actor_id=decision.decided_by_id,
                        reason=f"Claim {claim.reference} rejected by decision {decision.sequence}: "
                        f"{decision.reason}",
                    )
                )
    return [entry for entry in written if entry is not None]


def claims_awaiting_grant():
    """Approved claims whose approval in force has no grant outcome yet: what the run must
    still do (an approval whose grant task was lost, or a month waiting for its payment)."""
    return (
        Claim.objects.filter(state=ClaimState.APPROVED)
        .annotate(in_force=Subquery(approval_in_force()))
        .exclude(in_force__in=GrantOutcome.objects.values("decision_id"))
    )


def claims_to_reverse():
    """Rejected claims (by a correction) that still hold open credit."""
    return Claim.objects.filter(
        state=ClaimState.REJECTED, pk__in=unspent_grants().values("claim")
    ).order_by("pk")
