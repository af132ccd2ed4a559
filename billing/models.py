"""Billing: who is invoiced on which cycle, invoices with their lines and payments, and the
append-only credit ledger that turns approved claims into money on invoices.

The ledger is the record: a credit's state is the sum of its entries, never a field that is
edited. PostgreSQL refuses UPDATE and DELETE on ledger entries and a second grant for one
claim, subscription and month (migration `0002_ledger_guards`).
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.utils import timezone

from claims.deadlines import billing_cycle
from claims.models import Claim
from portal.models import Organisation
from sla.models import Subscription

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class BillingAccount(models.Model):
    """An invoiced party: a direct customer, or a reseller (invoiced for its end customers'
    subscriptions, and credited for their groupSPARK claims)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="billing_account"
    )
    tax_rate = models.DecimalField(
        max_digits=6, decimal_places=4, default=Decimal("0"), help_text="0.0825 for 8.25 %."
    )
    payment_terms_days = models.PositiveSmallIntegerField(default=30)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="billingaccount_tax_rate_range", condition=Q(tax_rate__gte=0, tax_rate__lt=1)
            ),
        ]

    def __str__(self):
        return f"Billing of {self.organisation}"

    def cycle_containing(self, day):
        """[start, end) dates of the billing cycle that contains `day`, on the anchor day of
        the party's organisation."""
        return billing_cycle(day, self.organisation.billing_anchor_day)

    @staticmethod
    def for_account(organisation):
        """The billing account that pays for `organisation`'s subscriptions."""
        payer = organisation.reseller or organisation
        account, _ = BillingAccount.objects.get_or_create(organisation=payer)
        return account


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(billing_account__organisation__in=Organisation.objects.visible_to(user))


class Invoice(models.Model):
    Status = InvoiceStatus

    billing_account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    cycle_start = models.DateField()
    cycle_end = models.DateField(help_text="The day after the cycle's last day.")
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices, default="draft")
    issued_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["billing_account", "cycle_start"]
        constraints = [
            # One invoice per account and cycle: a month-end run that runs twice makes one.
            models.UniqueConstraint(
                fields=["billing_account", "cycle_start"], name="invoice_one_per_cycle"
            ),
            models.CheckConstraint(
                name="invoice_status_valid", condition=Q(status__in=InvoiceStatus.values)
            ),
            models.CheckConstraint(
                name="invoice_cycle_order", condition=Q(cycle_end__gt=F("cycle_start"))
            ),
        ]

    def __str__(self):
        return (
            self.number or f"Draft invoice {self.cycle_start:%Y-%m-%d} for {self.billing_account}"
        )

    def totals(self):
        """Fees, tax (on the fees before credit), credits applied, total due, paid, balance."""
        lines = self.lines.aggregate(fees=Sum("amount"), tax=Sum("tax"))
        fees, tax = lines["fees"] or ZERO, lines["tax"] or ZERO
        credits = (
            CreditEntry.objects.filter(invoice=self, kind=CreditEntry.Kind.APPLIED).aggregate(
                total=Sum("amount")
            )["total"]
            or ZERO
        )
        paid = self.payments.aggregate(total=Sum("amount"))["total"] or ZERO
        total = fees + tax - credits
        figures = {
            "fees": fees,
            "tax": tax,
            "credits": credits,
            "total": total,
            "paid": paid,
            "balance": total - paid,
        }
        # SQLite sums decimals as floats: state every figure in cents, whatever the database.
        return {name: Decimal(value).quantize(CENT) for name, value in figures.items()}


