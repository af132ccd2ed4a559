"""Hand-worked cases per policy. Each expected value was worked out from the agreements and
SLA_RULES.md, with the arithmetic in the comment beside it; none was copied from the engine.

T = seconds in the month (March 2026: 31 x 86400 = 2678400, April: 2592000, February: 2419200),
M = excused maintenance seconds, D = qualifying downtime seconds,
availability = (T - M - D) / (T - M) x 100, shown cut to six places.
"""

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from sla.engine import SHIPPED_POLICIES, parse_payload, parse_request, quote, render


def down(start, end, exception=None):
    return {"start": start, "end": end, "exception": exception}


def maint(start, end, notice_at=None):
    return {"start": start, "end": end, "notice_at": notice_at}


def month(name, seconds, availability, met, credit, capped=False):
    """One expected output month; qualifying seconds become the contract's minutes."""
    return {
        "month": name,
        "qualifying_downtime_minutes": round(seconds / 60, 6),
        "availability_percent": availability,
        "commitment_met": met,
        "credit": credit,
        "capped": capped,
    }


def run(payload):
    request = parse_request(payload, SHIPPED_POLICIES)
    return render(quote(SHIPPED_POLICIES[request.policy], request))


def ops(downtime, maintenance=(), fee="310.00", **extra):
    return {"policy": "onepointsync", "monthly_fee": fee, "downtime": list(downtime),
            "maintenance": list(maintenance), **extra}  # fmt: skip


def gsp(downtime, maintenance=(), fee="720.00", **extra):
    return {"policy": "groupspark", "monthly_fee": fee, "downtime": list(downtime),
            "maintenance": list(maintenance), **extra}  # fmt: skip


def tier(downtime, maintenance=(), fee="100.00", **extra):
    return {"policy": "tiered-example", "monthly_fee": fee, "downtime": list(downtime),
            "maintenance": list(maintenance), **extra}  # fmt: skip


