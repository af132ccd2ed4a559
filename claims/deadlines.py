"""When staff owe a decision, by when an approved credit must be on an invoice, and the monthly
billing cycles both are counted in. Pure date arithmetic: no models.

A billed party's cycles start on its anchor day (Organisation.billing_anchor_day, 1-28; an end
customer is billed on its reseller's). Billing runs them on calendar dates; apply-by dates count
them in the policy's timezone, as the agreements' months are.
"""

import datetime as dt


def billing_cycle(day: dt.date, anchor_day: int) -> tuple[dt.date, dt.date]:
    """[start, end) of the monthly cycle that contains `day`, cycles starting on `anchor_day`."""
    if day.day >= anchor_day:
        start = day.replace(day=anchor_day)
    else:
        start = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=anchor_day)
    return start, _months_later(start, 1)


def _months_later(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (a cycle's start is never past the 28th)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return day.replace(year=year, month=month + 1)


def decision_due(received_at: dt.datetime, days: int) -> dt.datetime:
    return received_at + dt.timedelta(days=days)


def apply_by(
    received_at: dt.datetime, cycles: int | None, tz: dt.tzinfo, anchor_day: int = 1
) -> dt.date:
    """The last day of the `cycles`-th billing cycle after the one the request was received in
    (groupSPARK: "within two billing cycles after Provider receives that Reseller's credit
    request"). With no cycles given, the next cycle: the next invoice."""
    start, _ = billing_cycle(received_at.astimezone(tz).date(), anchor_day)
    return _months_later(start, (cycles or 1) + 1) - dt.timedelta(days=1)
