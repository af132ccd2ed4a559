"""Apply-by dates: groupSPARK credits land within two billing cycles after the cycle in which
the request was received (billing cycles are calendar months in policy time)."""

import datetime as dt

from claims.deadlines import apply_by, decision_due
from sla.engine import parse_timezone

EST = parse_timezone("UTC-05:00")
MST = parse_timezone("UTC-07:00")


def test_received_on_the_last_day_of_a_cycle():
    # 2026-03-31 23:30 EST is 2026-04-01 04:30 UTC, but still March in policy time:
    # the cycle is March; two cycles after it end on 31 May.
    received = dt.datetime(2026, 4, 1, 4, 30, tzinfo=dt.UTC)
    assert apply_by(received, 2, EST) == dt.date(2026, 5, 31)


def test_received_just_after_midnight_policy_time():
    # 2026-04-01 05:00 UTC is 00:00 on 1 April EST: April's cycle; June ends it.
    received = dt.datetime(2026, 4, 1, 5, 0, tzinfo=dt.UTC)
    assert apply_by(received, 2, EST) == dt.date(2026, 6, 30)


def test_cycles_cross_the_year_and_february():
    assert apply_by(dt.datetime(2026, 12, 15, tzinfo=dt.UTC), 2, EST) == dt.date(2027, 2, 28)
    assert apply_by(dt.datetime(2027, 12, 15, tzinfo=dt.UTC), 2, EST) == dt.date(2028, 2, 29)


def test_next_invoice_when_no_cycles_are_given():
    assert apply_by(dt.datetime(2026, 3, 20, tzinfo=dt.UTC), None, MST) == dt.date(2026, 4, 30)
    assert apply_by(dt.datetime(2026, 3, 20, tzinfo=dt.UTC), 1, MST) == dt.date(2026, 4, 30)


def test_decision_due_counts_days_from_receipt():
    received = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
    assert decision_due(received, 10) == dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC)