# onepointsync: UTC-07:00, complete 15-minute blocks x fee / days in month, maintenance excused
# only with >= 72 h notice and inside 10:00-02:00 policy time, Exceptions count, cap mrc_paid.
ONEPOINTSYNC = [
    pytest.param(
        # D = 47 min = 2820 s; 2820 // 900 = 3 blocks; 310.00 x 3 / 31 = 30.00.
        # (2678400 - 2820) / 2678400 = 99.894713...% < 99.99: missed.
        ops([down("2026-03-10T09:00:00-07:00", "2026-03-10T09:47:00-07:00")]),
        "30.00",
        [month("2026-03", 2820, 99.894713, False, "30.00")],
        id="ops-47-min-is-3-complete-blocks",
    ),
    pytest.param(
        # February 2026 has 28 days. D = 900 s = exactly 1 block; 280.00 x 1 / 28 = 10.00.
        # 100 x (2419200 - 900) / 2419200 = 99.962797...%
        ops([down("2026-02-10T12:00:00-07:00", "2026-02-10T12:15:00-07:00")], fee="280.00"),
        "10.00",
        [month("2026-02", 900, 99.962797, False, "10.00")],
        id="ops-exactly-one-block",
    ),
    pytest.param(
        # D = 899 s (one second short of a block): 899 // 900 = 0 blocks -> 0.00, month listed.
        # 100 x (2419200 - 899) / 2419200 = 99.962838...%
        ops([down("2026-02-10T12:00:00-07:00", "2026-02-10T12:14:59-07:00")], fee="280.00"),
        "0.00",
        [month("2026-02", 899, 99.962838, False, "0.00")],
        id="ops-one-second-short-of-a-block",
    ),
    pytest.param(
        # 23:50 Mar 31 -> 00:20 Apr 1 policy time (both April in UTC: 06:50Z-07:20Z).
        # March: 600 s -> 0 blocks -> 0.00; (2678400 - 600) / 2678400 = 99.977598...%
        # April (30 days): 1200 s -> 1 block -> 300.00 x 1 / 30 = 10.00;
        # (2592000 - 1200) / 2592000 = 99.953703...%. In UTC it would be 1 month, 2 blocks.
        ops(
            [down("2026-03-31T23:50:00-07:00", "2026-04-01T00:20:00-07:00")],
            fee="300.00",
        ),
        "10.00",
        [
            month("2026-03", 600, 99.977598, False, "0.00"),
            month("2026-04", 1200, 99.953703, False, "10.00"),
        ],
        id="ops-month-boundary-in-policy-time",
    ),
    pytest.param(
        # Same boundary written in UTC: 06:50Z..07:20Z is 23:50..00:20 at UTC-07:00.
        # Split as above: March 600 s, April 1200 s -> 0.00 + 10.00.
        ops([down("2026-04-01T06:50:00Z", "2026-04-01T07:20:00Z")], fee="300.00"),
        "10.00",
        [
            month("2026-03", 600, 99.977598, False, "0.00"),
            month("2026-04", 1200, 99.953703, False, "10.00"),
        ],
        id="ops-month-boundary-given-in-utc",
    ),
    pytest.param(
        # Touching intervals merge: 10:00-10:07:30 + 10:07:30-10:15 = 900 s = 1 block.
        # Overlap counted once: 11:00-11:10 + 11:05-11:15 = 900 s = 1 block. Total 1800 s:
        # 2 blocks x 310.00 / 31 = 20.00; (2678400 - 1800) / 2678400 = 99.932795...%
        ops(
            [
                down("2026-03-10T10:00:00-07:00", "2026-03-10T10:07:30-07:00"),
                down("2026-03-10T10:07:30-07:00", "2026-03-10T10:15:00-07:00"),
                down("2026-03-10T11:00:00-07:00", "2026-03-10T11:10:00-07:00"),
                down("2026-03-10T11:05:00-07:00", "2026-03-10T11:15:00-07:00"),
            ]
        ),
        "20.00",
        [month("2026-03", 1800, 99.932795, False, "20.00")],
        id="ops-touching-and-overlapping-merge",
    ),
    pytest.param(
        # Blocks count on the month's total: 3 separate 5-minute outages = 900 s = 1 block
        # (per interval it would be 0). 310.00 / 31 = 10.00;
        # (2678400 - 900) / 2678400 = 99.966397...%
        ops(
            [
                down("2026-03-02T12:00:00-07:00", "2026-03-02T12:05:00-07:00"),
                down("2026-03-12T12:00:00-07:00", "2026-03-12T12:05:00-07:00"),
                down("2026-03-22T12:00:00-07:00", "2026-03-22T12:05:00-07:00"),
            ]
        ),
        "10.00",
        [month("2026-03", 900, 99.966397, False, "10.00")],
        id="ops-blocks-on-monthly-total",
    ),
    pytest.param(
        # Maintenance 10:00-12:00, notice exactly 72 h before its start (Mar 7 10:00): excused.
        # Downtime 09:30-12:30 = 10800 s minus 7200 s excused = D 3600 s = 4 blocks;
        # 310.00 x 4 / 31 = 40.00. M = 7200: (2678400 - 7200 - 3600) / 2671200 = 99.865229...%
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:30:00-07:00")],
            [
                maint(
                    "2026-03-10T10:00:00-07:00",
                    "2026-03-10T12:00:00-07:00",
                    "2026-03-07T10:00:00-07:00",
                )
            ],
        ),  # fmt: skip
        "40.00",
        [month("2026-03", 3600, 99.865229, False, "40.00")],
        id="ops-notice-exactly-72h-is-excused",
    ),
    pytest.param(
        # Notice one second short of 72 h: nothing excused, M = 0, D = 10800 s = 12 blocks;
        # 310.00 x 12 / 31 = 120.00; (2678400 - 10800) / 2678400 = 99.596774...%
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:30:00-07:00")],
            [
                maint(
                    "2026-03-10T10:00:00-07:00",
                    "2026-03-10T12:00:00-07:00",
                    "2026-03-07T10:00:01-07:00",
                )
            ],
        ),  # fmt: skip
        "120.00",
        [month("2026-03", 10800, 99.596774, False, "120.00")],
        id="ops-short-notice-not-excused",
    ),
    pytest.param(
        # notice_at null: never announced, not excused. Same as short notice: 120.00.
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:30:00-07:00")],
            [maint("2026-03-10T10:00:00-07:00", "2026-03-10T12:00:00-07:00", None)],
        ),
        "120.00",
        [month("2026-03", 10800, 99.596774, False, "120.00")],
        id="ops-null-notice-not-excused",
    ),
    pytest.param(
        # Window crosses midnight: maintenance 23:00 Mar 10 -> 04:00 Mar 11, noticed a week
        # ahead. Excused only 23:00-02:00 (M = 10800); 02:00-04:00 is outside 10:00-02:00.
        # Downtime 00:00-03:00 -> qualifying 02:00-03:00 = 3600 s = 4 blocks = 40.00.
        # (2678400 - 10800 - 3600) / (2678400 - 10800) = 99.865047...%
        ops(
            [down("2026-03-11T00:00:00-07:00", "2026-03-11T03:00:00-07:00")],
            [
                maint(
                    "2026-03-10T23:00:00-07:00",
                    "2026-03-11T04:00:00-07:00",
                    "2026-03-01T00:00:00-07:00",
                )
            ],
        ),  # fmt: skip
        "40.00",
        [month("2026-03", 3600, 99.865047, False, "40.00")],
        id="ops-window-crossing-midnight",
    ),
    pytest.param(
        # Window edges: maintenance 01:00-03:00 and 09:45-10:15, both well noticed.
        # Excused: 01:00-02:00 and 10:00-10:15 -> M = 3600 + 900 = 4500.
        # Downtime 01:30-02:30 -> qualifying 02:00-02:30 (1800 s);
        # downtime 09:45-10:15 -> qualifying 09:45-10:00 (900 s). D = 2700 s = 3 blocks = 30.00.
        # (2678400 - 4500 - 2700) / (2678400 - 4500) = 99.899023...%
        ops(
            [
                down("2026-03-11T01:30:00-07:00", "2026-03-11T02:30:00-07:00"),
                down("2026-03-11T09:45:00-07:00", "2026-03-11T10:15:00-07:00"),
            ],
            [
                maint(
                    "2026-03-11T01:00:00-07:00",
                    "2026-03-11T03:00:00-07:00",
                    "2026-03-01T00:00:00-07:00",
                ),
                maint(
                    "2026-03-11T09:45:00-07:00",
                    "2026-03-11T10:15:00-07:00",
                    "2026-03-01T00:00:00-07:00",
                ),
            ],
        ),  # fmt: skip
        "30.00",
        [month("2026-03", 2700, 99.899023, False, "30.00")],
        id="ops-window-edges-02h-and-10h",
    ),
    pytest.param(
        # Maintenance wholly outside the window (03:00-09:00), noticed: nothing excused.
        # Downtime 04:00-05:00 = 3600 s = 4 blocks = 40.00; (2678400 - 3600) / 2678400
        # = 99.865591...%
        ops(
            [down("2026-03-11T04:00:00-07:00", "2026-03-11T05:00:00-07:00")],
            [
                maint(
                    "2026-03-11T03:00:00-07:00",
                    "2026-03-11T09:00:00-07:00",
                    "2026-03-01T00:00:00-07:00",
                )
            ],
        ),  # fmt: skip
        "40.00",
        [month("2026-03", 3600, 99.865591, False, "40.00")],
        id="ops-maintenance-outside-window",
    ),
    pytest.param(
        # Excused maintenance counts in M though no downtime overlaps it: maintenance 12:00-14:00
        # noticed (M = 7200), downtime elsewhere 16:00-17:00 (D = 3600, 4 blocks = 40.00).
        # (2678400 - 7200 - 3600) / (2678400 - 7200) = 99.865229...%
        ops(
            [down("2026-03-10T16:00:00-07:00", "2026-03-10T17:00:00-07:00")],
            [
                maint(
                    "2026-03-10T12:00:00-07:00",
                    "2026-03-10T14:00:00-07:00",
                    "2026-03-01T00:00:00-07:00",
                )
            ],
        ),  # fmt: skip
        "40.00",
        [month("2026-03", 3600, 99.865229, False, "40.00")],
        id="ops-maintenance-counts-in-m-without-overlap",
    ),
    pytest.param(
        # An Exception tag changes nothing here: 1800 s counts, 2 blocks x 310.00 / 31 = 20.00.
        ops([down("2026-03-10T10:00:00-07:00", "2026-03-10T10:30:00-07:00", "dns-issue")]),
        "20.00",
        [month("2026-03", 1800, 99.932795, False, "20.00")],
        id="ops-exception-still-counts",
    ),
    pytest.param(
        # 3 h = 12 blocks -> 310.00 x 12 / 31 = 120.00 uncapped; mrc_paid 100.00 -> 100.00, capped.
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:30:00-07:00")],
            mrc_paid="100.00",
        ),
        "100.00",
        [month("2026-03", 10800, 99.596774, False, "100.00", capped=True)],
        id="ops-capped-at-mrc-paid",
    ),
    pytest.param(
        # 120.00 uncapped; cap left = mrc_paid 100.00 - already credited 30.00 = 70.00.
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:30:00-07:00")],
            mrc_paid="100.00",
            already_credited="30.00",
        ),
        "70.00",
        [month("2026-03", 10800, 99.596774, False, "70.00", capped=True)],
        id="ops-cap-less-already-credited",
    ),
    pytest.param(
        # 150 min = 9000 s = 10 blocks -> 310.00 x 10 / 31 = 100.00 = mrc_paid: equal, not capped.
        # (2678400 - 9000) / 2678400 = 99.663978...%
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:00:00-07:00")],
            mrc_paid="100.00",
        ),
        "100.00",
        [month("2026-03", 9000, 99.663978, False, "100.00", capped=False)],
        id="ops-equal-to-cap-is-not-capped",
    ),
    pytest.param(
        # already_credited 150.00 > mrc_paid 100.00: cap left 0 -> 0.00, capped (100.00 > 0).
        ops(
            [down("2026-03-10T09:30:00-07:00", "2026-03-10T12:00:00-07:00")],
            mrc_paid="100.00",
            already_credited="150.00",
        ),
        "0.00",
        [month("2026-03", 9000, 99.663978, False, "0.00", capped=True)],
        id="ops-cap-used-up",
    ),
    pytest.param(
        # The cap is mrc_paid, not the fee: 50 h = 200 blocks -> 310.00 x 200 / 31 = 2000.00;
        # mrc_paid 500.00 -> 500.00 (more than the fee 310.00), capped.
        # (2678400 - 180000) / 2678400 = 93.279569...%
        ops(
            [down("2026-03-10T00:00:00-07:00", "2026-03-12T02:00:00-07:00")],
            mrc_paid="500.00",
        ),
        "500.00",
        [month("2026-03", 180000, 93.279569, False, "500.00", capped=True)],
        id="ops-cap-basis-is-mrc-paid",
    ),
    pytest.param(
        # Feb 27 00:00 -> Mar 2 00:00 policy time. The cap applies to each month alike.
        # Feb: 2 days = 172800 s = 192 blocks -> 280.00 x 192 / 28 = 1920.00 -> cap 280.00.
        #   (2419200 - 172800) / 2419200 = 92.857142...%
        # Mar: 1 day = 86400 s = 96 blocks -> 280.00 x 96 / 31 = 867.10 -> cap 280.00.
        #   (2678400 - 86400) / 2678400 = 96.774193...%. Total 560.00.
        ops(
            [down("2026-02-27T00:00:00-07:00", "2026-03-02T00:00:00-07:00")],
            fee="280.00",
        ),
        "560.00",
        [
            month("2026-02", 172800, 92.857142, False, "280.00", capped=True),
            month("2026-03", 86400, 96.774193, False, "280.00", capped=True),
        ],
        id="ops-cap-applies-to-each-month",
    ),
    pytest.param(
        # ROUND_HALF_UP once at the end: April (30 days), 1 block, fee 3.15 -> 3.15 / 30 = 0.105
        # exactly -> 0.11 (half-even would give 0.10). (2592000 - 900) / 2592000 = 99.965277...%
        ops([down("2026-04-10T12:00:00-07:00", "2026-04-10T12:15:00-07:00")], fee="3.15"),
        "0.11",
        [month("2026-04", 900, 99.965277, False, "0.11")],
        id="ops-round-half-up",
    ),
    pytest.param(
        # A month touched only by maintenance is not listed: downtime in March (1 block,
        # 10.00), noticed maintenance in April only.
        ops(
            [down("2026-03-10T12:00:00-07:00", "2026-03-10T12:15:00-07:00")],
            [
                maint(
                    "2026-04-10T12:00:00-07:00",
                    "2026-04-10T14:00:00-07:00",
                    "2026-04-01T00:00:00-07:00",
                )
            ],
        ),  # fmt: skip
        "10.00",
        [month("2026-03", 900, 99.966397, False, "10.00")],
        id="ops-maintenance-only-month-not-listed",
    ),
]

