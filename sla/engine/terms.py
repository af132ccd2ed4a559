"""A policy's parameters (`PolicyTerms`), policy timezones, and the three shipped policies.

Every number or rule that SLA_RULES.md names and that changes the arithmetic is a field here, so
staff can see each Decision as a parameter (SLA_RULES.md, first paragraph).
"""

import re
from dataclasses import dataclass
from datetime import UTC, time, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .money import ROUNDING_MODES

# groupSPARK's ten Exceptions (Attachment B, C.1(a)), in the agreement's order.
EXCEPTION_SLUGS = (
    "force-majeure-or-third-party",
    "hardware-not-provider",
    "customer-circuit",
    "dns-issue",
    "customer-internet",
    "customer-act-or-omission",
    "non-compliant-use",
    "dns-propagation",
    "internet-outage",
    "browser-or-dns-cache",
)

KINDS = ("per_block", "hourly", "tiered")
BLOCK_ROUNDINGS = ("complete", "started")
HOUR_ROUNDINGS = ("ceil", "floor")
DAY_RATE_BASES = ("days_in_month",)
MAINTENANCE_RULES = ("all", "noticed_in_window")
CAP_BASES = ("mrc_paid", "service_fee")

_OFFSET = re.compile(r"UTC([+-])(\d\d):(\d\d)")


def parse_timezone(name: str) -> tzinfo:
    """ "UTC", a fixed offset "UTC-07:00" / "UTC+05:30", or an IANA name, as a tzinfo.

    Decision (SLA_RULES.md, Common arithmetic 2): the agreements' MST and EST are fixed offsets,
    so the shipped policies use "UTC-07:00" and "UTC-05:00", never "America/Denver".
    """
    if not isinstance(name, str):
        raise ValueError(f"timezone must be a string, not {type(name).__name__}")
    return _parse_timezone(name)


@lru_cache(maxsize=128)
def _parse_timezone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    offset = _OFFSET.fullmatch(name)
    if offset:
        sign, hours, minutes = offset.groups()
        if int(hours) > 23 or int(minutes) > 59:
            raise ValueError(f"timezone {name!r}: offset out of range")
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta)
    if name.startswith("UTC"):
        raise ValueError(f"timezone {name!r}: write a fixed offset as UTC+HH:MM or UTC-HH:MM")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'timezone {name!r}: expected "UTC", "UTC-07:00" or an IANA name like "Europe/Paris"'
        ) from None


def _decimal(value, field: str) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str) and not isinstance(value, bool):
        try:
            result = Decimal(value)
        except ArithmeticError:
            raise ValueError(f"{field}: {value!r} is not a decimal") from None
    else:
        # A float has already lost the value it was written as.
        raise ValueError(f"{field}: must be a Decimal, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field}: must be finite")
    return result


def _whole(value, field: str, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{field}: must be a whole number >= {minimum}")


def _one_of(value, choices: tuple, field: str) -> None:
    if value not in choices:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(choices)}")


