"""The home page of each role (the subscriptions, incidents and policies it works with), and the
credit estimator: anyone logged in can price an outage before filing a claim."""

import zoneinfo

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from portal.keyset import Key, PageError, paginate
from portal.models import Organisation, Role
from sla.forms import EstimateForm, IntervalFormSet
from sla.models import Incident, Maintenance, Policy, Subscription
from sla.quotes import quote_subscription

HOME_TEMPLATES = {
    Role.CUSTOMER_MEMBER: "sla/home_customer.html",
    Role.RESELLER_AGENT: "sla/home_reseller.html",
    Role.REVIEWER: "sla/home_reviewer.html",
    Role.BILLING: "sla/home_billing.html",
    Role.ADMIN: "sla/home_admin.html",
}


def _accounts_with_subscriptions(user):
    subscriptions = Subscription.objects.select_related("service", "policy")
    return (
        Organisation.objects.visible_to(user)
        .customers()
        .select_related("reseller")
        .prefetch_related(Prefetch("subscriptions", queryset=subscriptions))
    )


# Accounts a home page lists at a time, by name (a reseller may have hundreds).
HOME_ACCOUNTS = 20
ACCOUNT_ORDER = (Key("name"), Key("pk"))
# Subscriptions the estimator offers at a time; more are found by searching.
SUBSCRIPTION_CHOICES = 20
SUBSCRIPTION_MIN_SEARCH = 2


@login_required
def home(request):
    user = request.user
    role = user.primary_role()
    context = {"role": role}
    try:
        if role in (Role.CUSTOMER_MEMBER, Role.RESELLER_AGENT):
            context["page"] = paginate(
                _accounts_with_subscriptions(user),
                request.GET,
                ACCOUNT_ORDER,
                default_size=HOME_ACCOUNTS,
            )
            context["resellers"] = Organisation.objects.visible_to(user).filter(
                kind=Organisation.Kind.RESELLER
            )
        elif role == Role.BILLING:
            accounts = (
                Organisation.objects.customers()
                .select_related("reseller")
                .annotate(mrc=Sum("subscriptions__monthly_fee"), services=Count("subscriptions"))
            )
            context["page"] = paginate(
                accounts, request.GET, ACCOUNT_ORDER, default_size=HOME_ACCOUNTS
            )
    except PageError as refusal:
        context["page_error"] = str(refusal)
        return render(request, HOME_TEMPLATES[role], context, status=400)
    if role == Role.REVIEWER:
        context["incidents"] = Incident.objects.select_related("service")[:10]
        context["maintenance"] = Maintenance.objects.select_related("service")[:10]
        context["policies"] = Policy.objects.prefetch_related("versions")
    elif role == Role.ADMIN:
        context["counts"] = {
            kind.label: Organisation.objects.filter(kind=kind).count() for kind in Organisation.Kind
        }
    template = HOME_TEMPLATES.get(role, "sla/home_none.html")
    return render(request, template, context)


def _chosen_timezone(data, user):
    try:
        return zoneinfo.ZoneInfo(data.get("timezone") or user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _subscription_label(subscription):
    return (
        f"{subscription.organisation} - {subscription.service} "
        f"({subscription.policy.name}, {subscription.monthly_fee} {subscription.currency})"
    )


def _subscriptions_named(subscriptions, query):
    query = query.replace("\x00", "").strip()[:200]
    if not query:
        return subscriptions
    return subscriptions.filter(
        Q(organisation__name__icontains=query) | Q(service__name__icontains=query)
    )


def _offer_subscriptions(form, query):
    """The estimator's subscription menu lists at most SUBSCRIPTION_CHOICES (those named like
    `query`, and the one chosen); staff see every subscription, so the rest are found by
    searching. Validation still accepts any subscription the asker may see."""
    field = form.fields["subscription"]
    offered = _subscriptions_named(field.queryset, query).order_by(
        "organisation__name", "service__name", "pk"
    )
    shown = list(offered[: SUBSCRIPTION_CHOICES + 1])
    more, shown = len(shown) > SUBSCRIPTION_CHOICES, shown[:SUBSCRIPTION_CHOICES]
    chosen = str(form["subscription"].value() or "")
    if chosen.isdigit() and chosen not in {str(s.pk) for s in shown}:
        shown[:0] = field.queryset.filter(pk=int(chosen))
    field.widget.choices = [("", field.empty_label)] + [
        (s.pk, _subscription_label(s)) for s in shown
    ]
    return more


@login_required
def subscription_search(request):
    """Subscriptions for the estimator's typeahead: those the asker may see whose account or
    service name contains `q` (two letters at least), at most SUBSCRIPTION_CHOICES."""
    query = request.GET.get("q", "").strip()
    if len(query) < SUBSCRIPTION_MIN_SEARCH:
        return JsonResponse({"results": []})
    found = _subscriptions_named(
        Subscription.objects.visible_to(request.user).select_related(
            "organisation", "service", "policy"
        ),
        query,
    ).order_by("organisation__name", "service__name", "pk")[:SUBSCRIPTION_CHOICES]
    results = []
    for subscription in found:
        label = _subscription_label(subscription)
        results.append({"id": subscription.pk, "name": label, "label": label})
    return JsonResponse({"results": results})


@login_required
def estimate(request):
    user = request.user
    data = request.POST if request.method == "POST" else None
    tz = _chosen_timezone(data or {}, user)
    form = EstimateForm(data, user=user)
    query = request.GET.get("subscription_q", "")
    more_subscriptions = _offer_subscriptions(form, query)
    with timezone.override(tz):
        formset = IntervalFormSet(data, prefix="interval")
        valid = data is not None and form.is_valid() and formset.is_valid()
    result = None
    interval_errors = []
    if valid:
        intervals = [
            (row["start"], row["end"], row.get("exception"))
            for row in formset.cleaned_data
            if row.get("start") is not None
        ]
        if not intervals:
            interval_errors.append("Enter at least one outage: its start and end.")
        else:
            subscription = form.cleaned_data["subscription"]
            quote, maintenance = quote_subscription(subscription, intervals)
            result = {
                "quote": quote,
                "subscription": subscription,
                "maintenance": maintenance,
                "policy_tz": subscription.policy.timezone,
            }
    context = {
        "form": form,
        "formset": formset,
        "result": result,
        "interval_errors": interval_errors,
        "tz": tz,
        "subscription_q": query,
        "more_subscriptions": more_subscriptions,
    }
    template = "sla/_estimate_result.html" if request.htmx else "sla/estimate.html"
    return render(request, template, context)
