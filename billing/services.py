"""Turning approved claims into money: grant within the caps, apply to the next draft invoice,
carry forward, pay out on termination, and the cycle run that makes and issues invoices.

Every step works on a set of billed parties at once (one for a task, a chunk of them for the
month-end run): it reads what it needs in a few queries and writes in bulk. Each is safe to run
twice: a ledger entry's key names its effect and is unique, a grant outcome is one per decision,
an invoice one per cycle. Every step that writes the ledger runs under the row locks of the
billed parties it touches, so concurrent approvals can never together pass a cap.
"""

import datetime as dt
import logging
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
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
# Billed parties per month-end task, and per transaction when the run works in one process.
CHUNK = 500
logger = logging.getLogger(__name__)
# Movements that use up a grant. A CARRIED entry only records that a remainder waits.
SPENDING = (CreditKind.APPLIED, CreditKind.PAID_OUT, CreditKind.REVERSED)


def lock_billing_accounts(ids):
    """Lock billed parties' rows for this transaction, in primary-key order (two chunks never
    wait on each other in a cycle): grants read and use caps under these locks, and applying
    reads and uses a grant's open amount and a line's room under them."""
    return list(
        BillingAccount.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("organisation")
        .order_by("pk")
    )


# --- reading the ledger ----------------------------------------------------------------------


def _spent(prefix=""):
    return Coalesce(
        Sum(f"{prefix}movements__amount", filter=Q(**{f"{prefix}movements__kind__in": SPENDING})),
        Value(ZERO),
    )


