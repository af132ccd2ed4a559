"""Bad input to the quote contract, each refused with the offending field named; and bad policy
parameters, refused by PolicyTerms."""

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from sla.engine import (
    SHIPPED_POLICIES,
    Downtime,
    Maintenance,
    PolicyTerms,
    QuoteInputError,
    QuoteRequest,
    parse_payload,
    parse_request,
    parse_timezone,
)


def good():
    return {
        "policy": "groupspark",
        "monthly_fee": "720.00",
        "downtime": [
            {
                "start": "2026-03-10T14:00:00-05:00",
                "end": "2026-03-10T14:20:00-05:00",
                "exception": None,
            }
        ],
        "maintenance": [
            {
                "start": "2026-03-11T01:00:00-05:00",
                "end": "2026-03-11T02:00:00-05:00",
                "notice_at": "2026-03-01T00:00:00Z",
            }
        ],
        "mrc_paid": "720.00",
        "already_credited": "0.00",
    }


def refusal(payload, known_policies=SHIPPED_POLICIES) -> QuoteInputError:
    text = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    with pytest.raises(QuoteInputError) as error:
        parse_payload(text, known_policies)
    return error.value


def with_change(path, value):
    """good() with one value replaced (value DELETE removes the key); path like
    ("downtime", 0, "end")."""
    payload = good()
    target = payload
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


DELETE = object()


def test_good_payload_parses():
    request = parse_payload(json.dumps(good()), SHIPPED_POLICIES)
    assert request.policy == "groupspark"
    assert request.monthly_fee == Decimal("720.00")
    assert request.downtime == (
        Downtime(datetime(2026, 3, 10, 19, tzinfo=UTC), datetime(2026, 3, 10, 19, 20, tzinfo=UTC)),
    )
    assert request.maintenance[0].notice_at == datetime(2026, 3, 1, tzinfo=UTC)


def test_bytes_are_read_as_utf8():
    assert parse_payload(json.dumps(good()).encode()).policy == "groupspark"


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        # policy: missing, not a string, unknown
        (("policy",), DELETE, "policy", "is required"),
        (("policy",), 5, "policy", "slug"),
        (("policy",), "", "policy", "slug"),
        (("policy",), "acme-sla", "policy", "unknown policy 'acme-sla'"),
        # money: not a non-negative decimal string. JSON numbers are refused: a float may already
        # have lost the amount, and the error says to send a string.
        (("monthly_fee",), DELETE, "monthly_fee", "is required"),
        (("monthly_fee",), "-1", "monthly_fee", "non-negative decimal string"),
        (("monthly_fee",), "abc", "monthly_fee", "non-negative decimal string"),
        (("monthly_fee",), "1e3", "monthly_fee", "non-negative decimal string"),
        (("monthly_fee",), "NaN", "monthly_fee", "non-negative decimal string"),
        (("monthly_fee",), "", "monthly_fee", "non-negative decimal string"),
        (("monthly_fee",), " 5", "monthly_fee", "non-negative decimal string"),
        (("monthly_fee",), 5, "monthly_fee", "send the amount as a string"),
        (("monthly_fee",), 5.5, "monthly_fee", "send the amount as a string"),
        (("monthly_fee",), True, "monthly_fee", "send the amount as a string"),
        (("mrc_paid",), "-0.01", "mrc_paid", "non-negative decimal string"),
        (("already_credited",), "x", "already_credited", "non-negative decimal string"),
        (("already_credited",), 0, "already_credited", "send the amount as a string"),
        # naive or unreadable timestamps
        (("downtime", 0, "start"), "2026-03-10T14:00:00", "downtime[0].start", "no UTC offset"),
        (("downtime", 0, "end"), "2026-03-10T14:20:00", "downtime[0].end", "no UTC offset"),
        (("downtime", 0, "start"), "2026-03-10", "downtime[0].start", "no UTC offset"),
        (("maintenance", 0, "start"), "2026-03-11T01:00", "maintenance[0].start", "no UTC offset"),
        (("maintenance", 0, "end"), "2026-03-11T02:00", "maintenance[0].end", "no UTC offset"),
        (("maintenance", 0, "notice_at"), "2026-03-01", "maintenance[0].notice_at", "no UTC"),
        (("downtime", 0, "start"), "yesterday", "downtime[0].start", "ISO 8601"),
        (("downtime", 0, "start"), 1773151200, "downtime[0].start", "ISO 8601"),
        (("downtime", 0, "start"), DELETE, "downtime[0].start", "is required"),
        (("downtime", 0, "end"), None, "downtime[0].end", "is required"),
        (("maintenance", 0, "end"), DELETE, "maintenance[0].end", "is required"),
        (("downtime", 0, "start"), "0001-01-01T00:00:00Z", "downtime[0].start", "1900"),
        # end <= start
        (("downtime", 0, "end"), "2026-03-10T14:00:00-05:00", "downtime[0].end", "after start"),
        (("downtime", 0, "end"), "2026-03-10T18:59:59Z", "downtime[0].end", "after start"),
        (("maintenance", 0, "end"), "2026-03-11T01:00:00-05:00", "maintenance[0].end", "after"),
        (("maintenance", 0, "end"), "2026-03-10T01:00:00-05:00", "maintenance[0].end", "after"),
        # exception: one of the ten slugs or null
        (("downtime", 0, "exception"), "act-of-god", "downtime[0].exception", "dns-issue"),
        (("downtime", 0, "exception"), "DNS-ISSUE", "downtime[0].exception", "one of"),
        (("downtime", 0, "exception"), 4, "downtime[0].exception", "Exception slug"),
        # unknown keys, each named
        (("surprise",), 1, "surprise", "unknown key 'surprise'"),
        (("downtime", 0, "cause"), "x", "downtime[0].cause", "unknown key 'cause'"),
        (("maintenance", 0, "notice"), "x", "maintenance[0].notice", "unknown key 'notice'"),
        # wrong shapes
        (("downtime",), DELETE, "downtime", "is required"),
        (("downtime",), {"start": "x"}, "downtime", "list"),
        (("downtime", 0), "2026-03-10", "downtime[0]", "JSON object"),
        (("maintenance",), "none", "maintenance", "list"),
        (("maintenance", 0), [], "maintenance[0]", "JSON object"),
    ],
)
def test_bad_field_is_named(path, value, field, words):
    error = refusal(with_change(path, value))
    assert error.field == field
    assert words in error.message
    assert str(error) == f"{field}: {error.message}"


