"""Billing pages: an account's credits and invoices (and an invoice as a PDF) for customers and
reseller agents; the whole ledger and the month-end run for billing staff.

Rows are read through `CreditEntry.objects.visible_to(user)` and
`Invoice.objects.visible_to(user)`: another account's invoice is a 404. Staff pages answer 404 to
everyone without the billing or admin role, so they do not reveal that the pages exist.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods
from kombu.exceptions import OperationalError as KombuOperationalError

from billing import pdf
from billing.models import (
    CENT,
    ZERO,
    CreditEntry,
    CreditKind,
    GrantOutcome,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from billing.services import SPENDING, claims_awaiting_grant
from billing.tasks import run_billing
from claims.filters import typeahead_attrs
from portal.keyset import Key, PageError, paginate
from portal.models import Organisation, Role

logger = logging.getLogger(__name__)

RUN_STARTED = "Month-end billing run started at {at:%Y-%m-%d %H:%M:%S} UTC."
RUN_NOT_QUEUED = (
    "The task queue cannot be reached, so the run did not start. The scheduled run will do the "
    "same work when the queue is back."
)
BAD_CLAIM_REFERENCE = "Enter a claim reference like C-000012."
# How many approvals not granted in full the run page lists.
CUT_SHOWN = 20
# The session key under which the run page remembers when this person started a run.
RUN_STARTED_KEY = "billing_run_started_at"

MONEY = DecimalField(max_digits=14, decimal_places=2)


# --- who is asking --------------------------------------------------------------------------


def _billing_staff_only(user):
    """The ledger and the run do not exist for anyone but billing staff and administrators."""
    if not user.has_role(Role.BILLING, Role.ADMIN):
        raise Http404("No such page.")


# --- credits ----------------------------------------------------------------------------------


# Newest first, by when the ledger wrote the entry.
LEDGER_ORDER = (Key("at", descending=True), Key("pk", descending=True))
BALANCES = ("applied", "paid_out", "reversed", "spent")


def _movement_sums():
    """Sum(...) per kind of movement, for an aggregate over ledger entries."""
    return {
        "applied": Sum("amount", filter=Q(kind=CreditKind.APPLIED)),
        "paid_out": Sum("amount", filter=Q(kind=CreditKind.PAID_OUT)),
        "reversed": Sum("amount", filter=Q(kind=CreditKind.REVERSED)),
        "spent": Sum("amount", filter=Q(kind__in=SPENDING)),
    }


def _last_carried():
    """A CARRIED entry no later CARRIED entry of its grant follows: the remainder last carried
    forward (a CARRIED entry records a wait; it spends nothing)."""
    later = CreditEntry.objects.filter(grant=OuterRef("grant"), kind=CreditKind.CARRIED).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    return Q(kind=CreditKind.CARRIED) & ~Exists(later)


def _cents(value):
    # SQLite sums decimals as floats: state every figure in cents, whatever the database.
    return Decimal(value or 0).quantize(CENT)


def _credit_totals(entries):
    """Granted, applied, carried, paid out, reversed and open over every visible grant
    (movements carry their grant's account): one aggregate over the visible ledger, and one
    over its last carried entries. Kept apart, each is a plain scan or hash anti-join; the
    anti-join inside the first aggregate's FILTER is a subplan per row, whose cost estimate
    made PostgreSQL's JIT spend 0.4 s compiling a 15 ms query."""
    sums = entries.aggregate(
        granted=Sum("amount", filter=Q(kind=CreditKind.GRANTED)), **_movement_sums()
    )
    sums["carried"] = entries.filter(_last_carried()).aggregate(total=Sum("amount"))["total"]
    totals = {name: _cents(value) for name, value in sums.items()}
    totals["amount"] = totals.pop("granted")
    totals["open"] = totals["amount"] - totals.pop("spent")
    return totals


def _with_balances(grants):
    """Each grant of a page with what was applied, paid out, reversed, carried and is still
    open: one grouped query over the page's movements, one for their last carried entries."""
    ids = [grant.pk for grant in grants]
    sums = {
        row["grant"]: row
        for row in CreditEntry.objects.filter(grant__in=ids)
        .order_by()
        .values("grant")
        .annotate(**_movement_sums())
    }
    carried = dict(
        CreditEntry.objects.filter(grant__in=ids)
        .filter(_last_carried())
        .values_list("grant", "amount")
    )
    for grant in grants:
        row = sums.get(grant.pk, {})
        for name in BALANCES:
            setattr(grant, name, _cents(row.get(name)))
        grant.carried = _cents(carried.get(grant.pk))
        grant.open = grant.amount - grant.spent
    return grants


@login_required
def credit_list(request):
    visible = CreditEntry.objects.visible_to(request.user)
    if request.GET.get("account"):
        # One end customer's credits (a reseller's own, or any for staff); another's is a 400.
        try:
            visible = visible.for_end_customer(request.user, request.GET["account"])
        except ValidationError as refusal:
            context = {"filter_error": refusal.messages[0], "page": None}
            return render(request, "billing/credits.html", context, status=400)
    applications = CreditEntry.objects.filter(kind=CreditKind.APPLIED).select_related(
        "invoice__billing_account__organisation"
    )
    grants = (
        visible.filter(kind=CreditKind.GRANTED)
        .select_related("claim", "account", "subscription__service")
        .prefetch_related(
            Prefetch(
                "movements", queryset=applications.order_by("at", "pk"), to_attr="applications"
            )
        )
    )
    try:
        page = paginate(grants, request.GET, LEDGER_ORDER)
    except PageError as refusal:
        return render(
            request, "billing/credits.html", {"page_error": str(refusal), "page": None}, status=400
        )
    _with_balances(page.rows)
    # An end customer's credit is applied to its reseller's invoice, which it may not open.
    named = {entry.invoice_id for grant in page for entry in grant.applications}
    openable = set(
        Invoice.objects.visible_to(request.user).filter(pk__in=named).values_list("pk", flat=True)
    )
    return render(
        request,
        "billing/credits.html",
        {"page": page, "totals": _credit_totals(visible), "openable": openable},
    )


# --- invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    line: object
    credits: list  # the APPLIED ledger entries on this line
    credit: Decimal
    net: Decimal  # fee + tax (on the fee before credit) - credit


@dataclass(frozen=True)
class Statement:
    """An invoice as its page and its PDF show it."""

    invoice: Invoice
    lines: list
    totals: dict
    applied: list  # the credit note: every APPLIED entry, each naming its claim
    carried: list  # credit that did not fit this invoice, carried to the next
    payments: list

    @property
    def last_day(self):
        return self.invoice.cycle_end - dt.timedelta(days=1)

    @property
    def tax_percent(self):
        return (self.invoice.billing_account.tax_rate * 100).normalize()


def _visible_invoice(request, pk):
    return get_object_or_404(
        Invoice.objects.visible_to(request.user).select_related("billing_account__organisation"),
        pk=pk,
    )


def statement_of(invoice):
    entries = list(
        invoice.credit_entries.filter(kind__in=[CreditKind.APPLIED, CreditKind.CARRIED])
        .select_related("claim", "account", "subscription__service", "invoice_line")
        .order_by("at", "pk")
    )
    applied = [entry for entry in entries if entry.kind == CreditKind.APPLIED]
    lines = []
    for line in invoice.lines.select_related("subscription__service", "subscription__organisation"):
        credits = [entry for entry in applied if entry.invoice_line_id == line.pk]
        credit = sum((entry.amount for entry in credits), ZERO)
        lines.append(StatementLine(line, credits, credit, line.amount + line.tax - credit))
    return Statement(
        invoice=invoice,
        lines=lines,
        totals=invoice.totals(),
        applied=applied,
        carried=[entry for entry in entries if entry.kind == CreditKind.CARRIED],
        payments=list(invoice.payments.order_by("received_at", "pk")),
    )


INVOICE_ORDER = (Key("cycle_start", descending=True), Key("pk", descending=True))


def _summed(queryset, column):
    """The sum of `column` over `queryset` (rows of one invoice), as a subquery on the invoice."""
    total = queryset.order_by().values("invoice").annotate(total=Sum(column)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO, output_field=MONEY))