# groupspark: UTC-05:00, all maintenance excused, Exceptions dropped, credit 0 when the 99.999 %
# commitment is met, else each started hour x fee / 720, cap = fee - already credited.
GROUPSPARK = [
    pytest.param(
        # T - M = 2678400 - 78400 = 2600000; D = 26 s: 100 x 2599974 / 2600000 = 99.999 exactly
        # -> met (>=) -> 0.00. Maintenance Mar 20 00:00 -> 21:46:40 = 78400 s, no notice needed.
        gsp(
            [down("2026-03-10T14:00:00-05:00", "2026-03-10T14:00:26-05:00")],
            [maint("2026-03-20T00:00:00-05:00", "2026-03-20T21:46:40-05:00")],
        ),
        "0.00",
        [month("2026-03", 26, 99.999, True, "0.00")],
        id="gsp-99.999-exactly-met",
    ),
    pytest.param(
        # D = 27 s: 100 x 2599973 / 2600000 = 99.998961...% < 99.999 -> missed;
        # ceil(27 / 3600) = 1 hour x 720.00 / 720 = 1.00.
        gsp(
            [down("2026-03-10T14:00:00-05:00", "2026-03-10T14:00:27-05:00")],
            [maint("2026-03-20T00:00:00-05:00", "2026-03-20T21:46:40-05:00")],
        ),
        "1.00",
        [month("2026-03", 27, 99.998961, False, "1.00")],
        id="gsp-99.999-just-missed",
    ),
    pytest.param(
        # 60 min exactly = 1 hour -> 720.00 x 1 / 720 = 1.00; (2678400 - 3600) / 2678400
        # = 99.865591...%
        gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T15:00:00-05:00")]),
        "1.00",
        [month("2026-03", 3600, 99.865591, False, "1.00")],
        id="gsp-exactly-one-hour",
    ),
    pytest.param(
        # 61 min = 3660 s -> ceil(3660 / 3600) = 2 started hours -> 2.00;
        # (2678400 - 3660) / 2678400 = 99.863351...%
        gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T15:01:00-05:00")]),
        "2.00",
        [month("2026-03", 3660, 99.863351, False, "2.00")],
        id="gsp-started-hour-counts",
    ),
    pytest.param(
        # 720 is fixed whatever the month's length: February (28 days), 3 h -> 3 x 720 / 720
        # = 3.00; (2419200 - 10800) / 2419200 = 99.553571...%
        gsp([down("2026-02-10T14:00:00-05:00", "2026-02-10T17:00:00-05:00")]),
        "3.00",
        [month("2026-02", 10800, 99.553571, False, "3.00")],
        id="gsp-720-whatever-the-month",
    ),
    pytest.param(
        # Only an Exception-tagged interval: dropped, D = 0, availability 100, met, listed, 0.00.
        gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T16:00:00-05:00", "internet-outage")]),
        "0.00",
        [month("2026-03", 0, 100.0, True, "0.00")],
        id="gsp-exception-only-month-listed-with-zero",
    ),
    pytest.param(
        # Tagged 14:00-16:00 does not remove untagged 15:00-15:30 inside it: D = 1800 s ->
        # 1 hour x 1440.00 / 720 = 2.00; (2678400 - 1800) / 2678400 = 99.932795...%
        gsp(
            [
                down("2026-03-10T14:00:00-05:00", "2026-03-10T16:00:00-05:00", "dns-propagation"),
                down("2026-03-10T15:00:00-05:00", "2026-03-10T15:30:00-05:00"),
            ],
            fee="1440.00",
        ),
        "2.00",
        [month("2026-03", 1800, 99.932795, False, "2.00")],
        id="gsp-exception-does-not-remove-untagged-overlap",
    ),
    pytest.param(
        # Every maintenance is excused, notice or not: maintenance 02:00-04:00 (M = 7200),
        # downtime 01:00-05:00 -> D = 4 h - 2 h = 7200 s -> 2 hours -> 2.00.
        # (2678400 - 7200 - 7200) / (2678400 - 7200) = 99.730458...%
        gsp(
            [down("2026-03-11T01:00:00-05:00", "2026-03-11T05:00:00-05:00")],
            [maint("2026-03-11T02:00:00-05:00", "2026-03-11T04:00:00-05:00", None)],
        ),
        "2.00",
        [month("2026-03", 7200, 99.730458, False, "2.00")],
        id="gsp-all-maintenance-excused",
    ),
    pytest.param(
        # 23:30 Mar 31 -> 00:30 Apr 1 EST: March 1800 s -> 1 hour -> 1.00; April 1800 s -> 1 hour
        # -> 1.00; total 2.00 (one UTC month would give 1 hour, 1.00).
        # March (2678400 - 1800) / 2678400 = 99.932795...%; April (2592000 - 1800) / 2592000
        # = 99.930555...%
        gsp([down("2026-03-31T23:30:00-05:00", "2026-04-01T00:30:00-05:00")]),
        "2.00",
        [
            month("2026-03", 1800, 99.932795, False, "1.00"),
            month("2026-04", 1800, 99.930555, False, "1.00"),
        ],
        id="gsp-month-boundary-in-est",
    ),
    pytest.param(
        # Mar 1 00:00 -> Mar 31 00:00 = 720 h -> 720 x 100.00 / 720 = 100.00 = the fee: not capped.
        # (2678400 - 2592000) / 2678400 = 3.225806...%
        gsp([down("2026-03-01T00:00:00-05:00", "2026-03-31T00:00:00-05:00")], fee="100.00"),
        "100.00",
        [month("2026-03", 2592000, 3.225806, False, "100.00", capped=False)],
        id="gsp-equal-to-fee-cap-not-capped",
    ),
    pytest.param(
        # The whole of March down: 744 h x 100.00 / 720 = 103.33 -> capped at fee - already
        # credited = 100.00 - 40.00 = 60.00. Availability 0.
        gsp(
            [down("2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-05:00")],
            fee="100.00",
            already_credited="40.00",
        ),
        "60.00",
        [month("2026-03", 2678400, 0.0, False, "60.00", capped=True)],
        id="gsp-capped-at-fee-less-already-credited",
    ),
    pytest.param(
        # mrc_paid is onepointsync's cap; groupspark caps at the fee. 3 h x 720.00 / 720 = 3.00
        # with mrc_paid 1.00 is still 3.00, not capped. (2678400 - 10800) / 2678400 = 99.596774%
        gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T17:00:00-05:00")], mrc_paid="1.00"),
        "3.00",
        [month("2026-03", 10800, 99.596774, False, "3.00")],
        id="gsp-mrc-paid-is-not-its-cap",
    ),
    pytest.param(
        # Exception-tagged downtime in April only, real downtime in March (20 min -> 1.00):
        # both months listed, April with 0.00 and 100 %.
        gsp(
            [
                down("2026-03-10T14:00:00-05:00", "2026-03-10T14:20:00-05:00"),
                down("2026-04-10T14:00:00-05:00", "2026-04-10T18:00:00-05:00", "customer-circuit"),
            ]
        ),
        "1.00",
        [
            month("2026-03", 1200, 99.955197, False, "1.00"),
            month("2026-04", 0, 100.0, True, "0.00"),
        ],
        id="gsp-exception-month-listed",
    ),
]

