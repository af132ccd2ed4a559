"""CSV exports of claims and of credits, what a reseller loads into its own billing. Scoped as
the lists (`visible_to`), with the lists' filters, streamed row by row from a server-side
cursor (`.iterator()`), so 5,000 rows or 500,000 take the same memory.

Cells: decimals as plain decimal strings (`580.65`), instants ISO 8601 in UTC (`...Z`), dates
ISO 8601, empty for none. A text cell starting with = + - @ (or a tab or carriage return) is
prefixed with a quote, so a spreadsheet never reads it as a formula. The column names are
stable: README lists them.
"""

import csv
import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from billing.models import ZERO, CreditEntry, CreditKind
from billing.services import SPENDING
from claims.models import Award, Claim, ClaimState, Decision

CHUNK = 500
MONEY = DecimalField(max_digits=14, decimal_places=2)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNKNOWN_STATE = "Unknown state: use one of {states}."
UNKNOWN_KIND = "Unknown kind: use one of {kinds}."

CLAIM_COLUMNS = (
    "claim",
    "claim_id",
    "account_id",
    "account",
    "state",
    "agreement",
    "services",
    "period_start",
    "period_end",
    "submitted_at",
    "decision_due_at",
    "apply_by",
    "approved",
    "granted",
    "applied",
    "open",
)
CREDIT_COLUMNS = (
    "entry_id",
    "kind",
    "at",
    "claim",
    "claim_id",
    "account_id",
    "account",
    "service",
    "service_month",
    "amount",
    "grant_id",
    "invoice",
    "invoice_id",
)


def cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file that hands back what is written: csv.writer then yields one line at a time."""

    def write(self, value):
        return value


def _stream(columns, rows, filename):
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow([cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _per_claim(entries):
    total = entries.values("claim").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO, output_field=MONEY))


def _ledger(kinds):
    return _per_claim(CreditEntry.objects.filter(claim=OuterRef("pk"), kind__in=kinds))


def claims_for_export(user, params):
    """The claims `user` may see, filtered as the claims list (`account`, `state`), with the
    figures of each. ValidationError for a filter value that names nothing."""
    claims = Claim.objects.visible_to(user)
    if params.get("account"):
        claims = claims.for_end_customer(user, params["account"])
    state = params.get("state")
    if state:
        if state not in ClaimState.values:
            raise ValidationError(UNKNOWN_STATE.format(states=", ".join(ClaimState.values)))
        claims = claims.filter(state=state)
    approved = _per_claim(
        Award.objects.filter(claim=OuterRef("pk"), decision__in=Decision.objects.in_force())
    )
    gross = _ledger([CreditKind.GRANTED])
    return (
        claims.annotate(
            approved=approved,
            # Net of reversals, as the credits API states it: a correction to less is not
            # credit the reseller should pass on.
            granted=gross - _ledger([CreditKind.REVERSED]),
            applied=_ledger([CreditKind.APPLIED]),
            open=gross - _ledger(SPENDING),
        )
        .select_related("account", "policy_version__policy")
        .prefetch_related("lines__subscription__service")
        .order_by("pk")
    )


def _claim_rows(claims):
    for claim in claims.iterator(chunk_size=CHUNK):
        yield (
            claim.reference,
            claim.pk,
            claim.account_id,
            claim.account.name,
            claim.state,
            claim.policy_version.policy.slug,
            " ".join(line.subscription.service.slug for line in claim.lines.all()),
            claim.period_start,
            claim.period_end,
            claim.submitted_at,
            claim.decision_due_at,
            claim.apply_by,
            Decimal(claim.approved).quantize(ZERO),
            Decimal(claim.granted).quantize(ZERO),
            Decimal(claim.applied).quantize(ZERO),
            Decimal(claim.open).quantize(ZERO),
        )


def credits_for_export(user, params):
    """The ledger entries `user` may see, filtered as the credits list (`account`) and by
    `kind`."""
    entries = CreditEntry.objects.visible_to(user)
    if params.get("account"):
        entries = entries.for_end_customer(user, params["account"])
    kind = params.get("kind")
    if kind:
        if kind not in CreditKind.values:
            raise ValidationError(UNKNOWN_KIND.format(kinds=", ".join(CreditKind.values)))
        entries = entries.filter(kind=kind)
    return entries.select_related("claim", "account", "subscription__service", "invoice").order_by(
        "pk"
    )


def _credit_rows(entries):
    for entry in entries.iterator(chunk_size=CHUNK):
        yield (
            entry.pk,
            entry.kind,
            entry.at,
            entry.claim.reference,
            entry.claim_id,
            entry.account_id,
            entry.account.name,
            entry.subscription.service.slug,
            entry.service_month,
            entry.amount,
            entry.grant_id,
            entry.invoice.number if entry.invoice else None,
            entry.invoice_id,
        )


@login_required
@require_GET
def claims_csv(request):
    try:
        claims = claims_for_export(request.user, request.GET)
    except ValidationError as refusal:
        return HttpResponseBadRequest(refusal.messages[0], content_type="text/plain")
    return _stream(CLAIM_COLUMNS, _claim_rows(claims), "claims.csv")


@login_required
@require_GET
def credits_csv(request):
    try:
        entries = credits_for_export(request.user, request.GET)
    except ValidationError as refusal:
        return HttpResponseBadRequest(refusal.messages[0], content_type="text/plain")
    return _stream(CREDIT_COLUMNS, _credit_rows(entries), "credits.csv")