def _invoice_totals(invoice):
    """Invoice.totals() from the annotations of `with_totals`, without a query."""
    total = _cents(invoice.fees_sum) + _cents(invoice.tax_sum) - _cents(invoice.credits_sum)
    return {
        "fees": _cents(invoice.fees_sum),
        "tax": _cents(invoice.tax_sum),
        "credits": _cents(invoice.credits_sum),
        "total": total,
        "paid": _cents(invoice.paid_sum),
        "balance": total - _cents(invoice.paid_sum),
    }


@login_required
def invoice_list(request):
    lines = InvoiceLine.objects.filter(invoice=OuterRef("pk"))
    # Per invoice of the page only: the subqueries run for the rows the LIMIT keeps.
    invoices = (
        Invoice.objects.visible_to(request.user)
        .select_related("billing_account__organisation")
        .annotate(
            fees_sum=_summed(lines, "amount"),
            tax_sum=_summed(lines, "tax"),
            credits_sum=_summed(
                CreditEntry.objects.filter(invoice=OuterRef("pk"), kind=CreditKind.APPLIED),
                "amount",
            ),
            paid_sum=_summed(Payment.objects.filter(invoice=OuterRef("pk")), "amount"),
        )
    )
    try:
        page, error = paginate(invoices, request.GET, INVOICE_ORDER), None
    except PageError as refusal:
        page, error = None, str(refusal)
    rows = [(invoice, _invoice_totals(invoice)) for invoice in page] if page else []
    return render(
        request,
        "billing/invoice_list.html",
        {"page": page, "rows": rows, "page_error": error},
        status=400 if error else 200,
    )