def open_amount(grant):
    spent = (
        grant.movements.filter(kind__in=SPENDING).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    return grant.amount - spent


def open_grants(billing_account_ids):
    """[(grant, open amount)] of the billed parties' grants with something left, each party's
    oldest apply-by first."""
    grants = (
        CreditEntry.objects.filter(billing_account__in=billing_account_ids, kind=CreditKind.GRANTED)
        .annotate(spent=_spent())
        .filter(amount__gt=F("spent"))
        .order_by("billing_account", "claim__apply_by", "at", "pk")
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


# --- granting --------------------------------------------------------------------------------


def _approval_in_force():
    return (
        Decision.objects.filter(claim=OuterRef("pk"), kind=DecisionKind.APPROVE)
        .order_by("-sequence")
        .values("pk")[:1]
    )


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
        entry = _entry(
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


def settle_claims(claim_ids, now):
    """Mark approved claims whose credit billing has finished with: the approval in force has
    its grant outcome and nothing of its grants is open (so apply-by escalation stops)."""
    if not claim_ids:
        return 0
    open_grant = (
        CreditEntry.objects.filter(claim=OuterRef("pk"), kind=CreditKind.GRANTED)
        .annotate(spent=_spent())
        .filter(amount__gt=F("spent"))
    )
    settled = (
        Claim.objects.filter(
            pk__in=set(claim_ids), state=ClaimState.APPROVED, credit_settled_at__isnull=True
        )
        .annotate(in_force=Subquery(_approval_in_force()))
        .filter(Exists(GrantOutcome.objects.filter(decision=OuterRef("in_force"))))
        .exclude(Exists(open_grant))
        .values_list("pk", flat=True)
    )
    return Claim.objects.filter(pk__in=list(settled)).update(credit_settled_at=now)


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
                    _entry(
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
        .annotate(in_force=Subquery(_approval_in_force()))
        .exclude(in_force__in=GrantOutcome.objects.values("decision_id"))
    )


def claims_to_reverse():
    """Rejected claims (by a correction) that still hold open credit."""
    open_grants_ = (
        CreditEntry.objects.filter(kind=CreditKind.GRANTED)
        .annotate(spent=_spent())
        .filter(amount__gt=F("spent"))
    )
    return Claim.objects.filter(
        state=ClaimState.REJECTED, pk__in=open_grants_.values("claim")
    ).order_by("pk")


# --- invoices --------------------------------------------------------------------------------

# Raw SQL, because the ORM has no INSERT ... SELECT: the month-end run writes every billed
# party's draft and its lines without carrying a row through Python. Both statements run on
# PostgreSQL and SQLite (the embedded default). Lines are made only for the invoices made by
# the same statement's RETURNING, so a draft gets its lines exactly once.
_DRAFTS_SQL = """
WITH wanted (billing_account_id, cycle_start, cycle_end) AS (VALUES {values})
INSERT INTO billing_invoice (billing_account_id, cycle_start, cycle_end, status, created_at)
SELECT billing_account_id, cycle_start, cycle_end, 'draft', %s FROM wanted
WHERE NOT EXISTS (
    SELECT 1 FROM billing_invoice invoice
    WHERE invoice.billing_account_id = wanted.billing_account_id
      AND invoice.cycle_start = wanted.cycle_start
)
ON CONFLICT DO NOTHING
RETURNING id, billing_account_id
"""
# A line per subscription active when the cycle starts, of the billed party itself or of its
# end customers; tax on the fee, rounded half up to cents (PostgreSQL's numeric ROUND).
_LINES_SQL = """
WITH made (invoice_id, billing_account_id, instant) AS (VALUES {values}),
billed (invoice_id, organisation_id) AS (
    SELECT made.invoice_id, account.organisation_id
    FROM made JOIN billing_billingaccount account ON account.id = made.billing_account_id
    UNION ALL
    SELECT made.invoice_id, customer.id
    FROM made JOIN billing_billingaccount account ON account.id = made.billing_account_id
    JOIN portal_organisation customer ON customer.reseller_id = account.organisation_id
)
INSERT INTO billing_invoiceline (invoice_id, subscription_id, description, amount, tax)
SELECT made.invoice_id, subscription.id, service.name || ' - ' || organisation.name,
       subscription.monthly_fee, ROUND(subscription.monthly_fee * account.tax_rate, 2)
FROM made
JOIN billing_billingaccount account ON account.id = made.billing_account_id
JOIN billed ON billed.invoice_id = made.invoice_id
JOIN portal_organisation organisation ON organisation.id = billed.organisation_id
JOIN sla_subscription subscription ON subscription.organisation_id = organisation.id
JOIN sla_service service ON service.id = subscription.service_id
WHERE subscription.starts_at <= made.instant
  AND (subscription.ends_at IS NULL OR subscription.ends_at > made.instant)
ORDER BY made.invoice_id, organisation.name, service.position
"""


def draft_invoices(billing_accounts, day, *, now):
    """Make the draft invoice of the cycle containing `day` for each billing account that has
    none yet, with a line per recurring fee and its tax. Returns how many were made."""
    cycles = [(account.pk, *account.cycle_containing(day)) for account in billing_accounts]
    if not cycles:
        return 0
    created = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _DRAFTS_SQL.format(values=", ".join(["(%s, %s, %s)"] * len(cycles))),
            [value for cycle in cycles for value in cycle] + [created],
        )
        made = cursor.fetchall()
        if made:
            starts = {account: start for account, start, _ in cycles}
            rows = [(invoice, account, _midnight(starts[account])) for invoice, account in made]
            cursor.execute(
                _LINES_SQL.format(values=", ".join(["(%s, %s, %s)"] * len(rows))),
                [value for row in rows for value in row],
            )
    return len(made)


def _midnight(day):
    return connection.ops.adapt_datetimefield_value(
        dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    )


def draft_invoice(billing_account, day):
    """The draft invoice of the cycle containing `day` (made if missing)."""
    draft_invoices([billing_account], day, now=timezone.now())
    start, _ = billing_account.cycle_containing(day)
    return Invoice.objects.get(billing_account=billing_account, cycle_start=start)


def issue_invoice(invoice, *, now=None):
    """Apply what credit fits, then issue: number, due date. Issued invoices are not changed."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_billing_accounts([invoice.billing_account_id])
        invoice = Invoice.objects.select_related("billing_account").get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.DRAFT:
            apply_open_credit([invoice.billing_account_id], now=now)
            _mark_issued([invoice], now)
    return invoice


def issue_ended(billing_accounts, *, now):
    """Issue the drafts whose cycle has ended, oldest first, each after applying what credit
    fits on it. The caller holds the accounts' locks."""
    issued = 0
    while True:
        oldest = {}
        ended = Invoice.objects.filter(
            billing_account__in=billing_accounts,
            status=InvoiceStatus.DRAFT,
            cycle_end__lte=now.date(),
        ).select_related("billing_account")
        for invoice in ended.order_by("cycle_start"):
            oldest.setdefault(invoice.billing_account_id, invoice)
        if not oldest:
            return issued
        # Each account's oldest draft is the one its open credit goes to.
        apply_open_credit(list(oldest), now=now)
        _mark_issued(list(oldest.values()), now)
        issued += len(oldest)


def _mark_issued(invoices, now):
    """Issue the invoices; one with nothing to pay (no fee, or credit covering every fee and
    no tax) is paid as it is issued, so it never becomes overdue."""
    due = _balances([invoice.pk for invoice in invoices])
    for invoice in invoices:
        nothing_due = due.get(invoice.pk, ZERO) <= 0
        invoice.status = InvoiceStatus.PAID if nothing_due else InvoiceStatus.ISSUED
        invoice.issued_at = now
        invoice.number = f"INV-{invoice.billing_account_id:05d}-{invoice.cycle_start:%Y%m%d}"
        invoice.due_on = now.date() + dt.timedelta(days=invoice.billing_account.payment_terms_days)
    Invoice.objects.bulk_update(invoices, ["status", "issued_at", "number", "due_on"])


def _balances(invoice_ids):
    """{invoice id: fees and tax, less credit applied, less payments} in three queries."""
    due = defaultdict(Decimal)
    lines = (
        InvoiceLine.objects.filter(invoice__in=invoice_ids)
        .order_by()
        .values_list("invoice")
        .annotate(fees=Sum("amount"), tax=Sum("tax"))
    )
    for invoice, fees, tax in lines:
        due[invoice] += Decimal(fees) + Decimal(tax)
    credits = (
        CreditEntry.objects.filter(invoice__in=invoice_ids, kind=CreditKind.APPLIED)
        .order_by()
        .values_list("invoice")
        .annotate(total=Sum("amount"))
    )
    paid = (
        Payment.objects.filter(invoice__in=invoice_ids)
        .order_by()
        .values_list("invoice")
        .annotate(total=Sum("amount"))
    )
    for invoice, total in (*credits, *paid):
        due[invoice] -= Decimal(total)
    # SQLite sums decimals as floats: state each balance in cents, whatever the database.
    return {invoice: value.quantize(CENT) for invoice, value in due.items()}


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


# --- applying credit -------------------------------------------------------------------------


def apply_credits(billing_account_id, *, now=None):
    """Put the billed party's open grants on its next draft invoice (see apply_open_credit)."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_billing_accounts([billing_account_id])
        return apply_open_credit([billing_account_id], now=now)


# One statement puts every open grant of a set of billed parties where it goes, as the ORM
# cannot (INSERT ... SELECT with window sums). On each party's oldest draft, the grants for one
# line (one service) take its room in apply-by order: a grant takes what the grants before it
# left of the line's fee, and carries the rest; a grant with no line there carries it all.
# Every amount goes through ROUND(..., 2): a no-op on PostgreSQL's numeric, and on SQLite
# (floats) it keeps rounding dust out of the ledger. Runs on both.
_APPLY_SQL = """
WITH movement_ AS MATERIALIZED (
    SELECT grant_id, invoice_line_id, kind, amount
    FROM billing_creditentry
    WHERE kind IN ('applied', 'paid_out', 'reversed') AND billing_account_id IN ({accounts})
), spent AS (
    SELECT grant_id, SUM(amount) AS amount FROM movement_ GROUP BY grant_id
), line_used AS (
    SELECT invoice_line_id, SUM(amount) AS amount FROM movement_
    WHERE kind = 'applied' GROUP BY invoice_line_id
), open_grant AS MATERIALIZED (
    SELECT grant_.id, grant_.claim_id, grant_.account_id, grant_.billing_account_id,
           grant_.subscription_id, grant_.service_month, grant_.at, claim.apply_by,
           ROUND(grant_.amount - COALESCE(spent.amount, 0), 2) AS open_amount,
           (SELECT MIN(draft.cycle_start) FROM billing_invoice draft
            WHERE draft.billing_account_id = grant_.billing_account_id
              AND draft.status = 'draft') AS cycle_start
    FROM billing_creditentry grant_
    JOIN claims_claim claim ON claim.id = grant_.claim_id
    LEFT JOIN spent ON spent.grant_id = grant_.id
    WHERE grant_.kind = 'granted' AND grant_.billing_account_id IN ({accounts})
      AND ROUND(grant_.amount - COALESCE(spent.amount, 0), 2) > 0
), placed AS (
    SELECT open_grant.*, invoice.id AS invoice_id, line.id AS line_id, line.description,
           ROUND(line.amount - COALESCE(line_used.amount, 0), 2) AS room,
           COALESCE(SUM(open_grant.open_amount) OVER (
               PARTITION BY invoice.id, open_grant.subscription_id
               ORDER BY open_grant.apply_by IS NULL, open_grant.apply_by, open_grant.at,
                        open_grant.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS before
    FROM open_grant
    -- the oldest draft of the party
    JOIN billing_invoice invoice ON invoice.billing_account_id = open_grant.billing_account_id
                                AND invoice.cycle_start = open_grant.cycle_start
    LEFT JOIN billing_invoiceline line
        ON line.invoice_id = invoice.id AND line.subscription_id = open_grant.subscription_id
    LEFT JOIN line_used ON line_used.invoice_line_id = line.id
), taken AS (
    SELECT placed.*, ROUND(CASE
        WHEN line_id IS NULL OR room - before <= 0 THEN 0
        WHEN room - before < open_amount THEN room - before
        ELSE open_amount
    END, 2) AS take
    FROM placed
), movement AS (
    SELECT 'applied' AS kind,
           'apply:grant-' || CAST(id AS TEXT) || ':invoice-' || CAST(invoice_id AS TEXT) AS key,
           claim_id, account_id, billing_account_id, subscription_id, service_month,
           take AS amount, id AS grant_id, invoice_id, line_id AS invoice_line_id,
           'Applied to ' || description || ' on the invoice of ' || CAST(cycle_start AS TEXT)
               AS reason
    FROM taken WHERE take > 0
    UNION ALL
    SELECT 'carried',
           'carry:grant-' || CAST(id AS TEXT) || ':invoice-' || CAST(invoice_id AS TEXT),
           claim_id, account_id, billing_account_id, subscription_id, service_month,
           ROUND(open_amount - take, 2), id, invoice_id, NULL,
           'More than this invoice''s fee for the service: carried to the next invoice'
    FROM taken WHERE open_amount - take > 0
)
INSERT INTO billing_creditentry (kind, key, claim_id, account_id, billing_account_id,
    subscription_id, service_month, amount, grant_id, invoice_id, invoice_line_id, actor_id,
    at, reason)
SELECT kind, key, claim_id, account_id, billing_account_id, subscription_id, service_month,
       amount, grant_id, invoice_id, invoice_line_id, NULL, %s, reason
FROM movement
WHERE NOT EXISTS (SELECT 1 FROM billing_creditentry done WHERE done.key = movement.key)
RETURNING id, claim_id
"""


def apply_open_credit(billing_account_ids, *, now):
    """Put each billed party's open grants on its oldest draft invoice, only against the
    impacted services' recurring fees, oldest apply-by first; what does not fit carries to the
    next invoice (_APPLY_SQL). Never a cash refund. The caller holds the accounts' locks, so
    nothing else moves a grant or a line meanwhile; a movement already in the ledger (its key)
    is not written again, and one written meanwhile despite the locks would fail the unique
    key loudly rather than be skipped. Returns the ids of the entries written."""
    ids = list(billing_account_ids)
    if not ids:
        return []
    accounts = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            _APPLY_SQL.format(accounts=accounts),
            [*ids, *ids, connection.ops.adapt_datetimefield_value(now)],
        )
        written = cursor.fetchall()
    settle_claims([claim_id for _, claim_id in written], now)
    return [entry_id for entry_id, _ in written]


def pay_out_terminated(billing_account_id, *, now=None):
    """A terminated reseller's open credit becomes a payout (groupSPARK: "except when
    reseller's participation ... has terminated")."""
    now = now or timezone.now()
    with transaction.atomic():
        (billing_account,) = lock_billing_accounts([billing_account_id])
        if billing_account.organisation.standing != Organisation.Standing.TERMINATED:
            return []
        payable = [
            (grant, left)
            for grant, left in open_grants([billing_account_id])
            if grant.claim.policy_version.payout_on_termination
        ]
        written = _write_new(
            _movement(
                grant,
                CreditKind.PAID_OUT,
                left,
                key=f"payout:grant-{grant.pk}",
                at=now,
                reason="Reseller terminated: outstanding credit paid out",
            )
            for grant, left in payable
        )
        settle_claims([entry.claim_id for entry in written], now)
        return written


def _movement(
    grant, kind, amount, *, key, at, reason, invoice=None, invoice_line=None, actor_id=None
):
    """An unsaved ledger entry that draws on `grant`."""
    return CreditEntry(
        kind=kind,
        key=key,
        claim_id=grant.claim_id,
        account_id=grant.account_id,
        billing_account_id=grant.billing_account_id,
        subscription_id=grant.subscription_id,
        service_month=grant.service_month,
        amount=amount,
        grant=grant,
        invoice=invoice,
        invoice_line=invoice_line,
        actor_id=actor_id,
        at=at,
        reason=reason,
    )


def _write_new(entries):
    """Save the entries whose effect is not in the ledger yet (their key is not); the others
    were written by an earlier run. Under the billed parties' locks no other writer races."""
    entries = list(entries)
    done = set(
        CreditEntry.objects.filter(key__in=[entry.key for entry in entries]).values_list(
            "key", flat=True
        )
    )
    return CreditEntry.objects.bulk_create([entry for entry in entries if entry.key not in done])


def _entry(grant, kind, amount, **fields):
    """Write one movement of `grant` unless its effect is already in the ledger."""
    written = _write_new([_movement(grant, kind, amount, **fields)])
    return written[0] if written else None


# --- the month-end run -----------------------------------------------------------------------


def bill(billing_account_ids, now):
    """The run's part for a set of billed parties, in one transaction under their locks:
    grant what approvals left ungranted, reverse what rejected claims still hold, make the
    current cycle's drafts, issue the drafts whose cycle ended (credit applied first), pay out
    terminated resellers, apply open credit to the current drafts."""
    with transaction.atomic():
        accounts = lock_billing_accounts(billing_account_ids)
        payers = [account.organisation_id for account in accounts]
        owners = Organisation.objects.filter(Q(pk__in=payers) | Q(reseller__in=payers))
        grant_credits(claims_awaiting_grant().filter(account__in=owners), now=now)
        for claim_id in claims_to_reverse().filter(account__in=owners).values_list("pk", flat=True):
            reverse_rejected(claim_id, now=now)
        draft_invoices(accounts, now.date(), now=now)
        issue_ended(accounts, now=now)
        for account in accounts:
            if account.organisation.standing == Organisation.Standing.TERMINATED:
                pay_out_terminated(account.pk, now=now)
        return apply_open_credit([account.pk for account in accounts], now=now)


def bill_chunk(billing_account_ids, now):
    """bill() a chunk of billed parties; should that fail, bill each party alone, so one
    party's bad data holds back only that party (logged for staff; the next run tries it
    again). A lost database connection is raised as it is, for the task to retry. Returns how
    many ledger entries the apply steps wrote."""
    try:
        return len(bill(billing_account_ids, now))
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        if len(billing_account_ids) == 1:
            raise
        logger.exception("billing run: a chunk failed; billing its parties one at a time")
    written = 0
    for billing_account_id in billing_account_ids:
        try:
            written += len(bill([billing_account_id], now))
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("billing run: billing account %s failed", billing_account_id)
    return written


def billing_chunks(chunk=CHUNK):
    """Every billing account's id, in lists of `chunk`; first a billing account is made for
    every party that pays for a subscription and has none yet (a direct customer, or the
    reseller of an end customer), so nobody goes uninvoiced or uncredited."""
    subscribers = Organisation.objects.filter(
        Exists(Subscription.objects.filter(organisation=OuterRef("pk")))
    )
    payers = {reseller or pk for pk, reseller in subscribers.values_list("pk", "reseller")}
    payers -= set(BillingAccount.objects.values_list("organisation", flat=True))
    BillingAccount.objects.bulk_create(
        [BillingAccount(organisation_id=payer) for payer in sorted(payers)],
        ignore_conflicts=True,  # made meanwhile by an approval's grant
    )
    ids = list(BillingAccount.objects.order_by("pk").values_list("pk", flat=True))
    return [ids[start : start + chunk] for start in range(0, len(ids), chunk)]
