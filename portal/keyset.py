"""Keyset pagination for the HTML lists.

A page is the rows after the last row's sort key (`?after=`, an opaque token the "next" link
carries), so a deep page costs what the first does (no OFFSET over a full sort), and a row added
while someone pages neither shows twice nor pushes another out of sight. Every ordering ends on
the primary key, so the key is unique. `?page_size=` is bounded by MAX_PAGE_SIZE.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import F, Q

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
BAD_PAGE_SIZE = f"Enter a page size from 1 to {MAX_PAGE_SIZE}."
BAD_CURSOR = "This page link is broken or out of date: start again from the first page."


class PageError(ValueError):
    """A page size or page link that cannot be understood: the list answers 400 with the
    message, never a 500 and never a silently different page."""


@dataclass(frozen=True)
class Key:
    """One column of a list's order: a field of the listed model itself (not a join)."""

    field: str
    descending: bool = False
    # NULLs sort last (ascending keys only).
    nullable: bool = False

    def __post_init__(self):
        if self.nullable and self.descending:
            raise ValueError("a nullable key sorts ascending, NULLs last")

    def order(self):
        expression = F(self.field)
        if self.descending:
            return expression.desc()
        return expression.asc(nulls_last=True) if self.nullable else expression.asc()


@dataclass(frozen=True)
class Page:
    rows: list
    page_size: int
    next_cursor: str | None
    is_first: bool

    def __iter__(self):
        return iter(self.rows)


def page_size(params, default=PAGE_SIZE):
    value = params.get("page_size")
    if value in (None, ""):
        return default
    try:
        size = int(value)
    except ValueError:
        raise PageError(BAD_PAGE_SIZE) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise PageError(BAD_PAGE_SIZE)
    return size


def paginate(queryset, params, keys, *, default_size=PAGE_SIZE):
    """The page of `queryset` (ordered by `keys`, the last of them unique) that `params`
    (request.GET) asks for. One query, whatever the page's depth; raises PageError."""
    size = page_size(params, default_size)
    queryset = queryset.order_by(*(key.order() for key in keys))
    cursor = params.get("after") or ""
    if cursor:
        queryset = queryset.filter(_beyond(keys, _decode(cursor, keys, queryset.model)))
    rows = list(queryset[: size + 1])
    more, rows = len(rows) > size, rows[:size]
    next_cursor = _encode([getattr(rows[-1], key.field) for key in keys]) if more else None
    return Page(rows=rows, page_size=size, next_cursor=next_cursor, is_first=not cursor)


def _beyond(keys, values):
    """`_after`, with the first key's bound repeated on its own: PostgreSQL does not read an
    index range out of the OR, and without the bound a deep page scanned the index from the
    top (twice the first page's time at 100,000 claims)."""
    key, value = keys[0], values[0]
    condition = _after(keys, values)
    if value is not None and not key.nullable:
        condition &= Q(**{f"{key.field}__{'lte' if key.descending else 'gte'}": value})
    return condition


def _after(keys, values):
    """Rows strictly after `values` in the order of `keys` (NULLs last)."""
    key, value, rest = keys[0], values[0], keys[1:]
    if value is None:
        # Only NULLs come after a NULL; among them the next keys decide.
        equal = Q(**{f"{key.field}__isnull": True})
        return equal & _after(rest, values[1:]) if rest else Q(pk__in=[])
    after = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": value})
    if key.nullable:
        after |= Q(**{f"{key.field}__isnull": True})
    if not rest:
        return after
    return after | (Q(**{key.field: value}) & _after(rest, values[1:]))


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _encode(values):
    text = json.dumps([_plain(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor, keys, model):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeError):
        raise PageError(BAD_CURSOR) from None
    if not isinstance(values, list) or len(values) != len(keys):
        raise PageError(BAD_CURSOR)
    decoded = []
    for key, value in zip(keys, values, strict=True):
        field = model._meta.pk if key.field == "pk" else model._meta.get_field(key.field)
        if value is None and not (key.nullable or field.null):
            raise PageError(BAD_CURSOR)
        if value is not None and not isinstance(value, str | int):
            raise PageError(BAD_CURSOR)
        # What PostgreSQL would refuse as a parameter is a bad link, not a database error.
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise PageError(BAD_CURSOR)
        if isinstance(value, str) and "\x00" in value:
            raise PageError(BAD_CURSOR)
        try:
            decoded.append(None if value is None else field.to_python(value))
        except ValidationError:
            raise PageError(BAD_CURSOR) from None
        if isinstance(decoded[-1], dt.datetime) and decoded[-1].tzinfo is None:
            raise PageError(BAD_CURSOR)
    return decoded