@dataclass(frozen=True)
class PolicyTerms:
    """One version of a policy's parameters. Fields a kind does not use keep their defaults."""

    slug: str
    name: str
    kind: str  # "per_block" | "hourly" | "tiered"
    target_percent: Decimal  # commitment met when availability % >= this
    timezone: str = "UTC"  # policy time: billing months and the maintenance window
    version: str = ""  # shown in breakdowns; the Django side may name its version here
    # per_block: credit = fee x blocks / days in the month
    block_minutes: int = 15
    block_rounding: str = "complete"  # Decision: only complete blocks count (floor)
    day_rate_basis: str = "days_in_month"
    # hourly: credit = fee x hours / hourly_divisor, only when the commitment is missed
    hourly_divisor: Decimal = Decimal(720)
    hour_rounding: str = "ceil"  # Decision: each started hour counts
    # maintenance
    maintenance_rule: str = "all"  # "all" | "noticed_in_window"
    notice_hours: int = 72  # noticed_in_window: notice_at <= start - notice_hours
    window_start: time = time(0)  # noticed_in_window: daily window, policy time;
    window_end: time = time(0)  # it crosses midnight when window_end <= window_start
    # exceptions
    honours_exceptions: bool = False
    exception_slugs: tuple[str, ...] = ()
    # cap per month: mrc_paid or monthly_fee, less already_credited
    cap_basis: str = "service_fee"  # "mrc_paid" | "service_fee"
    # tiered: (threshold_percent, credit_percent); the band with the lowest threshold that the
    # availability is below gives the credit
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()
    money_rounding: str = "ROUND_HALF_UP"  # Decision: once, at the end, to cents

    def __post_init__(self):
        for field in ("slug", "name"):
            if not isinstance(getattr(self, field), str) or not getattr(self, field):
                raise ValueError(f"{field}: must be a non-empty string")
        if not isinstance(self.version, str):
            raise ValueError("version: must be a string")
        _one_of(self.kind, KINDS, "kind")
        target = _decimal(self.target_percent, "target_percent")
        if not 0 < target <= 100:
            raise ValueError("target_percent: must be above 0 and at most 100")
        try:
            parse_timezone(self.timezone)
        except ValueError as error:
            raise ValueError(f"timezone: {error}") from None
        _whole(self.block_minutes, "block_minutes", 1)
        _one_of(self.block_rounding, BLOCK_ROUNDINGS, "block_rounding")
        _one_of(self.day_rate_basis, DAY_RATE_BASES, "day_rate_basis")
        divisor = _decimal(self.hourly_divisor, "hourly_divisor")
        if divisor <= 0:
            raise ValueError("hourly_divisor: must be positive")
        _one_of(self.hour_rounding, HOUR_ROUNDINGS, "hour_rounding")
        _one_of(self.maintenance_rule, MAINTENANCE_RULES, "maintenance_rule")
        _whole(self.notice_hours, "notice_hours", 0)
        for field in ("window_start", "window_end"):
            value = getattr(self, field)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{field}: must be a time of day without a timezone")
        if not isinstance(self.honours_exceptions, bool):
            raise ValueError("honours_exceptions: must be True or False")
        slugs = tuple(self.exception_slugs)
        if not all(isinstance(slug, str) and slug for slug in slugs):
            raise ValueError("exception_slugs: must be non-empty strings")
        _one_of(self.cap_basis, CAP_BASES, "cap_basis")
        tiers = tuple(self._tier(band) for band in self.tiers)
        if len({threshold for threshold, _ in tiers}) != len(tiers):
            raise ValueError("tiers: two bands have the same threshold")
        if self.kind == "tiered" and not tiers:
            raise ValueError("tiers: a tiered policy needs at least one band")
        _one_of(self.money_rounding, ROUNDING_MODES, "money_rounding")
        # Normalised in place: lists become tuples, so terms stay hashable and comparable.
        object.__setattr__(self, "target_percent", target)
        object.__setattr__(self, "hourly_divisor", divisor)
        object.__setattr__(self, "exception_slugs", slugs)
        object.__setattr__(self, "tiers", tiers)

    @staticmethod
    def _tier(band) -> tuple[Decimal, Decimal]:
        try:
            threshold, percent = band
        except (TypeError, ValueError):
            raise ValueError("tiers: each band is (threshold_percent, credit_percent)") from None
        threshold = _decimal(threshold, "tiers")
        percent = _decimal(percent, "tiers")
        if not 0 < threshold <= 100 or percent < 0:
            raise ValueError("tiers: thresholds lie in (0, 100] and percents are >= 0")
        return threshold, percent

    @property
    def tzinfo(self) -> tzinfo:
        return parse_timezone(self.timezone)

    def drops(self, exception: str | None) -> bool:
        """Whether downtime tagged with `exception` is left out before merging."""
        if exception is None or not self.honours_exceptions:
            return False
        return exception in self.exception_slugs


ONEPOINTSYNC = PolicyTerms(
    slug="onepointsync",
    name="OnePointSync SLA",
    kind="per_block",
    target_percent=Decimal("99.99"),
    timezone="UTC-07:00",  # "10:00AM MST to 2:00 AM MST"
    block_minutes=15,  # "one full day of charges ... for each 15 minutes of downtime"
    maintenance_rule="noticed_in_window",
    notice_hours=72,  # "a minimum of 3 (three) days prior"
    window_start=time(10, 0),
    window_end=time(2, 0),
    honours_exceptions=False,  # the agreement has no Exceptions clause
    cap_basis="mrc_paid",  # "may not exceed the monthly recurring charge actually paid"
)

GROUPSPARK = PolicyTerms(
    slug="groupspark",
    name="groupSPARK Reseller SLA",
    kind="hourly",
    target_percent=Decimal("99.999"),
    timezone="UTC-05:00",  # "11 p.m. - 7 a.m. EST"
    hourly_divisor=Decimal(720),  # "1/720 of the monthly fee ... for each hour"
    maintenance_rule="all",  # "Maintenance means scheduled and unscheduled maintenance"
    honours_exceptions=True,
    exception_slugs=EXCEPTION_SLUGS,
    cap_basis="service_fee",  # "not to exceed the total fee due ... for each of the services"
)

TIERED_EXAMPLE = PolicyTerms(
    slug="tiered-example",
    name="Tiered example",
    kind="tiered",
    target_percent=Decimal("99.99"),
    timezone="UTC",
    maintenance_rule="all",
    honours_exceptions=True,
    exception_slugs=EXCEPTION_SLUGS,
    cap_basis="service_fee",
    tiers=(
        (Decimal("99.99"), Decimal(10)),
        (Decimal("99.0"), Decimal(25)),
        (Decimal("95.0"), Decimal(100)),
    ),
)

SHIPPED_POLICIES = {terms.slug: terms for terms in (ONEPOINTSYNC, GROUPSPARK, TIERED_EXAMPLE)}
