"""When staff owe a decision, and by when an approved credit must be on an invoice. Pure date
arithmetic: no models.

Billing cycles are calendar months in the policy's timezone (anchor day 1) until accounts
carry their own billing cycle.
"""

import calendar
import datetime as dt


def decision_due(received_at: dt.datetime, days: int) -> dt.datetime:
    return received_at + dt.timedelta(days=days)


def apply_by(received_at: dt.datetime, cycles: int | None, tz: dt.tzinfo) -> dt.date:
    """The last day of the `cycles`-th billing cycle after the one the request was received in
    (groupSPARK: "within two billing cycles after Provider receives that Reseller's credit
    request"). With no cycles given, the next cycle: the next invoice."""
    local = received_at.astimezone(tz)
    months = local.year * 12 + (local.month - 1) + (cycles or 1)
    year, month = divmod(months, 12)
    return dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1])