@login_required
def invoice_detail(request, pk):
    invoice = _visible_invoice(request, pk)
    return render(request, "billing/invoice_detail.html", {"statement": statement_of(invoice)})


@login_required
def invoice_pdf(request, pk):
    invoice = _visible_invoice(request, pk)
    response = HttpResponse(pdf.invoice_pdf(statement_of(invoice)), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=pdf.file_name(invoice)
    )
    return response


# --- the ledger (billing staff) ---------------------------------------------------------------


class ClaimReferenceField(forms.CharField):
    """A claim reference as people write it (C-000012, c-12, 12), cleaned to the claim's id."""

    def to_python(self, value):
        value = super().to_python(value).strip().upper().removeprefix("C-")
        if not value:
            return None
        if not value.isdigit():
            raise ValidationError(BAD_CLAIM_REFERENCE, code="invalid")
        return int(value)


class ClaimReferenceFilter(django_filters.NumberFilter):
    field_class = ClaimReferenceField


class LedgerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label="Kind",
        choices=CreditKind.choices,
        empty_label="Any",
        error_messages={"invalid_choice": "Unknown kind: choose one from the list."},
    )
    # Named by id once the typeahead chose one, or searched by name (without JavaScript).
    account = django_filters.ModelChoiceFilter(
        label="Account",
        queryset=Organisation.objects.exclude(kind=Organisation.Kind.PROVIDER),
        method="filter_account",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Unknown account: choose one from the list."},
    )
    account_name = django_filters.CharFilter(
        label="Account",
        method="filter_account_name",
        max_length=200,
        widget=forms.TextInput(attrs=typeahead_attrs("account", kind="")),
    )
    claim = ClaimReferenceFilter(label="Claim reference", field_name="claim")

    class Meta:
        model = CreditEntry
        fields = ["kind", "account", "account_name", "claim"]

    def filter_account(self, queryset, name, value):
        # A reseller's entries are its end customers' credits on its billing account.
        return queryset.filter(Q(account=value) | Q(billing_account__organisation=value))

    def filter_account_name(self, queryset, name, value):
        return queryset.filter(
            Q(account__name__icontains=value)
            | Q(billing_account__organisation__name__icontains=value)
        )


