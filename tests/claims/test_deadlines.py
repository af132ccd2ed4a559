"""Apply-by dates: groupSPARK credits land within two billing cycles after the cycle in which
the request was received (monthly cycles from the billed party's anchor day, in policy time)."""

import datetime as dt

from claims.deadlines import apply_by, billing_cycle, decision_due
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


def test_cycles_start_on_the_anchor_day():
    assert billing_cycle(dt.date(2026, 3, 15), 15) == (dt.date(2026, 3, 15), dt.date(2026, 4, 15))
    assert billing_cycle(dt.date(2026, 3, 14), 15) == (dt.date(2026, 2, 15), dt.date(2026, 3, 15))
    assert billing_cycle(dt.date(2026, 1, 10), 15) == (dt.date(2025, 12, 15), dt.date(2026, 1, 15))
    assert billing_cycle(dt.date(2026, 12, 28), 28) == (dt.date(2026, 12, 28), dt.date(2027, 1, 28))
    assert billing_cycle(dt.date(2026, 3, 31), 1) == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))


def test_apply_by_counts_the_billed_partys_cycles():
    # Cycles from the 15th. 2026-03-15 04:00 UTC is 23:00 on 14 March EST: the last day of the
    # cycle 15 Feb - 14 Mar; two cycles after it end on 14 May.
    assert apply_by(dt.datetime(2026, 3, 15, 4, tzinfo=dt.UTC), 2, EST, 15) == dt.date(2026, 5, 14)
    # An hour later it is 15 March EST: the cycle 15 Mar - 14 Apr; two after it end on 14 June.
    assert apply_by(dt.datetime(2026, 3, 15, 5, tzinfo=dt.UTC), 2, EST, 15) == dt.date(2026, 6, 14)
    # The next invoice's cycle, across the year.
    assert apply_by(dt.datetime(2026, 12, 20, tzinfo=dt.UTC), None, MST, 28) == dt.date(2027, 1, 27)
