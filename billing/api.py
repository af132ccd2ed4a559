"""`/api/v1/credits/` (the ledger, one row per grant) and `/api/v1/invoices/` (with the PDF),
scoped to the asker as the pages are (a customer its own, a reseller agent its end customers',
staff all), cursor-paginated, filtered by end customer (`account`) and `state`."""

import django_filters
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination

from billing import pdf
from billing.models import (
    ZERO,
    CreditEntry,
    CreditKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from billing.serializers import CreditSerializer, CreditState, InvoiceSerializer
from billing.views import statement_of
from portal import api
from portal.models import Organisation

MONEY = DecimalField(max_digits=12, decimal_places=2)


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50


def _moved(kind):
    return Coalesce(Sum("movements__amount", filter=Q(movements__kind=kind)), Value(ZERO))


def credits_visible_to(user):
    """Grants of the accounts `user` sees, each with what has moved since."""
    return (
        CreditEntry.objects.visible_to(user)
        .filter(kind=CreditKind.GRANTED)
        .select_related("claim", "account", "subscription__service")
        .annotate(
            applied=_moved(CreditKind.APPLIED),
            paid_out=_moved(CreditKind.PAID_OUT),
            reversed=_moved(CreditKind.REVERSED),
            carried=_moved(CreditKind.CARRIED),
        )
        .annotate(
            net=Coalesce("amount", Value(ZERO)) - Coalesce("reversed", Value(ZERO)),
        )
    )


class _VisibleAccountFilter(django_filters.ModelChoiceFilter):
    """An account (end customer) the asker sees: another's id is a 400 like any bad value."""

    def get_queryset(self, request):
        return Organisation.objects.visible_to(request.user)


class CreditFilter(django_filters.FilterSet):
    account = _VisibleAccountFilter(field_name="account", help_text="An end customer's id.")
    state = django_filters.ChoiceFilter(
        choices=[(state, state) for state in CreditState.CHOICES], method="filter_state"
    )

    class Meta:
        model = CreditEntry
        fields = ["account", "state"]

    def filter_state(self, queryset, name, value):
        spent = "applied", "paid_out", "reversed"
        open_ = Q(amount__gt=sum_of(spent))
        if value == CreditState.OPEN:
            return queryset.filter(open_, carried=0)
        if value == CreditState.CARRIED:
            return queryset.filter(open_, carried__gt=0)
        done = queryset.exclude(open_)
        if value == CreditState.PAID_OUT:
            return done.filter(paid_out__gt=0)
        if value == CreditState.APPLIED:
            return done.filter(paid_out=0, applied__gt=0)
        return done.filter(paid_out=0, applied=0)


def sum_of(names):
    total = F(names[0])
    for name in names[1:]:
        total = total + F(name)
    return total


@extend_schema_view(
    list=extend_schema(
        responses={200: CreditSerializer(many=True), **api.error_responses(400, 401, 404)}
    ),
    retrieve=extend_schema(responses={200: CreditSerializer, **api.error_responses(401, 404)}),
)
class CreditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The credit ledger grouped per grant: claim, account, subscription, month, granted (net of
    reversals), applied, paid out, open, and its state."""

    serializer_class = CreditSerializer
    filterset_class = CreditFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        queryset = credits_visible_to(self.request.user)
        return queryset.annotate(
            open=Coalesce("amount", Value(ZERO)) - sum_of(("applied", "paid_out", "reversed"))
        )


def _sum(model, column, **where):
    rows = (
        model.objects.filter(invoice=OuterRef("pk"), **where)
        .order_by()
        .values("invoice")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)


def invoices_visible_to(user):
    return (
        Invoice.objects.visible_to(user)
        .select_related("billing_account__organisation")
        .annotate(
            fees=_sum(InvoiceLine, "amount"),
            tax=_sum(InvoiceLine, "tax"),
            credits=_sum(CreditEntry, "amount", kind=CreditKind.APPLIED),
            paid=_sum(Payment, "amount"),
        )
        .annotate(total=F("fees") + F("tax") - F("credits"))
        .annotate(balance=F("total") - F("paid"))
    )


class InvoiceFilter(django_filters.FilterSet):
    account = _VisibleAccountFilter(
        method="filter_account", help_text="An end customer's id: invoices with its fees on."
    )
    state = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, field_name="status")

    class Meta:
        model = Invoice
        fields = ["account", "state"]

    def filter_account(self, queryset, name, value):
        return queryset.filter(lines__subscription__organisation=value).distinct()


@extend_schema_view(
    list=extend_schema(
        responses={200: InvoiceSerializer(many=True), **api.error_responses(400, 401, 404)}
    ),
    retrieve=extend_schema(responses={200: InvoiceSerializer, **api.error_responses(401, 404)}),
)
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invoices of the parties the asker sees, with their totals (tax on the fees before
    credit) and the PDF with its credit note."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        return invoices_visible_to(self.request.user)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF"),
            **api.error_responses(401, 404),
        }
    )
    @action(detail=True, methods=["get"], url_path="pdf", filterset_class=None)
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        response = HttpResponse(
            pdf.invoice_pdf(statement_of(invoice)), content_type="application/pdf"
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=pdf.file_name(invoice)
        )
        return response
