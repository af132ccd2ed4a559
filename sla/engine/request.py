"""What a quote is asked for: `QuoteRequest` and its intervals, checked once, here.

Both entry points build requests through `QuoteRequest`, so the JSON contract and the Django side
share one validation; every refusal is a `QuoteInputError` naming the field.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import NamedTuple

from .intervals import UTC, to_seconds
from .terms import EXCEPTION_SLUGS

_EXCEPTIONS = frozenset(EXCEPTION_SLUGS)
# Far enough from datetime's limits that a month or a day on either side still exists.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_OUT_OF_RANGE = "must lie between the years 1900 and 9000"
_MONEY_FIELDS = ("monthly_fee", "mrc_paid", "already_credited")


class QuoteInputError(ValueError):
    """Bad input. `field` is a dotted path ("downtime[0].end", "[2].policy" in a batch; "" for
    the input as a whole); str() is "field: message"."""

    def __init__(self, field: str, message: str):
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self):
        return f"{self.field or 'input'}: {self.message}"

    def at_index(self, index: int) -> "QuoteInputError":
        """The same error for item `index` of a batch."""
        if not self.field:
            return QuoteInputError(f"[{index}]", self.message)
        return QuoteInputError(f"[{index}].{self.field}", self.message)


class Downtime(NamedTuple):
    start: datetime
    end: datetime
    exception: str | None = None  # one of EXCEPTION_SLUGS, or None


class Maintenance(NamedTuple):
    start: datetime
    end: datetime
    notice_at: datetime | None = None  # when the customer was told; None: never


def _to_utc(value, field: str) -> datetime:
    """`value` checked and normalised to UTC."""
    if not isinstance(value, datetime):
        raise QuoteInputError(field, "must be a timestamp")
    if value.utcoffset() is None:
        raise QuoteInputError(
            field, "has no UTC offset; add one such as Z or -05:00 (naive times are refused)"
        )
    return value.astimezone(UTC)


def _check_range(start: datetime, end: datetime, path: str) -> None:
    if start < _EARLIEST:
        raise QuoteInputError(f"{path}.start", _OUT_OF_RANGE)
    if end >= _LATEST:
        raise QuoteInputError(f"{path}.end", _OUT_OF_RANGE)


def _money(value, field: str) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise QuoteInputError(field, "must be a non-negative decimal")
    return value


@dataclass(frozen=True)
class QuoteRequest:
    """A quote for one service under one policy. Instants are aware and become UTC; money is
    Decimal. `mrc_paid` defaults to `monthly_fee`. The cap inputs apply to each month."""

    policy: str
    monthly_fee: Decimal
    downtime: tuple[Downtime, ...] = ()
    maintenance: tuple[Maintenance, ...] = ()
    mrc_paid: Decimal | None = None
    already_credited: Decimal = Decimal(0)
    # The same intervals in whole UTC seconds, as the arithmetic uses them.
    downtime_seconds: tuple[tuple[int, int, str | None], ...] = field(
        init=False, repr=False, compare=False
    )
    maintenance_seconds: tuple[tuple[int, int, int | None], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self):
        if not isinstance(self.policy, str) or not self.policy:
            raise QuoteInputError("policy", "must be a non-empty string")
        if self.mrc_paid is None:
            object.__setattr__(self, "mrc_paid", self.monthly_fee)
        for name in _MONEY_FIELDS:
            object.__setattr__(self, name, _money(getattr(self, name), name))

        # The loops below run for every interval of every quote: they touch each instant once
        # and build a field's name only for an error.
        downtime = []
        downtime_seconds = []
        for index, (start, end, exception) in enumerate(self.downtime):
            # Fixed offsets (all that JSON can carry) are normalised here; the rest in _to_utc.
            if start.__class__ is not datetime or start.tzinfo.__class__ is not timezone:
                start = _to_utc(start, f"downtime[{index}].start")
            elif start.tzinfo is not UTC:
                start = start.astimezone(UTC)
            if end.__class__ is not datetime or end.tzinfo.__class__ is not timezone:
                end = _to_utc(end, f"downtime[{index}].end")
            elif end.tzinfo is not UTC:
                end = end.astimezone(UTC)
            # SLA_RULES.md: fractions of a second are dropped before anything is measured, so
            # an interval shorter than a second inside one second is empty (end <= start).
            if start.microsecond:
                start = start.replace(microsecond=0)
            if end.microsecond:
                end = end.replace(microsecond=0)
            if end <= start:
                raise QuoteInputError(f"downtime[{index}].end", "must be after start")
            if start < _EARLIEST or end >= _LATEST:
                _check_range(start, end, f"downtime[{index}]")
            if exception is not None and exception not in _EXCEPTIONS:
                raise QuoteInputError(
                    f"downtime[{index}].exception",
                    f"must be null or one of: {', '.join(EXCEPTION_SLUGS)}",
                )
            downtime.append(Downtime(start, end, exception))
            # Floored to the second: SLA_RULES.md measures downtime to the second.
            downtime_seconds.append((to_seconds(start), to_seconds(end), exception))

        maintenance = []
        maintenance_seconds = []
        for index, (start, end, notice_at) in enumerate(self.maintenance):
            start = _to_utc(start, f"maintenance[{index}].start").replace(microsecond=0)
            end = _to_utc(end, f"maintenance[{index}].end").replace(microsecond=0)
            if end <= start:
                raise QuoteInputError(f"maintenance[{index}].end", "must be after start")
            _check_range(start, end, f"maintenance[{index}]")
            notice_seconds = None
            if notice_at is not None:
                notice_at = _to_utc(notice_at, f"maintenance[{index}].notice_at").replace(
                    microsecond=0
                )
                if not _EARLIEST <= notice_at < _LATEST:
                    raise QuoteInputError(f"maintenance[{index}].notice_at", _OUT_OF_RANGE)
                notice_seconds = to_seconds(notice_at)
            maintenance.append(Maintenance(start, end, notice_at))
            maintenance_seconds.append((to_seconds(start), to_seconds(end), notice_seconds))

        object.__setattr__(self, "downtime", tuple(downtime))
        object.__setattr__(self, "maintenance", tuple(maintenance))
        object.__setattr__(self, "downtime_seconds", tuple(downtime_seconds))
        object.__setattr__(self, "maintenance_seconds", tuple(maintenance_seconds))
