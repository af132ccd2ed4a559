"""Turning approved claims into money: grant within the caps, apply to the next draft invoice,
carry forward, pay out on termination, and the cycle run that makes and issues invoices.

Every function is safe to run twice: each ledger entry has a key naming its effect, and the
unique key makes a second copy impossible. Grants and applications for one billing account
are serialised by locking that account's row, so concurrent approvals can never together pass
a cap.
"""

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
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
from claims.models import Claim, ClaimState, Decision, DecisionKind
from portal.models import Organisation
from sla.models import Subscription

CENT = Decimal("0.01")
logger = logging.getLogger(__name__)
# Movements that use up a grant. A CARRIED entry only records that a remainder waits.
SPENDING = (CreditKind.APPLIED, CreditKind.PAID_OUT, CreditKind.REVERSED)


# --- reading the ledger ----------------------------------------------------------------------


def open_amount(grant):
    spent = (
        grant.movements.filter(kind__in=SPENDING).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    return grant.amount - spent


def open_grants(billing_account):
    """Grants with something left to apply, oldest apply-by first."""
    spent = Coalesce(Sum("movements__amount", filter=Q(movements__kind__in=SPENDING)), Value(ZERO))
    grants = (
        CreditEntry.objects.filter(billing_account=billing_account, kind=CreditKind.GRANTED)
        .annotate(spent=spent)
        .filter(amount__gt=F("spent"))
        .select_related("claim", "subscription")
        .order_by("claim__apply_by", "at", "pk")
    )
    return [(grant, grant.amount - grant.spent) for grant in grants]


def granted_in(billing_account, *, month, account=None, subscription=None):
    """Net credit granted for a service month: grants less reversals."""
    entries = CreditEntry.objects.filter(billing_account=billing_account, service_month=month)
    if account is not None:
        entries = entries.filter(account=account)
    if subscription is not None:
        entries = entries.filter(subscription=subscription)
    granted = entries.filter(kind=CreditKind.GRANTED).aggregate(t=Sum("amount"))["t"] or ZERO
    reversed_ = entries.filter(kind=CreditKind.REVERSED).aggregate(t=Sum("amount"))["t"] or ZERO
    return granted - reversed_


# --- caps ------------------------------------------------------------------------------------


def recurring_paid(account, month):
    """OnePointSync's cap: "the monthly recurring charge actually paid" by `account` for
    `month`. What was paid on the invoices whose cycle starts in that month, up to their
    recurring fees. Decision: for a month the portal never invoiced (before billing began
    here), the account's subscription fees in force that month stand in for it."""
    billing_account = BillingAccount.for_account(account)
    next_month = month_start(month + dt.timedelta(days=32))
    invoices = Invoice.objects.filter(
        billing_account=billing_account, cycle_start__gte=month, cycle_start__lt=next_month
    )
    if not invoices.exists():
        instant = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
        fees = (
            Subscription.objects.filter(organisation=account)
            .active_at(instant)
            .aggregate(total=Sum("monthly_fee"))["total"]
        )
        return fees or ZERO
    total = ZERO
    for invoice in invoices:
        fees = (
            invoice.lines.filter(subscription__organisation=account).aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        paid = invoice.payments.aggregate(t=Sum("amount"))["t"] or ZERO
        total += min(fees, paid)
    return total


def cap_left(claim, subscription, month, billing_account):
    version = claim.policy_version
    if version.cap_basis == "mrc_paid":
        cap = recurring_paid(claim.account, month)
        used = granted_in(billing_account, month=month, account=claim.account)
    else:
        cap = subscription.monthly_fee
        used = granted_in(billing_account, month=month, subscription=subscription)
    return max(cap - used, ZERO)


# --- granting --------------------------------------------------------------------------------


def final_approval(claim):
    """The approval in force (a confirmed one, when four eyes were needed), or None."""
    if claim.state != ClaimState.APPROVED:
        return None
    return claim.decisions.filter(kind=DecisionKind.APPROVE).order_by("-sequence").first()


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


def _month_unsettled(claim, month, billing_account):
    """OnePointSync caps a month at what was actually paid for it: while an invoice of that
    month is not yet paid, the cap is not known and the grant waits (the run retries)."""
    if claim.policy_version.cap_basis != "mrc_paid":
        return False
    next_month = month_start(month + dt.timedelta(days=32))
    return (
        Invoice.objects.filter(
            billing_account=billing_account, cycle_start__gte=month, cycle_start__lt=next_month
        )
        .exclude(status=InvoiceStatus.PAID)
        .exists()
    )


def grant_credit(claim_id, *, now=None):
    """Write the grant entries for an approved claim, each cut to what its cap leaves, and the
    outcome that says it is done. Run it twice, or twice at once: the second writes nothing. A
    month whose cap is not known yet (its invoice unpaid) waits for a later run. Returns the
    entries written now."""
    now = now or timezone.now()
    claim = Claim.objects.select_related("account__reseller", "policy_version__policy").get(
        pk=claim_id
    )
    decision = final_approval(claim)
    if decision is None:
        return []
    billing_account = BillingAccount.for_account(claim.account)
    written = []
    with transaction.atomic():
        # One grant at a time per billed party: caps are read and used under this lock.
        BillingAccount.objects.select_for_update().get(pk=billing_account.pk)
        if GrantOutcome.objects.filter(decision=decision).exists():
            return []
        approver = decision.confirmations.order_by("-sequence").first() or decision
        granted, cut, waiting = ZERO, ZERO, False
        for subscription_id, month, amount in _allocation(decision):
            key = f"grant:claim-{claim.pk}:subscription-{subscription_id}:{month:%Y-%m}"
            existing = CreditEntry.objects.filter(key=key).first()
            if existing is not None:
                # Granted under an earlier decision: a correction to less reverses the excess;
                # one to more cannot grant twice for a claim-month and is recorded as cut.
                net = _settle_correction(existing, amount, decision, now, written)
                granted += net
                if amount > net:
                    cut += amount - net
                    logger.warning(
                        "claim %s: correction to %s exceeds the %s already granted for %s; "
                        "staff must credit the difference",
                        claim.reference,
                        amount,
                        net,
                        key,
                    )
                continue
            if _month_unsettled(claim, month, billing_account):
                waiting = True
                continue
            subscription = Subscription.objects.get(pk=subscription_id)
            left = cap_left(claim, subscription, month, billing_account)
            given = min(amount, left)
            cut += amount - given
            if given <= 0:
                continue
            reason = f"Approved claim {claim.reference}, decision {decision.sequence}"
            if given < amount:
                reason += f"; cut from {amount} to the cap left ({left})"
            granted += given
            written.append(
                CreditEntry.objects.create(
                    kind=CreditKind.GRANTED,
                    key=key,
                    claim=claim,
                    account=claim.account,
                    billing_account=billing_account,
                    subscription=subscription,
                    service_month=month,
                    amount=given,
                    actor=approver.decided_by,
                    at=now,
                    reason=reason,
                )
            )
        if not waiting:
            GrantOutcome.objects.create(
                claim=claim, decision=decision, granted=granted, cut_by_caps=cut, at=now
            )
            settle_claims([claim.pk], now)
    return written


def _settle_correction(grant, amount, decision, now, written):
    """The net credit of `grant` once a correcting decision allows only `amount`. A lower amount
    reverses the difference (as far as it is still open); a higher one cannot be granted twice
    for one claim-month and is left to staff (the outcome records it as cut)."""
    net = grant.amount - (
        grant.movements.filter(kind=CreditKind.REVERSED).aggregate(t=Sum("amount"))["t"] or ZERO
    )
    excess = min(net - amount, open_amount(grant))
    if excess > 0:
        entry = _entry(
            grant,
            CreditKind.REVERSED,
            excess,
            key=f"reverse:grant-{grant.pk}:decision-{decision.sequence}",
            at=now,
            actor=decision.decided_by,
            reason=f"Corrected by decision {decision.sequence} to {amount}: {decision.reason}",
        )
        if entry is not None:
            written.append(entry)
            net -= excess
    return net


def settle_claims(claim_ids, now):
    """Mark approved claims whose credit billing has finished with: the approval in force has
    its grant outcome and nothing of its grants is open (so apply-by escalation stops)."""
    for claim in Claim.objects.filter(
        pk__in=set(claim_ids), state=ClaimState.APPROVED, credit_settled_at__isnull=True
    ):
        decision = final_approval(claim)
        if decision is None or not GrantOutcome.objects.filter(decision=decision).exists():
            continue
        grants = CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED)
        if all(open_amount(grant) == 0 for grant in grants):
            Claim.objects.filter(pk=claim.pk).update(credit_settled_at=now)


def reverse_rejected(claim_id, *, now=None):
    """A claim corrected to rejected after its grant: what is still open of each grant is
    reversed (what was already applied to an issued invoice stays there, on record)."""
    now = now or timezone.now()
    claim = Claim.objects.get(pk=claim_id)
    if claim.state != ClaimState.REJECTED:
        return []
    written = []
    grants = CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED)
    for grant in grants.select_related("billing_account"):
        with transaction.atomic():
            BillingAccount.objects.select_for_update().get(pk=grant.billing_account_id)
            left = open_amount(grant)
            if left > 0:
                decision = claim.decisions.order_by("-sequence").first()
                written.append(
                    _entry(
                        grant,
                        CreditKind.REVERSED,
                        left,
                        key=f"reverse:grant-{grant.pk}:decision-{decision.sequence}",
                        at=now,
                        actor=decision.decided_by,
                        reason=f"Claim {claim.reference} rejected by decision {decision.sequence}: "
                        f"{decision.reason}",
                    )
                )
    return [entry for entry in written if entry is not None]


