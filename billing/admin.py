"""Billing in the admin site. The credit ledger is read-only (PostgreSQL refuses UPDATE and
DELETE on it anyway); invoice numbers, statuses and payments change only through
billing.services, so the admin shows those fields and records payments with
`record_payment`, which also marks a settled invoice paid."""

from django.contrib import admin

from billing import services
from billing.models import BillingAccount, CreditEntry, Invoice, InvoiceLine, Payment


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ["organisation", "anchor_day", "tax_rate", "payment_terms_days"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name"]
    autocomplete_fields = ["organisation"]

    @admin.display(description="Cycle starts on day", ordering="organisation__billing_anchor_day")
    def anchor_day(self, obj):
        # Kept on the organisation (claims count apply-by dates in its cycles): edit it there.
        return obj.organisation.billing_anchor_day

    def get_readonly_fields(self, request, obj=None):
        # The payer is fixed once invoices or ledger entries name the account.
        return ["organisation"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["subscription", "description", "amount", "tax"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Lines are made by draft_invoice, with their tax; credit entries point at them.
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["received_at", "amount", "reference"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "billing_account", "cycle_start", "status", "due_on"]
    list_filter = ["status"]
    search_fields = ["number", "billing_account__organisation__name"]
    date_hierarchy = "cycle_start"
    fields = [
        "billing_account",
        "number",
        "cycle_start",
        "cycle_end",
        "status",
        "issued_at",
        "due_on",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [InvoiceLineInline, PaymentInline]

    def has_add_permission(self, request):
        # Invoices are drafted and issued by the billing run (billing.services).
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "amount", "received_at", "reference"]
    search_fields = ["reference", "invoice__number", "invoice__billing_account__organisation__name"]
    autocomplete_fields = ["invoice"]
    date_hierarchy = "received_at"

    def get_readonly_fields(self, request, obj=None):
        # A recorded payment is not edited: a mistake is corrected with the bank, then here.
        return ["invoice", "amount", "received_at", "reference"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        # Through the service, which settles the invoice's status and the account's standing.
        services.record_payment(
            obj.invoice, obj.amount, now=obj.received_at, reference=obj.reference
        )
        # The admin's messages and log name the row just written (the invoice's newest).
        obj.pk = obj.invoice.payments.order_by("-pk").values_list("pk", flat=True).first()


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    """The append-only ledger, to read and search."""

    list_display = [
        "pk",
        "at",
        "kind",
        "amount",
        "claim",
        "account",
        "billing_account",
        "service_month",
        "invoice",
    ]
    list_filter = ["kind", "service_month"]
    search_fields = ["key", "reason", "account__name", "billing_account__organisation__name"]
    date_hierarchy = "at"
    list_select_related = [
        "claim__account",
        "account",
        "billing_account__organisation",
        "invoice__billing_account__organisation",
    ]
    ordering = ["-at", "-pk"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