# tiered-example: UTC, maintenance and Exceptions as groupspark; below 99.99 -> 10 %,
# below 99.0 -> 25 %, below 95.0 -> 100 %; cap = fee - already credited.
# April: T = 2592000; maintenance Apr 20 00:00-00:33:20Z gives M = 2000, T - M = 2590000,
# so 0.01 % is 259 s, 1 % is 25900 s and 5 % is 129500 s exactly.
_APRIL_M = maint("2026-04-20T00:00:00Z", "2026-04-20T00:33:20Z")
TIERED = [
    pytest.param(
        # D = 259 s: exactly 99.99 -> not below any threshold -> met, 0.00.
        tier([down("2026-04-10T00:00:00Z", "2026-04-10T00:04:19Z")], [_APRIL_M]),
        "0.00",
        [month("2026-04", 259, 99.99, True, "0.00")],
        id="tier-exactly-99.99",
    ),
    pytest.param(
        # D = 260 s: 100 x 2589740 / 2590000 = 99.989961...% -> below 99.99 -> 10 % = 10.00.
        tier([down("2026-04-10T00:00:00Z", "2026-04-10T00:04:20Z")], [_APRIL_M]),
        "10.00",
        [month("2026-04", 260, 99.989961, False, "10.00")],
        id="tier-just-below-99.99",
    ),
    pytest.param(
        # D = 25900 s (7:11:40): exactly 99.0 -> not below 99.0, below 99.99 -> 10 % = 10.00.
        tier([down("2026-04-10T00:00:00Z", "2026-04-10T07:11:40Z")], [_APRIL_M]),
        "10.00",
        [month("2026-04", 25900, 99.0, False, "10.00")],
        id="tier-exactly-99.0",
    ),
    pytest.param(
        # D = 25901 s: 98.999961...% -> below 99.0 -> 25 % = 25.00.
        tier([down("2026-04-10T00:00:00Z", "2026-04-10T07:11:41Z")], [_APRIL_M]),
        "25.00",
        [month("2026-04", 25901, 98.999961, False, "25.00")],
        id="tier-just-below-99.0",
    ),
    pytest.param(
        # D = 129500 s (1 d 11:58:20): exactly 95.0 -> 25 % = 25.00.
        tier([down("2026-04-10T00:00:00Z", "2026-04-11T11:58:20Z")], [_APRIL_M]),
        "25.00",
        [month("2026-04", 129500, 95.0, False, "25.00")],
        id="tier-exactly-95.0",
    ),
    pytest.param(
        # D = 129501 s: 94.999961...% -> 100 % of 100.00 = 100.00 = the cap: not capped.
        tier([down("2026-04-10T00:00:00Z", "2026-04-11T11:58:21Z")], [_APRIL_M]),
        "100.00",
        [month("2026-04", 129501, 94.999961, False, "100.00", capped=False)],
        id="tier-just-below-95.0",
    ),
    pytest.param(
        # 100 % band again with 10.00 already credited: cap 90.00 -> 90.00, capped.
        tier(
            [down("2026-04-10T00:00:00Z", "2026-04-11T11:58:21Z")],
            [_APRIL_M],
            already_credited="10.00",
        ),
        "90.00",
        [month("2026-04", 129501, 94.999961, False, "90.00", capped=True)],
        id="tier-capped",
    ),
    pytest.param(
        # Maintenance covers all of April: T - M = 0 -> availability 100, met, D = 0, 0.00.
        tier(
            [down("2026-04-10T00:00:00Z", "2026-04-10T01:00:00Z")],
            [maint("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z")],
        ),
        "0.00",
        [month("2026-04", 0, 100.0, True, "0.00")],
        id="tier-whole-month-maintenance-is-100",
    ),
    pytest.param(
        # Exception dropped: the tagged hour is ignored, the month listed with 100 %, 0.00.
        tier(
            [down("2026-04-10T00:00:00Z", "2026-04-10T01:00:00Z", "force-majeure-or-third-party")]
        ),
        "0.00",
        [month("2026-04", 0, 100.0, True, "0.00")],
        id="tier-exception-dropped",
    ),
]


