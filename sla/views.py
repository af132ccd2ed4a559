"""The credit estimator: anyone logged in can price an outage before filing a claim."""

import zoneinfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from sla.forms import EstimateForm, IntervalFormSet
from sla.quotes import quote_subscription


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
