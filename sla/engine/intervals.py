"""Half-open time intervals on whole UTC seconds, and the calendar in a policy's timezone.

An interval is a pair ``(start, end)`` of integer seconds since 1970-01-01T00:00:00Z covering
``[start, end)``. Integers keep the arithmetic exact and fast: SLA_RULES.md measures downtime to
the second, so an instant is floored to its second once, on the way in (`to_seconds`).

`merge` and `subtract` return sorted, disjoint intervals that do not touch and are not empty;
`measure` relies on that.
"""

from bisect import bisect_right
from calendar import monthrange
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = EPOCH.toordinal()
_ONE_DAY = timedelta(days=1)

Interval = tuple[int, int]


def to_seconds(instant: datetime) -> int:
    """An aware instant as whole seconds since the epoch, any fraction of a second dropped."""
    since = instant - EPOCH  # days and seconds of a timedelta are floored, microseconds >= 0
    return since.days * 86_400 + since.seconds


def from_seconds(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union: overlapping and touching intervals become one; empty ones vanish."""
    return merge_sorted(sorted(intervals))


def merge_sorted(intervals: Iterable[tuple]) -> list[Interval]:
    """`merge` for intervals already sorted by start; only their first two items are read, so
    (start, end, tag) tuples need no copying."""
    merged = []
    current_start = current_end = None
    for interval in intervals:
        start = interval[0]
        end = interval[1]
        if start >= end:
            continue
        if current_end is not None and start <= current_end:
            if end > current_end:
                current_end = end
            continue
        if current_end is not None:
            merged.append((current_start, current_end))
        current_start, current_end = start, end
    if current_end is not None:
        merged.append((current_start, current_end))
    return merged


def subtract(intervals: list[Interval], removed: list[Interval]) -> list[Interval]:
    """The parts of `intervals` outside `removed`; both must be merged."""
    result = []
    first = 0
    count = len(removed)
    for start, end in intervals:
        while first < count and removed[first][1] <= start:
            first += 1
        cursor = start
        index = first
        while index < count and cursor < end:
            cut_start, cut_end = removed[index]
            if cut_start >= end:
                break
            if cut_start > cursor:
                result.append((cursor, cut_start))
            if cut_end > cursor:
                cursor = cut_end
            index += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _end(interval: Interval) -> int:
    return interval[1]


def measure(intervals: list[Interval], low: int, high: int) -> int:
    """Seconds of merged `intervals` inside `[low, high)`."""
    total = 0
    index = bisect_right(intervals, low, key=_end)
    for position in range(index, len(intervals)):
        start, end = intervals[position]
        if start >= high:
            break
        total += (end if end < high else high) - (start if start > low else low)
    return total


# The calendar in a policy's timezone ------------------------------------------------------------


def _fixed_offset(zone: tzinfo) -> int | None:
    """The zone's UTC offset in seconds if it never changes (a `timezone`), else None."""
    if zone.__class__ is timezone:
        offset = zone.utcoffset(None)
        return offset.days * 86_400 + offset.seconds
    return None


def local_to_seconds(day: date, clock: time, zone: tzinfo) -> int:
    """The instant a local wall clock shows `clock` on `day` in `zone`."""
    offset = _fixed_offset(zone)
    if offset is None:
        return to_seconds(datetime.combine(day, clock, tzinfo=zone))
    # Plain arithmetic for fixed offsets, which every shipped policy uses.
    wall = (day.toordinal() - _EPOCH_ORDINAL) * 86_400
    return wall + clock.hour * 3_600 + clock.minute * 60 + clock.second - offset


def local_date(seconds: int, zone: tzinfo) -> date:
    """The calendar day in `zone` at an instant."""
    offset = _fixed_offset(zone)
    if offset is None:
        return from_seconds(seconds).astimezone(zone).date()
    return date.fromordinal(_EPOCH_ORDINAL + (seconds + offset) // 86_400)


def month_of(seconds: int, zone: tzinfo) -> tuple[int, int]:
    local = local_date(seconds, zone)
    return local.year, local.month


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_bounds(year: int, month: int, zone: tzinfo) -> Interval:
    """The calendar month in `zone` as UTC seconds; its length follows any daylight saving."""
    following = next_month(year, month)
    return (
        local_to_seconds(date(year, month, 1), time(0), zone),
        local_to_seconds(date(*following, 1), time(0), zone),
    )


def days_in_month(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def months_touched(intervals: Iterable[tuple], zone: tzinfo) -> list[tuple[int, ...]]:
    """Each calendar month (in `zone`) that an interval touches, in order, as
    ``(year, month, month_start, month_end, first_instant)``, where ``first_instant`` is the
    earliest second of the intervals inside that month.

    `intervals` must be sorted by start and need not be merged; only their first two items (start,
    end) are read. An interval empty after flooring to the second still touches its month.
    """
    months = []
    month_end = None
    for interval in intervals:
        start = interval[0]
        end = interval[1]
        # Sorted by start: a start before month_end lies in a month already listed.
        if month_end is None or start >= month_end:
            year, month = month_of(start, zone)
            month_start, month_end = month_bounds(year, month, zone)
            months.append((year, month, month_start, month_end, start))
        while end > month_end:
            year, month = next_month(year, month)
            month_start, month_end = month_bounds(year, month, zone)
            months.append((year, month, month_start, month_end, month_start))
    return months


def inside_daily_window(
    start: int, end: int, opens: time, closes: time, zone: tzinfo
) -> list[Interval]:
    """The parts of `[start, end)` inside a window open every local day from `opens` to
    `closes`; the window ends the next day when `closes` is not after `opens` (10:00 to 02:00),
    and lasts the whole day when they are equal."""
    crosses_midnight = closes <= opens
    # A window opened the local day before `start` may still be open at `start`.
    day = local_date(start, zone) - _ONE_DAY
    last_day = local_date(end - 1, zone)
    parts = []
    while day <= last_day:
        window_start = local_to_seconds(day, opens, zone)
        window_end = local_to_seconds(day + _ONE_DAY if crosses_midnight else day, closes, zone)
        part_start = max(start, window_start)
        part_end = min(end, window_end)
        if part_start < part_end:
            parts.append((part_start, part_end))
        day += _ONE_DAY
    return parts