def test_optional_fields_may_be_left_out():
    payload = good()
    for key in ("maintenance", "mrc_paid", "already_credited"):
        del payload[key]
    del payload["downtime"][0]["exception"]
    request = parse_request(payload)
    assert (request.mrc_paid, request.already_credited, request.maintenance) == (
        Decimal("720.00"),
        Decimal(0),
        (),
    )


def test_missing_notice_means_no_notice():
    payload = with_change(("maintenance", 0, "notice_at"), DELETE)
    assert parse_request(payload).maintenance[0].notice_at is None


def test_unknown_policy_is_accepted_without_a_list_of_known_ones():
    assert parse_request(with_change(("policy",), "acme-sla")).policy == "acme-sla"


@pytest.mark.parametrize(
    "text", ['{"policy": ', "", "{'policy': 'groupspark'}", "[1, 2", b"\xff\xfe{"]
)
def test_malformed_json(text):
    error = refusal(text)
    assert error.field == ""
    assert error.message.startswith("malformed JSON")
    assert str(error).startswith("input: malformed JSON")


@pytest.mark.parametrize("text", ['"groupspark"', "42", "null", "true"])
def test_wrong_top_level_type(text):
    error = refusal(text)
    assert (error.field, error.message) == ("", "must be a JSON object or a list of JSON objects")


def test_batch_errors_carry_the_index():
    bad_end = with_change(("downtime", 0, "end"), "2026-03-10T13:00:00-05:00")
    error = refusal([good(), good(), bad_end])
    assert error.field == "[2].downtime[0].end"
    assert str(error) == "[2].downtime[0].end: must be after start"
    assert refusal([good(), with_change(("policy",), DELETE)]).field == "[1].policy"
    assert refusal([good(), 5]).field == "[1]"


def test_parse_request_refuses_a_non_object():
    with pytest.raises(QuoteInputError) as error:
        parse_request(["policy"])
    assert error.value.field == ""