@pytest.mark.parametrize(("payload", "credit", "months"), ONEPOINTSYNC + GROUPSPARK + TIERED)
def test_hand_worked_case(payload, credit, months):
    assert run(payload) == {"credit": credit, "months": months}


def test_batch_gives_a_list_in_order():
    # Three requests, one per policy, each a case above: 30.00, 1.00 (the contract example), 0.00.
    batch = [
        ops([down("2026-03-10T09:00:00-07:00", "2026-03-10T09:47:00-07:00")]),
        gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T14:20:00-05:00")]),
        tier([down("2026-04-10T00:00:00Z", "2026-04-10T01:00:00Z", "dns-issue")]),
    ]
    requests = parse_payload(json.dumps(batch), SHIPPED_POLICIES)
    assert [request.policy for request in requests] == [
        "onepointsync",
        "groupspark",
        "tiered-example",
    ]
    results = [render(quote(SHIPPED_POLICIES[r.policy], r)) for r in requests]
    assert [result["credit"] for result in results] == ["30.00", "1.00", "0.00"]
    assert results == [run(payload) for payload in batch]


def test_no_downtime_gives_zero_and_no_months():
    assert run(gsp([], [maint("2026-03-20T00:00:00-05:00", "2026-03-20T02:00:00-05:00")])) == {
        "credit": "0.00",
        "months": [],
    }


