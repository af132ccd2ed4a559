"""Properties that must hold for any input, checked with hypothesis."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.engine import (
    EXCEPTION_SLUGS,
    SHIPPED_POLICIES,
    Downtime,
    Maintenance,
    QuoteRequest,
    quote,
    render,
)
from sla.engine.intervals import merge, subtract

# Set per test, not as a profile, so other test modules keep their own settings.
engine_settings = settings(deadline=None, max_examples=150)

# Small integer intervals, so a brute-force set of covered seconds can check the algebra.
small_intervals = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 20)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=12,
)


def covered(intervals):
    return {second for start, end in intervals for second in range(start, end)}


@engine_settings
@given(small_intervals)
def test_merge_covers_the_same_seconds_with_separate_intervals(intervals):
    merged = merge(intervals)
    assert covered(merged) == covered(intervals)
    assert all(start < end for start, end in merged)
    # Sorted, and neither overlapping nor touching: a gap of at least one second between.
    assert all(a[1] < b[0] for a, b in zip(merged, merged[1:], strict=False))


@engine_settings
@given(small_intervals, st.randoms(use_true_random=False))
def test_merge_is_idempotent_and_order_independent(intervals, random):
    merged = merge(intervals)
    assert merge(merged) == merged
    shuffled = list(intervals)
    random.shuffle(shuffled)
    assert merge(shuffled) == merged


@engine_settings
@given(small_intervals, small_intervals)
def test_subtract_removes_exactly_the_removed_seconds(intervals, removed):
    result = subtract(merge(intervals), merge(removed))
    assert covered(result) == covered(intervals) - covered(removed)
    assert merge(result) == result


# Quotes: instants from late January to early May 2026, so months and policy-time boundaries
# are crossed; lengths from a second to three days.
BASE = datetime(2026, 1, 25, tzinfo=UTC)
SPAN = 100 * 86_400
OFFSETS = [timezone(timedelta(hours=hours)) for hours in (0, -5, -7, 9)]

instants = st.builds(
    lambda seconds, zone: (BASE + timedelta(seconds=seconds)).astimezone(zone),
    st.integers(0, SPAN),
    st.sampled_from(OFFSETS),
)
lengths = st.one_of(st.integers(1, 3_600), st.integers(1, 3 * 86_400))
tags = st.one_of(st.none(), st.none(), st.sampled_from(EXCEPTION_SLUGS))
downtimes = st.builds(
    lambda start, length, tag: Downtime(start, start + timedelta(seconds=length), tag),
    instants,
    lengths,
    tags,
)
notices = st.one_of(st.none(), st.integers(-200, 10))  # hours relative to the start
maintenances = st.builds(
    lambda start, length, notice: Maintenance(
        start,
        start + timedelta(seconds=length),
        None if notice is None else start + timedelta(hours=notice),
    ),
    instants,
    lengths,
    notices,
)
cents = st.integers(0, 500_000).map(lambda value: Decimal(value).scaleb(-2))
# Now and then an amount in fractions of a cent: the cap must still hold.
amounts = st.one_of(cents, cents, st.integers(0, 5_000_000).map(lambda v: Decimal(v).scaleb(-3)))


@st.composite
def requests(draw, min_downtime=0):
    return QuoteRequest(
        policy=draw(st.sampled_from(sorted(SHIPPED_POLICIES))),
        monthly_fee=draw(amounts),
        downtime=tuple(draw(st.lists(downtimes, min_size=min_downtime, max_size=8))),
        maintenance=tuple(draw(st.lists(maintenances, max_size=4))),
        mrc_paid=draw(st.one_of(st.none(), amounts)),
        already_credited=draw(st.one_of(st.just(Decimal(0)), amounts)),
    )


def priced(request):
    return quote(SHIPPED_POLICIES[request.policy], request)


def with_downtime(request, downtime):
    return QuoteRequest(
        policy=request.policy,
        monthly_fee=request.monthly_fee,
        downtime=tuple(downtime),
        maintenance=request.maintenance,
        mrc_paid=request.mrc_paid,
        already_credited=request.already_credited,
    )


@engine_settings
@given(requests(), downtimes)
def test_more_downtime_never_lowers_a_credit(request, extra):
    before = priced(request)
    after = priced(with_downtime(request, (*request.downtime, extra)))
    assert after.credit >= before.credit
    months_after = {month.month: month for month in after.months}
    for month in before.months:
        assert months_after[month.month].credit >= month.credit


@engine_settings
@given(requests())
def test_credit_never_exceeds_the_cap(request):
    for month in priced(request).months:
        assert Decimal(0) <= month.credit <= month.cap_left
        assert month.credit <= month.uncapped_credit
        assert month.capped == (month.uncapped_credit > month.credit)
        basis = request.mrc_paid if month.terms.cap_basis == "mrc_paid" else request.monthly_fee
        assert month.cap_left == max(basis - request.already_credited, Decimal(0))


@engine_settings
@given(requests(min_downtime=1), st.data())
def test_splitting_downtime_at_any_instant_changes_nothing(request, data):
    index = data.draw(st.integers(0, len(request.downtime) - 1))
    start, end, tag = request.downtime[index]
    seconds = int((end - start).total_seconds())
    if seconds < 2:
        return
    cut = start + timedelta(seconds=data.draw(st.integers(1, seconds - 1)))
    cut = cut.astimezone(data.draw(st.sampled_from(OFFSETS)))
    parts = (Downtime(start, cut, tag), Downtime(cut, end, tag))
    split = with_downtime(
        request, (*request.downtime[:index], *parts, *request.downtime[index + 1 :])
    )
    assert render(priced(split), breakdown=True) == render(priced(request), breakdown=True)


@engine_settings
@given(requests(), st.randoms(use_true_random=False))
def test_order_of_downtime_changes_nothing(request, random):
    shuffled = list(request.downtime)
    random.shuffle(shuffled)
    assert render(priced(with_downtime(request, shuffled))) == render(priced(request))


@engine_settings
@given(requests())
def test_months_are_consistent(request):
    result = priced(request)
    assert result.credit == sum((month.credit for month in result.months), Decimal("0.00"))
    names = [month.month for month in result.months]
    assert names == sorted(set(names))
    for month in result.months:
        assert 0 <= month.availability <= 100
        assert month.commitment_met == (month.availability >= month.terms.target_percent)
        assert month.qualifying_seconds + month.maintenance_seconds <= month.total_seconds
        assert month.credit == month.credit.quantize(Decimal("0.01"))
