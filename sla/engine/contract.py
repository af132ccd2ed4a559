"""The quote contract (SLA_RULES.md, "The quote contract"): JSON in, JSON-ready dicts out.

Shared by `manage.py quote_credit` and `POST /api/v1/quotes/`. Parsing here only checks the JSON
shape and reads strings; `QuoteRequest` does every other check, for this contract and for the
Django side alike.
"""

import json
import re
from collections.abc import Container
from datetime import datetime
from decimal import Decimal

from .compute import Quote
from .request import QuoteInputError, QuoteRequest

_REQUEST_KEYS = frozenset(
    ("policy", "monthly_fee", "downtime", "maintenance", "mrc_paid", "already_credited")
)
_DOWNTIME_KEYS = frozenset(("start", "end", "exception"))
_MAINTENANCE_KEYS = frozenset(("start", "end", "notice_at"))
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_TIMESTAMP_WANTED = (
    'must be an ISO 8601 timestamp with a UTC offset, such as "2026-03-10T14:00:00-05:00"'
)
# Money must be a JSON string. A JSON number would be read as a float and may already have lost
# the amount written (0.1 + 0.2), so it is refused rather than silently converted.
_MONEY_WANTED = 'must be a non-negative decimal string such as "720.00"'
_MONEY_NOT_STRING = _MONEY_WANTED + " (JSON numbers are refused: send the amount as a string)"


class QuoteTooLarge(QuoteInputError):
    """A request beyond the API's size limits (SLA_RULES.md, "Size, for the API"); the API
    answers 413 naming the limit."""


