"""Writing a decision's awards (claims.models.Award): the decided amount over the
subscription-months the engine priced, written in the decision's transaction.

The engine's credits come in typed (`(subscription id, month, credit)` from its MonthQuote
results, computed by the review service at decision time), never from rendered JSON.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from claims.models import Award, DecisionKind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def allocate(amount, engine_credits):
    """{(subscription id, month): share} of `amount` over `engine_credits`
    [(subscription id, month date, engine credit)], in their order: the engine's own credits
    when the reviewer did not override them, else in proportion to them (equally when the
    engine gave nothing). Each share is rounded to the cent; the last takes what rounding left,
    and no share ever takes more than is left, so the shares add up to `amount` exactly."""
    rows = list(engine_credits)
    if not rows:
        return {}
    engine_total = sum(credit for _, _, credit in rows)
    if amount == engine_total:
        return {(subscription, month): credit for subscription, month, credit in rows}
    weights = [credit for _, _, credit in rows] if engine_total > 0 else [Decimal(1)] * len(rows)
    weight_total = sum(weights)
    allocated, shares = ZERO, {}
    for index, ((subscription, month, _), weight) in enumerate(zip(rows, weights, strict=True)):
        if index == len(rows) - 1:
            share = amount - allocated
        else:
            share = (amount * weight / weight_total).quantize(CENT, ROUND_HALF_UP)
            share = min(share, amount - allocated)
        allocated += share
        shares[(subscription, month)] = share
    return shares


def month_of(label):
    """The first day of a "YYYY-MM" month, as the engine names its months."""
    year, month = (int(part) for part in label.split("-"))
    return dt.date(year, month, 1)


def write_awards(*, claim, decision, engine_credits, now):
    """The awards of `decision`, now effective (an approval, or the confirmed approval; a
    rejection writes zeros): see the shape in claims.models.award. Runs inside the decision's
    transaction, under the claim's lock. Returns the rows written."""
    if decision.kind == DecisionKind.APPROVE:
        shares = allocate(decision.amount, engine_credits)
    else:
        shares = {}
    # Every subscription-month awarded before stays stated: zero where nothing is owed now.
    for key in Award.objects.filter(claim=claim).values_list("subscription", "service_month"):
        shares.setdefault(key, ZERO)
    cap_basis = claim.policy_version.cap_basis
    return Award.objects.bulk_create(
        Award(
            decision=decision,
            claim=claim,
            subscription_id=subscription,
            service_month=month,
            amount=amount,
            cap_basis=cap_basis,
            created_at=now,
        )
        for (subscription, month), amount in shares.items()
    )