def test_breakdown_lines_show_the_arithmetic():
    # 47 min -> 3 complete blocks x 310.00 / 31 = 30.00, as in the first onepointsync case.
    request = parse_request(
        ops([down("2026-03-10T09:00:00-07:00", "2026-03-10T09:47:00-07:00")], mrc_paid="300.00")
    )
    output = render(quote(SHIPPED_POLICIES["onepointsync"], request), breakdown=True)
    lines = output["months"][0]["breakdown"]
    assert lines == [
        "2026-03 (onepointsync, policy time UTC-07:00): 2678400 s in the month, 0 s excused "
        "maintenance, 2820 s qualifying downtime",
        "availability (2678400 - 0 - 2820) / (2678400 - 0) x 100 = 99.894713% < target 99.99%: "
        "commitment missed",
        "47 min qualifying -> 3 complete 15-minute blocks x 310.00 / 31 days in the month = 30.00",
        "cap left 300.00 (mrc_paid less already credited): credit 30.00",
    ]
    # The contract output without breakdown is unchanged by asking for it.
    del output["months"][0]["breakdown"]
    assert output == render(quote(SHIPPED_POLICIES["onepointsync"], request))


def test_hourly_breakdown_names_started_hours_and_cap_cut():
    request = parse_request(
        gsp([down("2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-05:00")], fee="100.00")
    )
    lines = quote(SHIPPED_POLICIES["groupspark"], request).months[0].breakdown
    # 744 h = 44640 min -> 744 started hours x 100.00 / 720 = 103.33, cut to the fee 100.00.
    assert lines[2] == "44640 min qualifying -> 744 started hours x 100.00 / 720 = 103.33"
    assert lines[3] == (
        "cap left 100.00 (monthly fee less already credited): 103.33 cut to 100.00 (capped)"
    )