def parse_payload(
    text: str | bytes,
    known_policies: Container[str] | None = None,
    *,
    max_quotes: int | None = None,
    max_intervals: int | None = None,
) -> QuoteRequest | list[QuoteRequest]:
    """A JSON object gives one request, a JSON list gives a list (errors then start "[i].").

    `max_quotes` bounds the list's length and `max_intervals` the downtime intervals of all
    quotes together (the API sets both; the command neither)."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise QuoteInputError("", "malformed JSON: the body is empty or not JSON text")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        # ValueError covers JSONDecodeError and bytes that are not UTF-8.
        raise QuoteInputError("", f"malformed JSON: {error}") from None
    _check_size(data, max_quotes, max_intervals)
    if isinstance(data, list):
        requests = []
        for index, item in enumerate(data):
            try:
                requests.append(parse_request(item, known_policies))
            except QuoteInputError as error:
                raise error.at_index(index) from None
        return requests
    if isinstance(data, dict):
        return parse_request(data, known_policies)
    raise QuoteInputError("", "must be a JSON object or a list of JSON objects")


def _check_size(data, max_quotes: int | None, max_intervals: int | None) -> None:
    items = data if isinstance(data, list) else [data]
    if max_quotes is not None and len(items) > max_quotes:
        raise QuoteTooLarge(
            "", f"too many quotes: {len(items):,} in one request, at most {max_quotes:,}"
        )
    if max_intervals is None:
        return
    total = 0
    for item in items:
        if type(item) is dict and type(item.get("downtime")) is list:
            total += len(item["downtime"])
    if total > max_intervals:
        raise QuoteTooLarge(
            "",
            f"too many downtime intervals: {total:,} in one request, at most {max_intervals:,}",
        )


def parse_request(obj: dict, known_policies: Container[str] | None = None) -> QuoteRequest:
    """One decoded JSON object as a QuoteRequest; with `known_policies`, the policy must be in
    it."""
    if type(obj) is not dict:
        raise QuoteInputError("", "must be a JSON object")
    _refuse_unknown_keys(obj, _REQUEST_KEYS, "")
    policy = obj.get("policy")
    if policy is None:
        raise QuoteInputError("policy", "is required")
    if type(policy) is not str or not policy:
        raise QuoteInputError("policy", 'must be a policy slug such as "groupspark"')
    if known_policies is not None and policy not in known_policies:
        raise QuoteInputError("policy", f"unknown policy {policy!r}")
    monthly_fee = _money(obj.get("monthly_fee"), "monthly_fee")
    if monthly_fee is None:
        raise QuoteInputError("monthly_fee", "is required")
    already_credited = _money(obj.get("already_credited"), "already_credited")
    return QuoteRequest(
        policy=policy,
        monthly_fee=monthly_fee,
        downtime=tuple(
            _downtime(item, index) for index, item in enumerate(_list(obj, "downtime", True))
        ),
        maintenance=tuple(
            _maintenance(item, index) for index, item in enumerate(_list(obj, "maintenance", False))
        ),
        mrc_paid=_money(obj.get("mrc_paid"), "mrc_paid"),
        already_credited=Decimal(0) if already_credited is None else already_credited,
    )


def render(result: Quote, breakdown: bool = False) -> dict:
    """The contract's output object. With `breakdown`, each month also carries the lines a
    person can check ("breakdown"), which the contract does not define."""
    months = []
    for month in result.months:
        row = {
            "month": month.month,
            "qualifying_downtime_minutes": round(month.qualifying_seconds / 60, 6),
            "availability_percent": float(month.availability_percent),
            "commitment_met": month.commitment_met,
            "credit": str(month.credit),
            "capped": month.capped,
        }
        if breakdown:
            row["breakdown"] = list(month.breakdown)
        months.append(row)
    return {"credit": str(result.credit), "months": months}


def _refuse_unknown_keys(obj: dict, allowed: frozenset, path: str) -> None:
    for key in obj:
        if key not in allowed:
            field = f"{path}.{key}" if path else key
            expected = ", ".join(sorted(allowed))
            raise QuoteInputError(field, f"unknown key {key!r}; expected only: {expected}")


def _money(value, field: str) -> Decimal | None:
    if value is None:
        return None
    if type(value) is not str:
        raise QuoteInputError(field, _MONEY_NOT_STRING)
    if not _DECIMAL.fullmatch(value):
        raise QuoteInputError(field, _MONEY_WANTED)
    return Decimal(value)


def _list(obj: dict, key: str, required: bool) -> list:
    value = obj.get(key)
    if value is None:
        if required:
            raise QuoteInputError(key, "is required (an empty list if there is none)")
        return []
    if type(value) is not list:
        raise QuoteInputError(key, "must be a list of objects")
    return value


def _timestamp(value, path: str, key: str) -> datetime:
    if type(value) is str:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    elif value is None:
        raise QuoteInputError(f"{path}.{key}", "is required")
    raise QuoteInputError(f"{path}.{key}", _TIMESTAMP_WANTED)


def _downtime(item, index: int) -> tuple:
    """One downtime object as (start, end, exception); QuoteRequest checks the values."""
    if type(item) is not dict or not item.keys() <= _DOWNTIME_KEYS:
        _refuse_item(item, _DOWNTIME_KEYS, f"downtime[{index}]")
    start = item.get("start")
    end = item.get("end")
    exception = item.get("exception")
    # Fast path for the common case; _timestamp names the field when anything is wrong.
    try:
        start = datetime.fromisoformat(start)
        end = datetime.fromisoformat(end)
    except (TypeError, ValueError):
        start = _timestamp(item.get("start"), f"downtime[{index}]", "start")
        end = _timestamp(item.get("end"), f"downtime[{index}]", "end")
    if exception is not None and type(exception) is not str:
        raise QuoteInputError(f"downtime[{index}].exception", "must be null or an Exception slug")
    return start, end, exception


def _maintenance(item, index: int) -> tuple:
    """One maintenance object as (start, end, notice_at); QuoteRequest checks the values."""
    path = f"maintenance[{index}]"
    if type(item) is not dict or not item.keys() <= _MAINTENANCE_KEYS:
        _refuse_item(item, _MAINTENANCE_KEYS, path)
    notice_at = item.get("notice_at")
    if notice_at is not None:
        notice_at = _timestamp(notice_at, path, "notice_at")
    return (
        _timestamp(item.get("start"), path, "start"),
        _timestamp(item.get("end"), path, "end"),
        notice_at,
    )


def _refuse_item(item, allowed: frozenset, path: str) -> None:
    if type(item) is not dict:
        raise QuoteInputError(path, "must be a JSON object")
    _refuse_unknown_keys(item, allowed, path)