def claims_awaiting_grant():
    """Approved claims whose approval in force has no grant outcome yet: what the run must
    still do (an approval whose grant task was lost, or a month waiting for its payment)."""
    in_force = (
        Decision.objects.filter(claim=OuterRef("pk"), kind=DecisionKind.APPROVE)
        .order_by("-sequence")
        .values("pk")[:1]
    )
    return (
        Claim.objects.filter(state=ClaimState.APPROVED)
        .annotate(in_force=Subquery(in_force))
        .exclude(in_force__in=GrantOutcome.objects.values("decision_id"))
    )


def claims_to_reverse():
    """Rejected claims (by a correction) that still hold open credit."""
    return Claim.objects.filter(
        state=ClaimState.REJECTED, credit_entries__kind=CreditKind.GRANTED
    ).distinct()


# --- invoices --------------------------------------------------------------------------------


def _subscriptions_billed_to(billing_account, start, end):
    organisation = billing_account.organisation
    instant = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    # Ids, not an OR across a join: the OR made PostgreSQL read every subscription per party.
    owners = [organisation.pk, *organisation.end_customers.values_list("pk", flat=True)]
    return (
        Subscription.objects.filter(organisation__in=owners)
        .active_at(instant)
        .select_related("service", "organisation")
        .order_by("organisation__name", "service__position")
    )


