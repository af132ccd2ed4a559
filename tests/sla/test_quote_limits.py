"""The quote API's size limits and the contract's readings of what SLA_RULES.md left open, through
the pure engine, the API and the command (SLA_RULES.md, "Readings of what the contract left
open")."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sla.engine import (
    SHIPPED_POLICIES,
    QuoteInputError,
    QuoteTooLarge,
    parse_payload,
    quote,
    render,
)

pytestmark = pytest.mark.django_db

TWENTY_MINUTES = {
    "start": "2026-03-10T14:00:00-05:00",
    "end": "2026-03-10T14:20:00-05:00",
}
EXAMPLE = {"policy": "groupspark", "monthly_fee": "720.00", "downtime": [TWENTY_MINUTES]}


def engine_quote(payload):
    request = parse_payload(json.dumps(payload), SHIPPED_POLICIES)
    return render(quote(SHIPPED_POLICIES[request.policy], request))


@pytest.fixture
def api(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def post(api, body, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return api.post("/api/v1/quotes/", data=data, content_type=content_type)


def command(payload, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps(payload))
    out = io.StringIO()
    call_command("quote_credit", "--input", str(path), stdout=out)
    return json.loads(out.getvalue())


# --- size -------------------------------------------------------------------------------------


def test_empty_body_is_a_400_not_a_500(api):
    response = api.post("/api/v1/quotes/", data=b"", content_type="application/json")
    assert response.status_code == 400
    assert "malformed JSON" in response.json()[""][0]


def test_body_over_5_mb_is_413_naming_the_limit(api):
    body = json.dumps([EXAMPLE]).encode() + b" " * (5 * 1024 * 1024)
    response = post(api, body)
    assert response.status_code == 413
    assert "5,242,880 bytes" in response.content.decode()
    assert "5 MB" in response.content.decode()


def test_body_just_under_5_mb_is_read(api):
    body = json.dumps(EXAMPLE).encode()
    body += b" " * (5 * 1024 * 1024 - len(body))
    response = post(api, body)
    assert response.status_code == 200, response.content[:200]
    assert response.json()["credit"] == "1.00"


def test_more_than_1000_quotes_is_413_naming_the_limit(api):
    response = post(api, [EXAMPLE] * 1001)
    assert response.status_code == 413
    [message] = response.json()[""]
    assert "1,001" in message and "at most 1,000" in message


def test_exactly_1000_quotes_are_answered(api):
    response = post(api, [{**EXAMPLE, "downtime": []}] * 1000)
    assert response.status_code == 200
    assert len(response.json()) == 1000


def test_more_than_10000_intervals_in_all_is_413(api):
    # 11 quotes of 1,000 intervals each: each quote is small, together they are not.
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    many = [
        {
            "start": (base + dt.timedelta(minutes=2 * i)).isoformat(),
            "end": (base + dt.timedelta(minutes=2 * i + 1)).isoformat(),
        }
        for i in range(1000)
    ]
    response = post(api, [{**EXAMPLE, "downtime": many}] * 11)
    assert response.status_code == 413
    [message] = response.json()[""]
    assert "11,000" in message and "at most 10,000" in message


def test_engine_applies_limits_only_when_asked():
    text = json.dumps([{**EXAMPLE, "downtime": []}] * 3)
    with pytest.raises(QuoteTooLarge):
        parse_payload(text, SHIPPED_POLICIES, max_quotes=2)
    assert len(parse_payload(text, SHIPPED_POLICIES)) == 3


def test_command_has_no_limit(tmp_path):
    result = command([{**EXAMPLE, "downtime": []}] * 1001, tmp_path)
    assert len(result) == 1001


# --- fractions of a second are dropped ----------------------------------------------------------


def test_fractional_seconds_are_truncated():
    exact = engine_quote(EXAMPLE)
    fractional = engine_quote(
        {
            **EXAMPLE,
            "downtime": [
                {"start": "2026-03-10T14:00:00.999-05:00", "end": "2026-03-10T14:20:00.999-05:00"}
            ],
        }
    )
    assert fractional == exact
    assert fractional["months"][0]["qualifying_downtime_minutes"] == 20.0


def test_interval_inside_one_second_is_empty_after_truncation(api):
    payload = {
        **EXAMPLE,
        "downtime": [{"start": "2026-03-10T14:00:00.1Z", "end": "2026-03-10T14:00:00.9Z"}],
    }
    with pytest.raises(QuoteInputError) as error:
        engine_quote(payload)
    assert error.value.field == "downtime[0].end"
    response = post(api, payload)
    assert response.status_code == 400
    assert "downtime[0].end" in response.json()


# --- a cap with fractions of a cent is rounded down --------------------------------------------


def test_sub_cent_cap_is_rounded_down():
    # 20 minutes of groupspark earn 1.00; the cap left is 720.00 - 719.995 = 0.005 -> 0.00.
    result = engine_quote({**EXAMPLE, "already_credited": "719.995"})
    assert result["credit"] == "0.00"
    assert result["months"][0]["capped"] is True
    # OnePointSync: a cap of 10.009 (mrc_paid) gives at most 10.00, never 10.01.
    onepointsync = {
        "policy": "onepointsync",
        "monthly_fee": "3100.00",
        "mrc_paid": "10.009",
        "downtime": [TWENTY_MINUTES],
    }
    assert engine_quote(onepointsync)["credit"] == "10.00"


def test_sub_cent_cap_through_the_api_and_command(api, tmp_path):
    payload = {**EXAMPLE, "already_credited": "719.995"}
    assert post(api, payload).json()["credit"] == "0.00"
    assert command(payload, tmp_path)["credit"] == "0.00"


# --- null means absent; missing downtime and unknown keys are refused ---------------------------


def test_null_optional_fields_mean_absent():
    nulls = {
        **EXAMPLE,
        "mrc_paid": None,
        "already_credited": None,
        "maintenance": None,
        "downtime": [{**TWENTY_MINUTES, "exception": None}],
    }
    assert engine_quote(nulls) == engine_quote(EXAMPLE)
    notice_null = {
        **EXAMPLE,
        "maintenance": [
            {"start": "2026-03-11T01:00:00Z", "end": "2026-03-11T02:00:00Z", "notice_at": None}
        ],
    }
    without = {
        **EXAMPLE,
        "maintenance": [{"start": "2026-03-11T01:00:00Z", "end": "2026-03-11T02:00:00Z"}],
    }
    assert engine_quote(notice_null) == engine_quote(without)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in EXAMPLE.items() if k != "downtime"}, "downtime"),
        ({**EXAMPLE, "downtime": None}, "downtime"),
        ({**EXAMPLE, "fee": "1.00"}, "fee"),
        ({**EXAMPLE, "downtime": [{**TWENTY_MINUTES, "reason": "x"}]}, "downtime[0].reason"),
    ],
)
def test_missing_downtime_or_unknown_key_is_refused_by_name(api, payload, field):
    with pytest.raises(QuoteInputError) as error:
        engine_quote(payload)
    assert error.value.field == field
    response = post(api, payload)
    assert response.status_code == 400
    assert field in response.json()


# --- money is plain decimal notation ------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["7.2e2", "7E2", "NaN", "Infinity", "-Infinity", "-1", "-0.01", " 720", "1,000", ""]
)
def test_money_in_other_notation_is_refused(api, value):
    payload = {**EXAMPLE, "monthly_fee": value}
    with pytest.raises(QuoteInputError) as error:
        engine_quote(payload)
    assert error.value.field == "monthly_fee"
    assert post(api, payload).status_code == 400


@pytest.mark.parametrize("body", ['{"monthly_fee": 720}', '{"monthly_fee": 720.5}'])
def test_json_numbers_nan_and_infinity_literals_are_refused(api, body):
    for literal in (body, '{"monthly_fee": NaN}', '{"monthly_fee": Infinity}'):
        payload = json.loads(literal) | {"policy": "groupspark", "downtime": []}
        text = json.dumps(payload)  # NaN / Infinity stay literals, as a careless client sends
        with pytest.raises(QuoteInputError) as error:
            parse_payload(text, SHIPPED_POLICIES)
        assert error.value.field == "monthly_fee"
        response = post(api, text)
        assert response.status_code == 400
        assert "monthly_fee" in response.json()


@pytest.mark.parametrize("value", ["720", "720.5", "720.00"])
def test_plain_decimal_money_is_accepted(value):
    result = engine_quote({**EXAMPLE, "monthly_fee": value})
    assert result["months"][0]["qualifying_downtime_minutes"] == 20.0
