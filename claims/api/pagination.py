"""Keyset (cursor) pagination for the API's lists: a page is "the next `page_size` rows after
this one" in a fixed order ending in a unique column, so page 2,000 costs what page 1 costs (an
index range from the cursor's row, no OFFSET over a full sort) and a row filed meanwhile never
shifts a page.

The order is the view's `ordering`, field names with "-" for descending, the last one unique
(the id); `ordering_never_null` names nullable columns its rows always fill. A cursor carries
the boundary row's value of every one of them; it is opaque to clients. Other nullable columns
sort their NULLs last going forwards (as PostgreSQL's ASC does, so an ordinary index serves
both directions).
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as FieldValueError
from django.db.models import F, Field, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
PAGE_SIZE_REFUSED = f"Ask for 1 to {MAX_PAGE_SIZE} rows a page (a whole number)."
CURSOR_REFUSED = "This cursor is not one this list gave out; start again from the first page."
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Key:
    """One column of a list's order."""

    field: Field
    descending: bool
    nullable: bool

    @property
    def name(self):
        return self.field.attname

    def order(self, backwards):
        column = F(self.name)
        descending = self.descending != backwards
        if not self.nullable:
            return column.desc() if descending else column.asc()
        # NULLs last going forwards, so first going backwards.
        nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
        return column.desc(**nulls) if descending else column.asc(**nulls)

    def equal(self, value):
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def beyond(self, value, backwards, *, inclusive=False):
        """Rows that come after `value` on this column in the direction of travel."""
        if value is None:
            # NULLs are last going forwards: only NULLs are level with one and nothing is
            # beyond it; going backwards every non-NULL value is beyond.
            if inclusive:
                return Q() if backwards else Q(**{f"{self.name}__isnull": True})
            return Q(**{f"{self.name}__isnull": False}) if backwards else NOTHING
        lookup = "lt" if self.descending != backwards else "gt"
        found = Q(**{f"{self.name}__{lookup}{'e' if inclusive else ''}": value})
        if self.nullable and not backwards:
            found |= Q(**{f"{self.name}__isnull": True})
        return found


def keys_of(model, ordering, never_null=()):
    """The keys of `ordering`; `never_null` names nullable columns the list's rows always fill
    (the NULL branches would cost the index its range)."""
    keys = []
    for name in ordering:
        field = model._meta.get_field(name.lstrip("-"))
        nullable = field.null and field.name not in never_null
        keys.append(Key(field=field, descending=name.startswith("-"), nullable=nullable))
    return keys


def rows_beyond(keys, position, backwards):
    """Rows strictly after `position` in the direction of travel: the first column beyond it,
    or equal on it and beyond on the next... The first term alone again, inclusive, gives the
    database a range on the leading column's index."""
    directions = {key.descending for key in keys}
    if len(directions) == 1 and not any(key.nullable for key in keys):
        # One row comparison, (a, b, id) > (x, y, z): PostgreSQL reads it as a range of the
        # index on those columns, and estimates it as one.
        lookup = TupleLessThan if directions.pop() != backwards else TupleGreaterThan
        return lookup(Tuple(*(F(key.name) for key in keys)), tuple(position))
    found = NOTHING
    equal = Q()
    for key, value in zip(keys, position, strict=True):
        found |= equal & key.beyond(value, backwards)
        equal &= key.equal(value)
    return keys[0].beyond(position[0], backwards, inclusive=True) & found


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.keys = keys_of(
            queryset.model,
            getattr(view, "ordering", None) or self.ordering,
            getattr(view, "ordering_never_null", ()),
        )
        position, backwards = self.decode_cursor(request)
        queryset = queryset.order_by(*(key.order(backwards) for key in self.keys))
        if position is not None:
            queryset = queryset.filter(rows_beyond(self.keys, position, backwards))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            # Arrived from a later page, so there is one.
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self.page = rows
        return rows

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return DEFAULT_PAGE_SIZE
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationError({self.page_size_query_param: [PAGE_SIZE_REFUSED]})
        return size

    def decode_cursor(self, request):
        """(position, backwards) from the request's cursor; (None, False) for the first page."""
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None, False
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            values = data["p"]
            backwards = data["b"]
            if not isinstance(values, list) or not isinstance(backwards, bool):
                raise ValueError
            return tuple(self._value(k, v) for k, v in zip(self.keys, values, strict=True)), (
                backwards
            )
        except (
            ValueError,
            KeyError,
            TypeError,
            UnicodeEncodeError,
            binascii.Error,
            FieldValueError,
            FieldDoesNotExist,
        ):
            raise ValidationError({self.cursor_query_param: [CURSOR_REFUSED]}) from None

    @staticmethod
    def _value(key, raw):
        if raw is None:
            if not key.nullable:
                raise ValueError
            return None
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise ValueError
        value = key.field.to_python(raw)
        if isinstance(value, dt.datetime) and value.utcoffset() is None:
            raise ValueError  # cursors carry aware instants; a naive one was not given out
        return value

    def encode_cursor(self, row, backwards):
        values = []
        for key in self.keys:
            value = getattr(row, key.name)
            values.append(value.isoformat() if isinstance(value, dt.date) else value)
        raw = json.dumps({"p": values, "b": backwards}, separators=(",", ":"))
        cursor = base64.urlsafe_b64encode(raw.encode()).decode("ascii")
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, cursor
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        if not self.page:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self.encode_cursor(self.page[-1], backwards=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self.encode_cursor(self.page[0], backwards=True)

    def get_paginated_response(self, data):
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from a page's next or previous "
                "link; leave it out for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows a page, 1 to {MAX_PAGE_SIZE} (default "
                f"{DEFAULT_PAGE_SIZE}); anything else is refused with 400.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PAGE_SIZE,
                    "default": DEFAULT_PAGE_SIZE,
                },
            },
        ]