def draft_invoice(billing_account, day):
    """The draft invoice of the cycle containing `day`, with a line per recurring fee and its
    tax. Made once: a second call returns the same invoice."""
    start, end = billing_account.cycle_containing(day)
    with transaction.atomic():
        invoice, made = Invoice.objects.get_or_create(
            billing_account=billing_account,
            cycle_start=start,
            defaults={"cycle_end": end},
        )
        if made:
            rate = billing_account.tax_rate
            InvoiceLine.objects.bulk_create(
                InvoiceLine(
                    invoice=invoice,
                    subscription=subscription,
                    description=f"{subscription.service} - {subscription.organisation}",
                    amount=subscription.monthly_fee,
                    tax=(subscription.monthly_fee * rate).quantize(CENT, ROUND_HALF_UP),
                )
                for subscription in _subscriptions_billed_to(billing_account, start, end)
            )
    return invoice


def apply_credits(billing_account_id, *, now=None):
    """Put open grants on the account's draft invoice, only against the impacted services'
    recurring fees; a remainder carries to the next invoice. Never a cash refund."""
    now = now or timezone.now()
    with transaction.atomic():
        billing_account = BillingAccount.objects.select_for_update().get(pk=billing_account_id)
        invoice = (
            Invoice.objects.filter(billing_account=billing_account, status=InvoiceStatus.DRAFT)
            .order_by("cycle_start")
            .first()
        )
        if invoice is None:
            return []
        written = []
        applied = Coalesce(
            Sum("credit_entries__amount", filter=Q(credit_entries__kind=CreditKind.APPLIED)),
            Value(ZERO),
        )
        lines = {line.subscription_id: line for line in invoice.lines.annotate(applied=applied)}
        room = {line.pk: line.amount - line.applied for line in lines.values()}
        for grant, left in open_grants(billing_account):
            line = lines.get(grant.subscription_id)
            take = min(left, room.get(line.pk, ZERO)) if line else ZERO
            if take > 0:
                room[line.pk] -= take
                written.append(
                    _entry(
                        grant,
                        CreditKind.APPLIED,
                        take,
                        key=f"apply:grant-{grant.pk}:invoice-{invoice.pk}",
                        invoice=invoice,
                        invoice_line=line,
                        at=now,
                        reason=f"Applied to {line.description} on the invoice of "
                        f"{invoice.cycle_start:%Y-%m-%d}",
                    )
                )
            if left - take > 0:
                written.append(
                    _entry(
                        grant,
                        CreditKind.CARRIED,
                        left - take,
                        key=f"carry:grant-{grant.pk}:invoice-{invoice.pk}",
                        invoice=invoice,
                        at=now,
                        reason="More than this invoice's fee for the service: carried to the next "
                        "invoice",
                    )
                )
        written = [entry for entry in written if entry is not None]
        settle_claims([entry.claim_id for entry in written], now)
        return written