class InvoiceLine(models.Model):
    """A subscription's recurring fee for the cycle. Tax is computed on the fee before any
    credit (groupSPARK: credits "may not be used to reduce the amount of taxes")."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["invoice", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "subscription"], name="invoiceline_one_per_subscription"
            ),
            models.CheckConstraint(
                name="invoiceline_amounts_not_negative", condition=Q(amount__gte=0, tax__gte=0)
            ),
        ]

    def __str__(self):
        return self.description


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    received_at = models.DateTimeField(default=timezone.now)
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0))
        ]

    def __str__(self):
        return f"{self.amount} on {self.invoice}"


class CreditKind(models.TextChoices):
    GRANTED = "granted", "Granted"
    APPLIED = "applied", "Applied to an invoice"
    CARRIED = "carried", "Carried forward"
    PAID_OUT = "paid_out", "Paid out"
    REVERSED = "reversed", "Reversed"


class CreditEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(account__in=Organisation.objects.visible_to(user))

    def for_end_customer(self, user, account_id):
        """Entries of one account `user` may see; refused as in Claim.objects.for_end_customer."""
        return self.filter(account=Organisation.objects.in_scope(user, account_id))


class CreditEntry(models.Model):
    """One line of the credit ledger. Never updated or deleted: a correction is a REVERSED
    entry. Amounts are positive; the kind says which way they move.

    A granted credit (per claim, subscription and service month) is open until entries
    APPLIED to invoices, PAID_OUT or REVERSED add up to it.
    """

    Kind = CreditKind

    kind = models.CharField(max_length=8, choices=CreditKind.choices)
    # What makes a second copy of the same effect impossible: a task run twice writes nothing.
    key = models.CharField(max_length=200, unique=True)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="credit_entries")
    account = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="credit_entries",
        help_text="The customer account the claim is for.",
    )
    billing_account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="credit_entries"
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    service_month = models.DateField(help_text="First day of the month (policy time) credited.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    grant = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movements",
        help_text="For every entry but a grant: the grant it draws on.",
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    invoice_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Who caused it (the approving reviewer); blank for the scheduled run.",
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "credit entries"
        # The ledger lists entries by instant, the id breaking ties, both ways (a btree serves
        # ascending and descending alike).
        indexes = [models.Index(fields=["at", "id"], name="creditentry_at_id")]
        constraints = [
            models.CheckConstraint(name="creditentry_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="creditentry_kind_valid", condition=Q(kind__in=CreditKind.values)
            ),
            # A grant stands alone; everything else draws on one.
            models.CheckConstraint(
                name="creditentry_grant_link",
                condition=(Q(kind="granted") & Q(grant__isnull=True))
                | (~Q(kind="granted") & Q(grant__isnull=False)),
            ),
            # An applied credit names its invoice line.
            models.CheckConstraint(
                name="creditentry_applied_names_line",
                condition=~Q(kind="applied") | Q(invoice_line__isnull=False),
            ),
            # At most one grant per claim, subscription and month.
            models.UniqueConstraint(
                fields=["claim", "subscription", "service_month"],
                condition=Q(kind="granted"),
                name="creditentry_one_grant_per_claim_month",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} ({self.claim.reference})"


class GrantOutcome(models.Model):
    """That a decision's awards were granted (or, for zero awards, taken back) in full, as far
    as the caps allowed: billing's record of work done. The awards of a claim's decision in
    force with no outcome are still to be granted (the database is the outbox).

    `settled_at`: when billing finished with the decision's credit: all of it on invoices, paid
    out, reversed, or nothing to give under the caps. Until then its apply-by date is watched
    (billing.escalation)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="grant_outcomes")
    decision = models.OneToOneField(
        "claims.Decision", on_delete=models.PROTECT, related_name="grant_outcome"
    )
    granted = models.DecimalField(max_digits=12, decimal_places=2)
    cut_by_caps = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What the decision allowed and the ledger did not grant: cut by a cap, or a "
        "correction to more after the grant (one grant per claim-month), for staff to credit.",
    )
    at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.claim.reference}: {self.granted} granted"


class ApplyByThreshold(models.TextChoices):
    SOON = "apply_by_soon", "Apply-by date within seven days"
    PASSED = "apply_by_passed", "Apply-by date passed"


class ApplyByWarning(models.Model):
    """A warning to staff that an approved credit is not applied and its apply-by date is near
    or past ("applied within two billing cycles"): at most one per claim per threshold."""

    Threshold = ApplyByThreshold

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="apply_by_warnings")
    threshold = models.CharField(max_length=24, choices=ApplyByThreshold.choices)
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "threshold"], name="applybywarning_once_per_threshold"
            ),
            models.CheckConstraint(
                name="applybywarning_threshold_valid",
                condition=Q(threshold__in=ApplyByThreshold.values),
            ),
        ]

    def __str__(self):
        return f"{self.get_threshold_display()}: {self.claim.reference}"


def month_start(day):
    return dt.date(day.year, day.month, 1)


# The webhook outbox and its deliveries (billing.webhooks) live in a module of their own.
from billing.models_webhooks import *  # noqa: E402, F403
