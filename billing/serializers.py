"""Shapes of the ledger and of invoices in the API."""

from django.urls import reverse
from rest_framework import serializers

from billing.models import CreditEntry, Invoice, InvoiceStatus


class CreditState:
    """Where one grant is: open (granted, not yet on an invoice), carried (part did not fit an
    invoice and waits for the next), applied, paid out, reversed."""

    OPEN = "granted"
    CARRIED = "carried"
    APPLIED = "applied"
    PAID_OUT = "paid_out"
    REVERSED = "reversed"
    CHOICES = [OPEN, CARRIED, APPLIED, PAID_OUT, REVERSED]


def credit_state(grant):
    """`grant` annotated by billing.api's queryset (applied, paid_out, reversed, carried)."""
    if grant.open > 0:
        return CreditState.CARRIED if grant.carried > 0 else CreditState.OPEN
    if grant.paid_out > 0:
        return CreditState.PAID_OUT
    if grant.applied > 0:
        return CreditState.APPLIED
    return CreditState.REVERSED


class CreditSerializer(serializers.ModelSerializer):
    """One grant of the ledger with what happened to it since."""

    claim = serializers.IntegerField(source="claim_id")
    claim_reference = serializers.CharField(source="claim.reference")
    account = serializers.IntegerField(source="account_id", help_text="The customer account.")
    account_name = serializers.CharField(source="account.name")
    subscription = serializers.IntegerField(source="subscription_id")
    service = serializers.CharField(source="subscription.service.slug")
    currency = serializers.CharField(source="subscription.currency")
    month = serializers.SerializerMethodField(help_text="YYYY-MM, policy time")
    granted = serializers.DecimalField(source="net", max_digits=12, decimal_places=2)
    applied = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_out = serializers.DecimalField(max_digits=12, decimal_places=2)
    reversed = serializers.DecimalField(max_digits=12, decimal_places=2)
    open = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.SerializerMethodField()
    granted_at = serializers.DateTimeField(source="at")

    class Meta:
        model = CreditEntry
        fields = [
            "id",
            "claim",
            "claim_reference",
            "account",
            "account_name",
            "subscription",
            "service",
            "currency",
            "month",
            "granted",
            "applied",
            "paid_out",
            "reversed",
            "open",
            "status",
            "granted_at",
        ]

    def get_month(self, grant) -> str:
        return f"{grant.service_month:%Y-%m}"

    def get_status(self, grant) -> str:
        return credit_state(grant)


class InvoiceSerializer(serializers.ModelSerializer):
    billed = serializers.CharField(source="billing_account.organisation.name")
    billed_id = serializers.IntegerField(source="billing_account.organisation_id")
    fees = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    credits = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "billed",
            "billed_id",
            "cycle_start",
            "cycle_end",
            "status",
            "issued_at",
            "due_on",
            "fees",
            "tax",
            "credits",
            "total",
            "paid",
            "balance",
            "pdf_url",
        ]

    def get_pdf_url(self, invoice) -> str:
        return reverse("api-invoices-pdf", args=[invoice.pk])
