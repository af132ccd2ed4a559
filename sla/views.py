"""The credit estimator: anyone logged in can price an outage before filing a claim."""

import zoneinfo
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

from sla import engine
from sla.forms import EstimateForm, IntervalFormSet
from sla.models import Maintenance, Subscription


def _chosen_timezone(data, user):
    try:
        return zoneinfo.ZoneInfo(data.get("timezone") or user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def estimate_for(subscription, intervals):
    """Quote `intervals` [(start, end, exception)] on a subscription, excusing the provider's
    recorded maintenance for that service and account. Returns (quote, maintenance rows)."""
    start = min(i[0] for i in intervals)
    end = max(i[1] for i in intervals)
    # Maintenance anywhere in the months touched counts towards availability (SLA_RULES.md 6).
    window_start, window_end = (
        start - timezone.timedelta(days=32),
        end + timezone.timedelta(days=32),
    )
    maintenance = list(
        Maintenance.objects.filter(service=subscription.service)
        .affecting(subscription.organisation)
        .overlapping(window_start, window_end)
        .order_by("starts_at")
    )
    # OnePointSync caps an account's month at its recurring charge; the account's active fees
    # stand in for what was paid until invoices exist.
    mrc = (
        (
            Subscription.objects.filter(organisation=subscription.organisation)
            .active_at(start)
            .aggregate(total=Sum("monthly_fee"))["total"]
        )
        or subscription.monthly_fee
    )
    request = engine.QuoteRequest(
        policy=subscription.policy.slug,
        monthly_fee=subscription.monthly_fee,
        downtime=tuple(engine.Downtime(s, e, x or None) for s, e, x in intervals),
        maintenance=tuple(
            engine.Maintenance(m.starts_at, m.ends_at, m.notice_at) for m in maintenance
        ),
        mrc_paid=Decimal(mrc),
        already_credited=Decimal("0"),
    )
    return engine.quote(subscription.policy.terms_for(), request), maintenance


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
            quote, maintenance = estimate_for(subscription, intervals)
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
