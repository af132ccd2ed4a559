"""The review queue and its filters, one definition for the page (`/claims/review/`) and the API
(`GET /api/v1/review-queue/`). Strict: a value that does not parse or names nothing is an error
(the page shows it, the API answers 400), never silently dropped (which would show an
unfiltered queue)."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import F, Prefetch
from django.urls import reverse_lazy

from claims.models import Claim, ClaimLine, ClaimState
from portal.models import Organisation
from sla.models import Policy

# The queue (waiting for a reviewer) and the claims waiting for the claimant's answer.
REVIEW_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.UNDER_REVIEW,
    ClaimState.INFO_REQUESTED,
    ClaimState.AWAITING_SECOND,
)


def review_queue():
    """Every claim staff may filter the queue by, what is due first at the top (a claim with no
    due date yet last). Without a state chosen, ReviewQueueFilter narrows it to the claims
    waiting for a reviewer; those waiting for the claimant's answer need state=info_requested.
    """
    lines = ClaimLine.objects.select_related(
        "subscription__service", "subscription__policy", "subscription__organisation"
    ).order_by("pk")
    return (
        Claim.objects.filter(state__in=REVIEW_STATES)
        .select_related("account__reseller", "policy_version__policy", "filed_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by(F("decision_due_at").asc(nulls_last=True), "submitted_at", "pk")
    )


def typeahead_attrs(target, *, kind="reseller"):
    """A name input that suggests organisations as one types (static/portal/typeahead.js asks
    `/organisations/search/` and keeps the chosen one's id in the hidden input `target`)."""
    return {
        "list": f"{target}-choices",
        "autocomplete": "off",
        "placeholder": "Type 2 letters of a name",
        "data-typeahead": reverse_lazy("organisation-search"),
        "data-typeahead-kind": kind,
        "data-typeahead-target": f"id_{target}",
    }


def _unknown(what):
    return {"invalid_choice": f"Unknown {what}: choose one from the list."}


class ReviewQueueFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="State",
        choices=[(state.value, state.label) for state in REVIEW_STATES],
        empty_label="Waiting for a reviewer",
        error_messages=_unknown("state"),
    )
    policy = django_filters.ModelChoiceFilter(
        label="Agreement",
        field_name="policy_version__policy",
        to_field_name="slug",
        queryset=Policy.objects.all(),
        empty_label="Any",
        error_messages=_unknown("agreement"),
    )
    # An organisation is named by id (the API, and the page once the typeahead chose one) or
    # searched by name (the page without JavaScript): never a list of every organisation.
    reseller = django_filters.ModelChoiceFilter(
        label="Reseller",
        field_name="account__reseller",
        queryset=Organisation.objects.filter(kind=Organisation.Kind.RESELLER),
        widget=forms.HiddenInput,
        error_messages=_unknown("reseller"),
    )
    reseller_name = django_filters.CharFilter(
        label="Reseller",
        field_name="account__reseller__name",
        lookup_expr="icontains",
        max_length=200,
        widget=forms.TextInput(attrs=typeahead_attrs("reseller")),
    )
    account = django_filters.ModelChoiceFilter(
        label="Account",
        queryset=Organisation.objects.customers(),
        widget=forms.HiddenInput,
        error_messages=_unknown("account"),
    )
    account_name = django_filters.CharFilter(
        label="Account",
        field_name="account__name",
        lookup_expr="icontains",
        max_length=200,
        widget=forms.TextInput(attrs=typeahead_attrs("account", kind="customer")),
    )
    due_before = django_filters.DateFilter(
        label="Decision due before (UTC date)",
        method="filter_due_before",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date like 2026-03-25."},
    )

    class Meta:
        model = Claim
        fields = [
            "state",
            "policy",
            "reseller",
            "reseller_name",
            "account",
            "account_name",
            "due_before",
        ]

    def filter_due_before(self, queryset, name, value):
        return queryset.due_before(dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC))

    def filter_queryset(self, queryset):
        # Without a state chosen the queue is what waits for a reviewer.
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.awaiting_review()
        return super().filter_queryset(queryset)
