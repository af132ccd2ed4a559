"""Per-month arithmetic: from a `QuoteRequest` and a policy's terms to a `Quote`.

Seconds are integers and money is an exact integer ratio until `round_money` rounds each month's
credit once (SLA_RULES.md, Common arithmetic 4-7).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import MAX_PREC, Context, Decimal
from fractions import Fraction
from operator import itemgetter

from .intervals import (
    Interval,
    days_in_month,
    from_seconds,
    inside_daily_window,
    measure,
    merge,
    merge_sorted,
    months_touched,
    subtract,
)
from .money import ratio, round_money
from .request import QuoteRequest
from .terms import PolicyTerms

# Adds and subtracts Decimals without rounding, whatever their size.
_EXACT = Context(prec=MAX_PREC)
_NO_CREDIT = Decimal("0.00")

TermsFor = PolicyTerms | Callable[[datetime], PolicyTerms]


@dataclass(frozen=True)
class MonthQuote:
    """One calendar month (policy time) of a quote, with what a person needs to check it."""

    month: str  # "YYYY-MM"
    total_seconds: int  # T
    maintenance_seconds: int  # M: excused maintenance, whether or not downtime overlaps it
    qualifying_seconds: int  # D
    commitment_met: bool
    units: int  # blocks (per_block) or hours (hourly) counted; 0 for tiered
    tier: tuple[Decimal, Decimal] | None  # tiered: the band applied
    uncapped_credit: Decimal  # rounded as the credit would be without the cap
    credit: Decimal
    capped: bool  # the cap changed the credit given
    cap_left: Decimal  # cap for this month before this credit
    fee: Decimal
    days_in_month: int
    terms: PolicyTerms  # the version that priced this month

    @property
    def availability(self) -> Fraction:
        """Exact availability %: (T - M - D) / (T - M) x 100, or 100 when T - M is 0."""
        counted = self.total_seconds - self.maintenance_seconds
        if counted == 0:
            return Fraction(100)
        return Fraction(100 * (counted - self.qualifying_seconds), counted)

    @property
    def availability_percent(self) -> Decimal:
        """Availability % cut (not rounded) to six places, so the number shown never reaches
        the target when the commitment was missed."""
        counted = self.total_seconds - self.maintenance_seconds
        if counted == 0:
            return Decimal("100.000000")
        micro = 100_000_000 * (counted - self.qualifying_seconds) // counted
        return Decimal(f"{micro // 1_000_000}.{micro % 1_000_000:06d}")

    @property
    def breakdown(self) -> tuple[str, ...]:
        return _breakdown(self)


@dataclass(frozen=True)
class Quote:
    credit: Decimal  # the sum of the months' credits
    months: tuple[MonthQuote, ...]


def quote(terms_for: TermsFor, request: QuoteRequest) -> Quote:
    """Price `request` under `terms_for`: one PolicyTerms, or a callable giving the version of
    the policy in force at an aware UTC instant."""
    if isinstance(terms_for, PolicyTerms):
        terms = terms_for

        def resolve(seconds):
            return terms
    else:

        def resolve(seconds):
            return terms_for(from_seconds(seconds))

    # Sorted once by start: every later merge reads this order.
    downtime = sorted(request.downtime_seconds, key=itemgetter(0))
    months = []
    measured_for = None
    for year, month, low, high, terms in _months_and_terms(resolve, downtime):
        if terms.slug != request.policy:
            raise ValueError(f"terms of {terms.slug!r} given for a {request.policy!r} request")
        if terms is not measured_for and terms != measured_for:
            qualifying, excused = _qualifying_and_excused(
                terms, downtime, request.maintenance_seconds
            )
            measured_for = terms
        months.append(_price_month(terms, request, year, month, low, high, qualifying, excused))
    credit = _NO_CREDIT
    for month_quote in months:
        credit = _EXACT.add(credit, month_quote.credit)
    return Quote(credit=credit, months=tuple(months))


def _months_and_terms(resolve, downtime: list[tuple[int, int, str | None]]):
    """Each month any downtime touches, in order, with the terms version that prices it.

    The one place versions are chosen. Months are calendar months in the timezone of the version
    in force at the earliest downtime start; each month is priced by the version in force at the
    first downtime instant inside it. Exception-tagged downtime counts for both choices: it makes
    a month listed, and a version cannot depend on how that version treats Exceptions.
    """
    if not downtime:
        return
    zone = resolve(downtime[0][0]).tzinfo
    for year, month, low, high, first_instant in months_touched(downtime, zone):
        yield year, month, low, high, resolve(first_instant)


def _qualifying_and_excused(
    terms: PolicyTerms, downtime: list[tuple[int, int, str | None]], maintenance
) -> tuple[list[Interval], list[Interval]]:
    """Qualifying downtime and excused maintenance, merged, over the whole request."""
    if terms.honours_exceptions:
        counted = merge_sorted(
            interval for interval in downtime if interval[2] is None or not terms.drops(interval[2])
        )
    else:
        counted = merge_sorted(downtime)
    excused = _excused_maintenance(terms, maintenance)
    return subtract(counted, excused), excused


def _excused_maintenance(terms: PolicyTerms, maintenance) -> list[Interval]:
    if terms.maintenance_rule == "all":
        return merge((start, end) for start, end, _ in maintenance)
    # noticed_in_window (OnePointSync): notified "a minimum of 3 (three) days prior to the
    # commencement" and held "between 10:00AM MST to 2:00 AM MST". Notice is judged against the
    # whole event's start, before any split by month or by window.
    notice = terms.notice_hours * 3600
    zone = terms.tzinfo
    opens, closes = terms.window_start, terms.window_end
    parts = []
    for start, end, notice_at in maintenance:
        if notice_at is not None and notice_at <= start - notice:
            parts.extend(inside_daily_window(start, end, opens, closes, zone))
    return merge(parts)


def _price_month(
    terms: PolicyTerms,
    request: QuoteRequest,
    year: int,
    month: int,
    low: int,
    high: int,
    qualifying: list[Interval],
    excused: list[Interval],
) -> MonthQuote:
    total = high - low
    maintenance = measure(excused, low, high)
    downtime = measure(qualifying, low, high)
    counted = total - maintenance
    available = counted - downtime
    target_numerator, target_denominator = ratio(terms.target_percent)
    # Exact: 100 * available / counted >= target, cross-multiplied.
    met = counted == 0 or 100 * available * target_denominator >= target_numerator * counted
    days = days_in_month(year, month)
    fee_numerator, fee_denominator = ratio(request.monthly_fee)
    units = 0
    tier = None
    if terms.kind == "per_block":
        block = terms.block_minutes * 60
        if terms.block_rounding == "complete":
            units = downtime // block
        else:
            units = -(-downtime // block)
        # SLA_RULES.md states onepointsync's credit with no "0 when the commitment is met" clause
        # (groupspark has one), so none is applied. For onepointsync it cannot matter: one block
        # (900 s) exceeds 0.01 % of any month (at most 268 s).
        numerator = fee_numerator * units
        denominator = fee_denominator * days
    elif terms.kind == "hourly":
        if not met:
            if terms.hour_rounding == "ceil":
                units = -(-downtime // 3600)
            else:
                units = downtime // 3600
        divisor_numerator, divisor_denominator = ratio(terms.hourly_divisor)
        numerator = fee_numerator * units * divisor_denominator
        denominator = fee_denominator * divisor_numerator
    else:
        tier = _band(terms.tiers, available, counted)
        percent_numerator, percent_denominator = ratio(tier[1] if tier else Decimal(0))
        numerator = fee_numerator * percent_numerator
        denominator = fee_denominator * percent_denominator * 100

    basis = request.mrc_paid if terms.cap_basis == "mrc_paid" else request.monthly_fee
    cap_left = max(_EXACT.subtract(basis, request.already_credited), Decimal(0))
    # The credit is rounded once; the cap, in whole cents rounded down, then bounds it. For cent
    # amounts this equals rounding the capped exact credit, and a cap with fractions of a cent
    # is never exceeded by rounding up.
    uncapped = round_money(numerator, denominator, terms.money_rounding)
    credit = min(uncapped, round_money(*ratio(cap_left), "ROUND_DOWN"))
    return MonthQuote(
        month=f"{year:04d}-{month:02d}",
        total_seconds=total,
        maintenance_seconds=maintenance,
        qualifying_seconds=downtime,
        commitment_met=met,
        units=units,
        tier=tier,
        uncapped_credit=uncapped,
        credit=credit,
        # "capped exactly when ... the uncapped credit is greater than the credit given",
        # both as they would be paid, in cents.
        capped=uncapped > credit,
        cap_left=cap_left,
        fee=request.monthly_fee,
        days_in_month=days,
        terms=terms,
    )


def _band(tiers, available: int, counted: int) -> tuple[Decimal, Decimal] | None:
    """The band with the lowest threshold that the availability is below, if any."""
    chosen = None
    for threshold, percent in tiers:
        threshold_numerator, threshold_denominator = ratio(threshold)
        below = 100 * available * threshold_denominator < threshold_numerator * counted
        if counted and below and (chosen is None or threshold < chosen[0]):
            chosen = (threshold, percent)
    return chosen


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _breakdown(month: MonthQuote) -> tuple[str, ...]:
    terms = month.terms
    total, excused, downtime = (
        month.total_seconds,
        month.maintenance_seconds,
        month.qualifying_seconds,
    )
    version = f" version {terms.version}" if terms.version else ""
    lines = [
        f"{month.month} ({terms.slug}{version}, policy time {terms.timezone}): {total} s in the "
        f"month, {excused} s excused maintenance, {downtime} s qualifying downtime"
    ]
    verdict = "met" if month.commitment_met else "missed"
    if total == excused:
        lines.append(f"availability 100% (the whole month is excused): commitment {verdict}")
    else:
        sign = ">=" if month.commitment_met else "<"
        lines.append(
            f"availability ({total} - {excused} - {downtime}) / ({total} - {excused}) x 100 = "
            f"{month.availability_percent}% {sign} target {terms.target_percent}%: "
            f"commitment {verdict}"
        )
    qualifying = f"{_duration(downtime)} qualifying"
    if terms.kind == "per_block":
        word = "complete" if terms.block_rounding == "complete" else "started"
        blocks = _plural(month.units, f"{word} {terms.block_minutes}-minute block")
        lines.append(
            f"{qualifying} -> {blocks} x {month.fee} / {month.days_in_month} days in the month "
            f"= {month.uncapped_credit}"
        )
    elif terms.kind == "hourly":
        if month.commitment_met:
            lines.append("commitment met -> no credit")
        else:
            word = "started" if terms.hour_rounding == "ceil" else "complete"
            hours = _plural(month.units, f"{word} hour")
            lines.append(
                f"{qualifying} -> {hours} x {month.fee} / {terms.hourly_divisor} "
                f"= {month.uncapped_credit}"
            )
    elif month.tier:
        threshold, percent = month.tier
        lines.append(
            f"availability below {threshold}% -> {percent}% x {month.fee} = {month.uncapped_credit}"
        )
    else:
        highest = max(threshold for threshold, _ in terms.tiers)
        lines.append(f"availability not below {highest}% -> no band applies, no credit")
    basis = "mrc_paid" if terms.cap_basis == "mrc_paid" else "monthly fee"
    cap = f"cap left {month.cap_left} ({basis} less already credited)"
    if month.capped:
        lines.append(f"{cap}: {month.uncapped_credit} cut to {month.credit} (capped)")
    else:
        lines.append(f"{cap}: credit {month.credit}")
    return tuple(lines)
