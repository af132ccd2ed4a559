"""Named scenarios shared by the claims and billing tests: a claim filed, a claim approved.

Each takes the people and subscriptions as arguments (fixtures give them) and goes through the
services, as a person would through the pages.
"""

from claims import services
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
