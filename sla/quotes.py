"""Quotes against the policies kept in the database: the one place that joins the pure engine
to `Policy` rows, used by the quote_credit command, the API and the estimator page."""

import datetime as dt
from decimal import Decimal

from django.db import DatabaseError
from django.db.models import Sum

from sla import engine
from sla.models import Maintenance, Policy, Subscription


class PolicySource:
    """Policy slug -> the engine's `terms_for` (versions by instant), loaded once per slug.

    If the database cannot be read at all (not migrated yet, unreachable), quotes fall back to
    the policies exactly as shipped, so the contract's command still answers.
    """

    def __init__(self):
        self._resolvers = {}
        try:
            policies = Policy.objects.filter(versions__isnull=False).distinct()
            self._policies = {policy.slug: policy for policy in policies}
        except DatabaseError:
            self._policies = None

    def slugs(self):
        if self._policies is None:
            return set(engine.SHIPPED_POLICIES)
        return set(self._policies)

    def terms_for(self, slug):
        if slug not in self._resolvers:
            if self._policies is None:
                self._resolvers[slug] = engine.SHIPPED_POLICIES[slug]
            else:
                self._resolvers[slug] = self._policies[slug].terms_for()
        return self._resolvers[slug]


def quote_payload(text, *, breakdown=False, max_quotes=None, max_intervals=None):
    """Parse contract JSON (one object or a list), quote each, render in order.

    Raises engine.QuoteInputError naming the field for bad input (engine.QuoteTooLarge beyond
    `max_quotes` / `max_intervals`, which only the API sets).
    """
    source = PolicySource()
    parsed = engine.parse_payload(
        text, known_policies=source.slugs(), max_quotes=max_quotes, max_intervals=max_intervals
    )

    def run(request):
        quote = engine.quote(source.terms_for(request.policy), request)
        return engine.render(quote, breakdown=breakdown)

    if isinstance(parsed, list):
        return [run(request) for request in parsed]
    return run(parsed)


# Maintenance anywhere in a month touched counts towards its availability (SLA_RULES.md,
# common arithmetic 6): records this far either side of a period are read.
MAINTENANCE_MARGIN = dt.timedelta(days=32)


def maintenance_around(subscription, start, end):
    """The provider's maintenance records for a subscription's service and account, in the
    months around [start, end)."""
    return list(
        Maintenance.objects.filter(service=subscription.service)
        .affecting(subscription.organisation)
        .overlapping(start - MAINTENANCE_MARGIN, end + MAINTENANCE_MARGIN)
        .order_by("starts_at")
    )


def _nothing_credited(subscriptions, start, end, *, exclude_claim=None):
    return {subscription.pk: Decimal("0") for subscription in subscriptions}


def _each_by_one(requests):
    return [
        _credited(subs, start, end, exclude_claim=claim) for subs, start, end, claim in requests
    ]


# What was already granted against each subscription's cap: sla has no ledger, so the credit
# status provider (claims.status.register, which billing fills in) installs the ledger's reader.
_credited = _nothing_credited
_credited_each = _each_by_one


def register_credited(reader, each=None):
    """`reader(subscriptions, start, end, *, exclude_claim=None)` -> {subscription id: Decimal};
    `each(requests)`, for [(subscriptions, start, end, exclude_claim)], the same for many at
    once in constant queries (a page of claims), in order."""
    global _credited, _credited_each  # noqa: PLW0603 -- one reader, installed at start-up
    _credited = reader
    _credited_each = each or _each_by_one


def credited_each(requests):
    """What the ledger already granted against the caps, for many quotes at once (see
    register_credited): a list of {subscription id: Decimal}, in the order of `requests`."""
    return _credited_each(list(requests))


def active_fees(organisation, at):
    """The sum of an account's monthly fees in force at `at`, as a one-value queryset
    (`organisation` and `at` may be OuterRef): OnePointSync caps an account's month at its
    recurring charge, and the active fees stand in for what was paid until invoices record
    payments."""
    return (
        Subscription.objects.filter(organisation=organisation)
        .active_at(at)
        .values("organisation")
        .annotate(total=Sum("monthly_fee"))
        .values("total")
    )