# The Django side builds QuoteRequest directly: the same checks, the same field names.
def test_direct_request_refuses_naive_and_float_values():
    naive = datetime(2026, 3, 10, 14)
    with pytest.raises(QuoteInputError) as error:
        QuoteRequest("groupspark", Decimal(1), (Downtime(naive, naive + timedelta(hours=1)),))
    assert error.value.field == "downtime[0].start"
    with pytest.raises(QuoteInputError) as error:
        QuoteRequest("groupspark", 1.5)
    assert error.value.field == "monthly_fee"
    with pytest.raises(QuoteInputError) as error:
        QuoteRequest("groupspark", Decimal(1), already_credited=Decimal(-1))
    assert error.value.field == "already_credited"
    aware = datetime(2026, 3, 10, 14, tzinfo=UTC)
    with pytest.raises(QuoteInputError) as error:
        QuoteRequest("groupspark", Decimal(1), maintenance=(Maintenance(aware, aware, None),))
    assert error.value.field == "maintenance[0].end"


def test_direct_request_normalises_to_utc():
    mst = timezone(timedelta(hours=-7))
    start = datetime(2026, 3, 10, 9, tzinfo=mst)
    request = QuoteRequest(
        "onepointsync", Decimal("310.00"), (Downtime(start, start + timedelta(minutes=47)),)
    )
    assert request.downtime[0].start == datetime(2026, 3, 10, 16, tzinfo=UTC)
    assert request.downtime[0].start.tzinfo is UTC
    assert request.mrc_paid == Decimal("310.00")


# Policy parameters: nonsense is refused, naming the field.
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "linear"}, "kind"),
        ({"block_minutes": -15}, "block_minutes"),
        ({"block_minutes": 0}, "block_minutes"),
        ({"target_percent": Decimal(0)}, "target_percent"),
        ({"target_percent": Decimal("100.5")}, "target_percent"),
        ({"target_percent": 99.99}, "target_percent"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"hourly_divisor": Decimal(0)}, "hourly_divisor"),
        ({"hour_rounding": "round"}, "hour_rounding"),
        ({"block_rounding": "nearest"}, "block_rounding"),
        ({"maintenance_rule": "some"}, "maintenance_rule"),
        ({"notice_hours": -1}, "notice_hours"),
        ({"window_start": "10:00"}, "window_start"),
        ({"cap_basis": "invoice"}, "cap_basis"),
        ({"money_rounding": "ROUND_CEILING"}, "money_rounding"),
        ({"kind": "tiered", "tiers": ()}, "tiers"),
        ({"tiers": ((Decimal(99), Decimal(10)), (Decimal(99), Decimal(20)))}, "tiers"),
        ({"tiers": ((Decimal(101), Decimal(10)),)}, "tiers"),
        ({"slug": ""}, "slug"),
    ],
)
def test_bad_policy_terms_are_refused(change, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        replace(SHIPPED_POLICIES["groupspark"], **change)


def test_policy_terms_accept_lists_and_keep_them_as_tuples():
    terms = PolicyTerms(
        slug="x",
        name="X",
        kind="tiered",
        target_percent=Decimal("99.9"),
        tiers=[[Decimal("99.9"), Decimal(5)]],
        window_start=time(10),
    )
    assert terms.tiers == ((Decimal("99.9"), Decimal(5)),)
    assert hash(terms) == hash(replace(terms))


@pytest.mark.parametrize(
    ("name", "offset"),
    [
        ("UTC", timedelta(0)),
        ("UTC-07:00", timedelta(hours=-7)),
        ("UTC+05:30", timedelta(hours=5, minutes=30)),
        ("UTC+00:00", timedelta(0)),
    ],
)
def test_parse_timezone_offsets(name, offset):
    assert parse_timezone(name).utcoffset(None) == offset


def test_parse_timezone_iana():
    zone = parse_timezone("America/Denver")
    assert datetime(2026, 7, 1, tzinfo=zone).utcoffset() == timedelta(hours=-6)


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "UTC-7",
        "UTC-7:00",
        "UTC+24:00",
        "UTC+05:60",
        "Nowhere/City",
        "",
        "../etc",
        5,
    ],
)
def test_parse_timezone_refuses(name):
    with pytest.raises(ValueError):
        parse_timezone(name)