def _entry(grant, kind, amount, *, key, at, reason, invoice=None, invoice_line=None, actor=None):
    if CreditEntry.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            return CreditEntry.objects.create(
                kind=kind,
                key=key,
                claim=grant.claim,
                account=grant.account,
                billing_account=grant.billing_account,
                subscription=grant.subscription,
                service_month=grant.service_month,
                amount=amount,
                grant=grant,
                invoice=invoice,
                invoice_line=invoice_line,
                actor=actor,
                at=at,
                reason=reason,
            )
    except IntegrityError:
        return None  # written by a run that got here first


def issue_invoice(invoice, *, now=None):
    """Apply what credit fits, then issue: number, due date. Issued invoices are not changed."""
    now = now or timezone.now()
    apply_credits(invoice.billing_account_id, now=now)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.DRAFT:
            return invoice
        invoice.status = InvoiceStatus.ISSUED
        invoice.issued_at = now
        invoice.number = f"INV-{invoice.billing_account_id:05d}-{invoice.cycle_start:%Y%m%d}"
        invoice.due_on = now.date() + dt.timedelta(days=invoice.billing_account.payment_terms_days)
        invoice.save(update_fields=["status", "issued_at", "number", "due_on"])
    return invoice


def record_payment(invoice, amount, *, now=None, reference=""):
    now = now or timezone.now()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        Payment.objects.create(invoice=invoice, amount=amount, received_at=now, reference=reference)
        if invoice.totals()["balance"] <= 0 and invoice.status in (
            InvoiceStatus.ISSUED,
            InvoiceStatus.OVERDUE,
        ):
            invoice.status = InvoiceStatus.PAID
            invoice.save(update_fields=["status"])
            organisation = invoice.billing_account.organisation
            still_overdue = Invoice.objects.filter(
                billing_account=invoice.billing_account, status=InvoiceStatus.OVERDUE
            ).exists()
            if organisation.standing == Organisation.Standing.OVERDUE and not still_overdue:
                organisation.standing = Organisation.Standing.GOOD
                organisation.save(update_fields=["standing"])
    return invoice


def mark_overdue(now):
    """Issued invoices past due become overdue, and their accounts leave good standing."""
    today = now.date()
    overdue = Invoice.objects.filter(status=InvoiceStatus.ISSUED, due_on__lt=today)
    organisations = list(overdue.values_list("billing_account__organisation", flat=True))
    overdue.update(status=InvoiceStatus.OVERDUE)
    Organisation.objects.filter(pk__in=organisations, standing=Organisation.Standing.GOOD).update(
        standing=Organisation.Standing.OVERDUE
    )
    return len(organisations)


def pay_out_terminated(billing_account_id, *, now=None):
    """A terminated reseller's open credit becomes a payout (groupSPARK: "except when
    reseller's participation ... has terminated")."""
    now = now or timezone.now()
    with transaction.atomic():
        billing_account = BillingAccount.objects.select_for_update().get(pk=billing_account_id)
        if billing_account.organisation.standing != Organisation.Standing.TERMINATED:
            return []
        written = []
        for grant, left in open_grants(billing_account):
            if not grant.claim.policy_version.payout_on_termination:
                continue
            written.append(
                _entry(
                    grant,
                    CreditKind.PAID_OUT,
                    left,
                    key=f"payout:grant-{grant.pk}",
                    at=now,
                    reason="Reseller terminated: outstanding credit paid out",
                )
            )
        written = [entry for entry in written if entry is not None]
        settle_claims([entry.claim_id for entry in written], now)
        return written