class QuoteInputs:
    """What quoting many subscriptions' periods reads from the database (maintenance around
    them, each account's recurring charge), read in three queries for all of them: a list page
    of estimates costs the same whatever its length. Answers as maintenance_around and the
    account's active fees would, one subscription at a time."""

    def __init__(self, maintenance, affected, fees):
        self._maintenance = maintenance
        self._affected = affected  # maintenance id -> organisation ids it names
        self._fees = fees  # organisation id -> [(starts_at, ends_at, monthly_fee)]

    @classmethod
    def read(cls, subscriptions, periods):
        if not subscriptions or not periods:
            return cls([], {}, {})
        services = {subscription.service_id for subscription in subscriptions}
        organisations = {subscription.organisation_id for subscription in subscriptions}
        start = min(period[0] for period in periods) - MAINTENANCE_MARGIN
        end = max(period[1] for period in periods) + MAINTENANCE_MARGIN
        maintenance = list(
            Maintenance.objects.filter(service_id__in=services)
            .overlapping(start, end)
            .order_by("starts_at", "pk")
        )
        affected = {}
        named = Maintenance.organisations.through.objects.filter(
            maintenance_id__in=[record.pk for record in maintenance if not record.affects_all],
            organisation_id__in=organisations,
        ).values_list("maintenance_id", "organisation_id")
        for record_id, organisation_id in named:
            affected.setdefault(record_id, set()).add(organisation_id)
        fees = {}
        rows = Subscription.objects.filter(organisation_id__in=organisations).values_list(
            "organisation_id", "starts_at", "ends_at", "monthly_fee"
        )
        for organisation_id, starts_at, ends_at, fee in rows:
            fees.setdefault(organisation_id, []).append((starts_at, ends_at, fee))
        return cls(maintenance, affected, fees)

    def maintenance(self, subscription, start, end):
        low, high = start - MAINTENANCE_MARGIN, end + MAINTENANCE_MARGIN
        return [
            record
            for record in self._maintenance
            if record.service_id == subscription.service_id
            and record.starts_at < high
            and record.ends_at > low
            and (
                record.affects_all
                or subscription.organisation_id in self._affected.get(record.pk, ())
            )
        ]

    def mrc(self, subscription, start):
        active = [
            fee
            for starts_at, ends_at, fee in self._fees.get(subscription.organisation_id, [])
            if starts_at <= start and (ends_at is None or ends_at > start)
        ]
        return sum(active, Decimal("0")) if active else None


def quote_subscription(
    subscription,
    intervals,
    *,
    already_credited=Decimal("0"),
    maintenance=None,
    exclude_claim=None,
    credited=None,
    inputs=None,
):
    """Quote downtime `intervals` [(start, end, exception)] on one subscription, excusing the
    provider's recorded maintenance (or the `maintenance` records given) as the policy says.
    The cap counts what the ledger already granted against it (not counting `exclude_claim`'s
    own credit) on top of `already_credited`. `credited` (what the ledger granted against its
    cap, from `credited_each`) and `inputs` (QuoteInputs: maintenance and the recurring charge)
    are what was read for a whole page, when given.

    Returns (quote, maintenance records considered).
    """
    start = min(i[0] for i in intervals)
    end = max(i[1] for i in intervals)
    if credited is None:
        credited = _credited([subscription], start, end, exclude_claim=exclude_claim).get(
            subscription.pk, Decimal("0")
        )
    already_credited += credited
    if maintenance is None:
        maintenance = (
            inputs.maintenance(subscription, start, end)
            if inputs is not None
            else maintenance_around(subscription, start, end)
        )
    if inputs is not None:
        mrc_paid = inputs.mrc(subscription, start)
    else:
        mrc_paid = next(iter(active_fees(subscription.organisation, start)), {}).get("total")
    mrc = mrc_paid or subscription.monthly_fee
    request = engine.QuoteRequest(
        policy=subscription.policy.slug,
        monthly_fee=subscription.monthly_fee,
        downtime=tuple(engine.Downtime(s, e, x or None) for s, e, x in intervals),
        maintenance=tuple(
            engine.Maintenance(m.starts_at, m.ends_at, m.notice_at) for m in maintenance
        ),
        mrc_paid=Decimal(mrc),
        already_credited=already_credited,
    )
    return engine.quote(subscription.policy.terms_for(), request), maintenance