def test_fractions_of_a_second_are_dropped():
    # Measured to the second: each instant is floored, so 12:00:00.9 -> 12:15:00.2 counts as
    # 12:00:00 -> 12:15:00 = 900 s = 1 block = 310.00 / 31 = 10.00.
    payload = ops([down("2026-03-10T12:00:00.900-07:00", "2026-03-10T12:15:00.200-07:00")])
    assert run(payload) == {
        "credit": "10.00",
        "months": [month("2026-03", 900, 99.966397, False, "10.00")],
    }


def test_versions_are_chosen_per_month():
    # Version 2 from April 1 (policy time) halves the divisor and moves to UTC. The months are
    # split in the timezone in force at the earliest downtime (UTC-05:00), so 23:30-00:30 EST is
    # March 1800 s and April 1800 s. March: 1 hour x 720.00 / 720 = 1.00 (version 1);
    # April: 1 hour x 720.00 / 360 = 2.00 (version 2). Total 3.00.
    version_1 = SHIPPED_POLICIES["groupspark"]
    version_2 = replace(version_1, timezone="UTC", hourly_divisor=Decimal(360), version="2")
    switch = datetime(2026, 4, 1, 5, tzinfo=UTC)
    asked = []

    def terms_for(instant):
        asked.append(instant)
        return version_2 if instant >= switch else version_1

    request = parse_request(gsp([down("2026-03-31T23:30:00-05:00", "2026-04-01T00:30:00-05:00")]))
    result = quote(terms_for, request)
    assert [(m.month, m.credit, m.terms.version) for m in result.months] == [
        ("2026-03", Decimal("1.00"), ""),
        ("2026-04", Decimal("2.00"), "2"),
    ]
    assert result.credit == Decimal("3.00")
    # Asked at the earliest downtime start (for the split, then for March), then at April's
    # first downtime instant, which is April's start, 05:00Z.
    assert asked == [
        datetime(2026, 4, 1, 4, 30, tzinfo=UTC),
        datetime(2026, 4, 1, 4, 30, tzinfo=UTC),
        switch,
    ]


def test_terms_of_another_policy_are_refused():
    request = parse_request(gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T14:20:00-05:00")]))
    with pytest.raises(ValueError, match="onepointsync"):
        quote(SHIPPED_POLICIES["onepointsync"], request)


def test_month_quote_carries_exact_availability():
    # 20 min in March: (2678400 - 1200) / 2678400 x 100 = 267720000 / 2678400; both divide by
    # 4800 -> 55775 / 558 (= 99.955197...).
    request = parse_request(gsp([down("2026-03-10T14:00:00-05:00", "2026-03-10T14:20:00-05:00")]))
    (result,) = quote(SHIPPED_POLICIES["groupspark"], request).months
    assert result.availability == Fraction(55775, 558)
    assert (result.total_seconds, result.maintenance_seconds, result.qualifying_seconds) == (
        2678400,
        0,
        1200,
    )
    assert (result.uncapped_credit, result.cap_left, result.units) == (
        Decimal("1.00"),
        Decimal("720.00"),
        1,
    )
