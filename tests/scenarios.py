"""Named scenarios shared by the claims and billing tests: a claim filed, a claim approved.

Each takes the people and subscriptions as arguments (fixtures give them) and goes through the
services, as a person would through the pages.
"""

import datetime as dt

from claims import services
from claims.models import Claim, ClaimLine, ClaimState
from tests.claims.conftest import END, START, ping_log, upload


def file(
    user,
    subscription,
    *,
    start=START,
    end=END,
    representation=False,
    proof=True,
    basis="Down.",
    now=None,
):
    """A claim on `subscription` for [start, end), filed by `user` with a ping log of the
    outage as proof (unless `proof` is False)."""
    return services.file_claim(
        by=user,
        data=services.ClaimInput(
            subscriptions=(subscription,),
            period_start=start,
            period_end=end,
            basis=basis,
            representation=representation,
        ),
        uploads=[(upload(content=ping_log(start, end)), "ping")] if proof else [],
        now=now,
    )


def approved(
    user,
    subscription,
    start=START,
    end=END,
    *,
    reviewer,
    representation=False,
    proof=True,
    amount=None,
    reason="",
    now=None,
):
    """A claim filed as in `file` and approved by `reviewer` (the engine's amount, or `amount`
    with `reason`), read back from the database."""
    claim = file(
        user,
        subscription,
        start=start,
        end=end,
        representation=representation,
        proof=proof,
        now=now,
    )
    services.approve(claim=claim, by=reviewer, amount=amount, reason=reason, now=now)
    claim.refresh_from_db()
    return claim


def many_claims(user, subscription, count, *, state=None, start=START, due=None):
    """`count` claims on `subscription` filed by `user`, written straight to the database (the
    list pages read them; filing each through the services would only slow the tests down).
    Periods follow one another an hour apart. Pairs of claims share a created_at, submitted_at
    and decision-due instant, and every fifth claim has no decision due yet, so a page boundary
    falls among equal sort keys and among NULLs."""
    state = state or ClaimState.SUBMITTED
    version = subscription.policy.version_at(start) or subscription.policy.versions.first()
    due = due or start + dt.timedelta(days=30)
    claims = []
    for n in range(count):
        period_start = start + dt.timedelta(hours=n)
        instant = start + dt.timedelta(days=1, minutes=n // 2)
        claims.append(
            Claim(
                account=subscription.organisation,
                filed_by=user,
                policy_version=version,
                period_start=period_start,
                period_end=period_start + dt.timedelta(minutes=30),
                basis="Down.",
                state=state,
                created_at=instant,
                submitted_at=instant,
                decision_due_at=None if n % 5 == 4 else due + dt.timedelta(hours=n // 2),
            )
        )
    claims = Claim.objects.bulk_create(claims)
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            subscription=subscription,
            period_start=claim.period_start,
            period_end=claim.period_end,
            live=True,
        )
        for claim in claims
    )
    return claims
