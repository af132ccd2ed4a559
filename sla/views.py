"""The home page of each role (the subscriptions, incidents and policies it works with), and the
credit estimator: anyone logged in can price an outage before filing a claim."""

import zoneinfo

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Sum
from django.shortcuts import render
from django.utils import timezone

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


@login_required
def home(request):
    user = request.user
    role = user.primary_role()
    context = {"role": role}
    if role in (Role.CUSTOMER_MEMBER, Role.RESELLER_AGENT):
        context["accounts"] = _accounts_with_subscriptions(user)
        context["resellers"] = Organisation.objects.visible_to(user).filter(
            kind=Organisation.Kind.RESELLER
        )
    elif role == Role.REVIEWER:
        context["incidents"] = Incident.objects.select_related("service")[:10]
        context["maintenance"] = Maintenance.objects.select_related("service")[:10]
        context["policies"] = Policy.objects.prefetch_related("versions")
    elif role == Role.BILLING:
        context["accounts"] = (
            Organisation.objects.customers()
            .select_related("reseller")
            .annotate(mrc=Sum("subscriptions__monthly_fee"), services=Count("subscriptions"))
        )
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


@login_required
def estimate(request):
    user = request.user
    data = request.POST if request.method == "POST" else None
    tz = _chosen_timezone(data or {}, user)
    form = EstimateForm(data, user=user)
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
    }
    template = "sla/_estimate_result.html" if request.htmx else "sla/estimate.html"
    return render(request, template, context)
