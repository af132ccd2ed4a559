"""The reseller overview: per end customer, its claims by state, the credit approved, granted,
applied and still open, and the next apply-by date. One aggregate query for the page (each
figure a subquery grouped by account), sorted and paginated in the database.

A reseller agent sees its own reseller's end customers; provider staff choose a reseller with
`?reseller=`; anyone else gets a 404.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Min,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from billing.models import ZERO, CreditEntry, CreditKind, GrantOutcome
from billing.services import SPENDING
from claims.models import Award, Claim, ClaimState, Decision
from portal.models import Organisation, Role

PAGE_SIZE = 50
MONEY = DecimalField(max_digits=14, decimal_places=2)
# The state columns, in the order of a claim's life.
STATE_COLUMNS = (
    ClaimState.DRAFT,
    ClaimState.SUBMITTED,
    ClaimState.UNDER_REVIEW,
    ClaimState.INFO_REQUESTED,
    ClaimState.AWAITING_SECOND,
    ClaimState.APPROVED,
    ClaimState.REJECTED,
    ClaimState.WITHDRAWN,
)
SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "open": ("open", "name", "pk"),
    "-open": ("-open", "name", "pk"),
}


def _sum(queryset, field="amount"):
    """The sum of `field` over `queryset`'s rows of the outer account, as a subquery."""
    total = queryset.values("account_key").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO, output_field=MONEY))


def _count(state):
    claims = (
        Claim.objects.filter(account=OuterRef("pk"), state=state)
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(claims), Value(0))


def _ledger(kinds):
    return _sum(
        CreditEntry.objects.filter(account=OuterRef("pk"), kind__in=kinds).annotate(
            account_key=F("account")
        )
    )


def end_customer_rows(accounts):
    """`accounts` (an Organisation queryset), each with its figures:
    `n_<state>` claim counts, `approved` (awards of the decisions in force), `granted`,
    `applied`, `open` (granted less applied, paid out and reversed) and `next_apply_by` (the
    earliest apply-by date of a claim whose awarded credit billing has not finished with)."""
    in_force = Decision.objects.in_force()
    approved = _sum(
        Award.objects.filter(claim__account=OuterRef("pk"), decision__in=in_force).annotate(
            account_key=F("claim__account")
        )
    )
    settled = GrantOutcome.objects.filter(
        claim=OuterRef("pk"), decision__in=in_force, settled_at__isnull=False
    )
    owed = Award.objects.filter(claim=OuterRef("pk"), decision__in=in_force, amount__gt=0)
    next_apply_by = (
        Claim.objects.filter(account=OuterRef("pk"), apply_by__isnull=False)
        .filter(Exists(owed))
        .exclude(Exists(settled))
        .values("account")
        .annotate(first=Min("apply_by"))
        .values("first")
    )
    counts = {f"n_{state}": _count(state) for state in STATE_COLUMNS}
    return accounts.annotate(
        **counts,
        approved=approved,
        # Net of reversals, as the credits API and the claims export state it.
        granted=_ledger([CreditKind.GRANTED]) - _ledger([CreditKind.REVERSED]),
        applied=_ledger([CreditKind.APPLIED]),
        open=_ledger([CreditKind.GRANTED]) - _ledger(SPENDING),
        next_apply_by=Subquery(next_apply_by),
    )


def _reseller(request):
    """The reseller whose overview this is, or 404."""
    user = request.user
    if user.is_superuser or user.is_provider_staff:
        resellers = Organisation.objects.filter(kind=Organisation.Kind.RESELLER)
        chosen = request.GET.get("reseller")
        if not chosen:
            return None, resellers
        if not chosen.isdigit():
            raise Http404("No such reseller.")
        return get_object_or_404(resellers, pk=int(chosen)), resellers
    own = Organisation.objects.filter(
        kind=Organisation.Kind.RESELLER,
        memberships__user=user,
        memberships__role=Role.RESELLER_AGENT,
    )
    reseller = own.order_by("pk").first()
    if reseller is None:
        raise Http404("No such page.")
    return reseller, None


@login_required
@require_GET
def overview(request):
    reseller, choices = _reseller(request)
    sort = request.GET.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    page = None
    if reseller is not None:
        rows = end_customer_rows(Organisation.objects.filter(reseller=reseller)).order_by(
            *SORTS[sort]
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        for row in page:
            row.state_counts = [getattr(row, f"n_{state}") for state in STATE_COLUMNS]
    return render(
        request,
        "billing/overview.html",
        {
            "reseller": reseller,
            "choices": choices,
            "page": page,
            "sort": sort,
            "states": [state.label for state in STATE_COLUMNS],
        },
    )