@login_required
def ledger(request):
    _billing_staff_only(request.user)
    entries = CreditEntry.objects.select_related(
        "claim",
        "account",
        "billing_account__organisation",
        "subscription__service",
        "invoice",
        "actor",
    )
    filterset = LedgerFilter(request.GET, queryset=entries)
    page, error = None, None
    if filterset.is_valid():
        try:
            page = paginate(filterset.qs, request.GET, LEDGER_ORDER)
        except PageError as refusal:
            error = str(refusal)
    return render(
        request,
        "billing/ledger.html",
        {"filter": filterset, "page": page, "page_error": error},
        status=200 if page is not None else 400,
    )


# --- the month-end run (billing staff) --------------------------------------------------------


def _progress(started_at):
    """What the run has done so far, read from the data itself."""
    by_status = dict(Invoice.objects.order_by().values_list("status").annotate(n=Count("pk")))
    ledger = CreditEntry.objects.aggregate(
        grants=Count("pk", filter=Q(kind=CreditKind.GRANTED)),
        granted=Sum("amount", filter=Q(kind=CreditKind.GRANTED)),
        spent=Sum("amount", filter=Q(kind__in=SPENDING)),
        applied=Sum("amount", filter=Q(kind=CreditKind.APPLIED)),
        last_entry_at=Max("at"),
    )
    progress = {
        "invoices": [
            (status.label, status.value, by_status.get(status.value, 0)) for status in InvoiceStatus
        ],
        "grants": ledger["grants"],
        "open_credit": (ledger["granted"] or ZERO) - (ledger["spent"] or ZERO),
        "applied_credit": ledger["applied"] or ZERO,
        "awaiting_grant": claims_awaiting_grant().count(),
        "last_entry_at": ledger["last_entry_at"],
        "started_at": started_at,
    }
    if started_at is not None:
        progress["since"] = {
            "entries": CreditEntry.objects.filter(at__gte=started_at).count(),
            "drafted": Invoice.objects.filter(created_at__gte=started_at).count(),
            "issued": Invoice.objects.filter(issued_at__gte=started_at).count(),
        }
    return progress


def _started_at(request):
    value = request.session.get(RUN_STARTED_KEY)
    return parse_datetime(value) if value else None


@login_required
@require_http_methods(["GET", "POST"])
def run(request):
    _billing_staff_only(request.user)
    if request.method == "POST":
        now = timezone.now()
        try:
            # The run reads committed data only; enqueued after this request's writes commit.
            transaction.on_commit(run_billing.delay)
        except KombuOperationalError:
            logger.warning("could not enqueue the billing run for %s", request.user.email)
            flash.error(request, RUN_NOT_QUEUED)
            return redirect("billing:run")
        request.session[RUN_STARTED_KEY] = now.isoformat()
        logger.info("month-end billing run requested by %s at %s", request.user.email, now)
        flash.success(request, RUN_STARTED.format(at=now))
        return redirect("billing:run")
    # Approvals the ledger did not grant in full, newest first: for staff to look at.
    cut = (
        GrantOutcome.objects.filter(cut_by_caps__gt=0)
        .select_related("claim__account", "decision")
        .order_by("-at", "-pk")[:CUT_SHOWN]
    )
    return render(
        request,
        "billing/run.html",
        {"progress": _progress(_started_at(request)), "cut": cut, "cut_shown": CUT_SHOWN},
    )


@login_required
@require_GET
def run_progress(request):
    """The run page's progress panel, polled by htmx."""
    _billing_staff_only(request.user)
    return render(
        request, "billing/_run_progress.html", {"progress": _progress(_started_at(request))}
    )
