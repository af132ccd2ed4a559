"""Invoices: the cycle's drafts with their lines, issuing, payments, overdue."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.models import (
    ZERO,
    CreditEntry,
    CreditKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from billing.services.applying import apply_open_credit
from billing.services.ledger import CENT, lock_billing_accounts
from portal.models import Organisation

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
# end customers (`billed`: each made invoice's organisations, found from the chunk's own ids, so
# the statement reads only the chunk's rows); tax on the fee, rounded half up to cents
# (PostgreSQL's numeric ROUND).
_LINES_SQL = """
WITH billed (invoice_id, organisation_id, billing_account_id, instant) AS (VALUES {values})
INSERT INTO billing_invoiceline (invoice_id, subscription_id, description, amount, tax)
SELECT billed.invoice_id, subscription.id, service.name || ' - ' || organisation.name,
       subscription.monthly_fee, ROUND(subscription.monthly_fee * account.tax_rate, 2)
FROM billed
JOIN billing_billingaccount account ON account.id = billed.billing_account_id
JOIN portal_organisation organisation ON organisation.id = billed.organisation_id
JOIN sla_subscription subscription ON subscription.organisation_id = organisation.id
JOIN sla_service service ON service.id = subscription.service_id
WHERE subscription.starts_at <= billed.instant
  AND (subscription.ends_at IS NULL OR subscription.ends_at > billed.instant)
ORDER BY billed.invoice_id, organisation.name, service.position
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
            payer_of = {account.pk: account.organisation_id for account in billing_accounts}
            end_customers = defaultdict(list)
            for customer, reseller in Organisation.objects.filter(
                reseller__in=list(payer_of.values())
            ).values_list("pk", "reseller"):
                end_customers[reseller].append(customer)
            rows = [
                (invoice, organisation, account, _midnight(starts[account]))
                for invoice, account in made
                for organisation in (payer_of[account], *end_customers[payer_of[account]])
            ]
            cursor.execute(
                _LINES_SQL.format(values=", ".join(["(%s, %s, %s, %s)"] * len(rows))),
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
