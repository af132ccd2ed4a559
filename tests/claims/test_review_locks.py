"""A review locks only its claim's row (claims.services.review, module docstring): while a
reviewer's approval of one claim is still open, another account's claim under the same
agreement is approved and a grant for the first account commits, neither waiting on it. Each
runs in a thread of its own, on its own connection, with a lock timeout: waiting on the open
review would fail it with "canceling statement due to lock timeout" instead of hanging."""

import threading
from functools import partial

import pytest
from django.db import connection, connections, transaction

from billing import services as billing
from billing.models import CreditEntry, CreditKind
from claims import services
from claims.models import ClaimState
from portal.models import User
from tests.helpers import at_once, subscription
from tests.scenarios import approved, file

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
# Far longer than any of these statements takes, far shorter than the test's own patience.
LOCK_TIMEOUT = "10s"


def with_lock_timeout(step):
    """`step` on this thread's connection, refusing to wait for a lock longer than
    LOCK_TIMEOUT."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    return step()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_reviews_of_two_accounts_and_a_grant_do_not_wait_on_each_other(live_demo):
    alice = User.objects.get(email="alice@acme-dental.example")
    bob = User.objects.get(email="bob@birch-legal.example")
    first = User.objects.get(email="reviewer1@provider.example")
    second = User.objects.get(email="reviewer2@provider.example")
    acme_email = subscription("Acme Dental", "email")
    # Acme Dental: one claim approved (its grant still to commit), one under review.
    granted = approved(alice, acme_email, reviewer=first)
    reviewed = file(alice, subscription("Acme Dental", "voip"))
    birch = file(bob, subscription("Birch Legal", "email"))

    holding, others_done = threading.Event(), threading.Event()

    def open_review():
        """Approve Acme's second claim and keep the transaction (and its locks) open until
        the others are done."""
        try:
            with transaction.atomic():
                decision = services.approve(claim=reviewed, by=first)
                holding.set()
                others_done.wait(timeout=60)
            return decision
        finally:
            holding.set()
            connections.close_all()

    def after_the_lock(step):
        holding.wait(timeout=60)
        return with_lock_timeout(step)

    review = threading.Thread(target=lambda: results.append(open_review()))
    results = []
    review.start()
    try:
        outcomes = at_once(
            partial(after_the_lock, partial(services.approve, claim=birch, by=second)),
            partial(after_the_lock, partial(billing.grant_and_apply, granted.pk)),
        )
    finally:
        others_done.set()
        review.join(timeout=60)

    birch_decision, grants = outcomes
    assert not isinstance(birch_decision, Exception), birch_decision
    assert not isinstance(grants, Exception), grants
    assert [(g.kind, g.claim_id) for g in grants] == [(CreditKind.GRANTED, granted.pk)]
    assert len(results) == 1 and not isinstance(results[0], Exception), results
    for claim in (reviewed, birch):
        claim.refresh_from_db()
        assert claim.state == ClaimState.APPROVED
    # The approvals' awards commit with them and are granted like any other.
    for claim in (reviewed, birch):
        assert claim.awards.exists()
        billing.grant_credit(claim.pk)
        assert CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_approvals_and_grants_of_two_accounts_at_once_never_deadlock(live_demo):
    alice = User.objects.get(email="alice@acme-dental.example")
    bob = User.objects.get(email="bob@birch-legal.example")
    first = User.objects.get(email="reviewer1@provider.example")
    second = User.objects.get(email="reviewer2@provider.example")
    acme_granted = approved(alice, subscription("Acme Dental", "email"), reviewer=first)
    birch_granted = approved(bob, subscription("Birch Legal", "email"), reviewer=second)
    acme_new = file(alice, subscription("Acme Dental", "voip"))
    birch_new = file(bob, subscription("Birch Legal", "remote-desktop"))

    outcomes = at_once(
        partial(with_lock_timeout, partial(services.approve, claim=acme_new, by=second)),
        partial(with_lock_timeout, partial(services.approve, claim=birch_new, by=first)),
        partial(with_lock_timeout, partial(billing.grant_and_apply, acme_granted.pk)),
        partial(with_lock_timeout, partial(billing.grant_and_apply, birch_granted.pk)),
    )

    assert [o for o in outcomes if isinstance(o, Exception)] == [], outcomes
    for claim in (acme_granted, birch_granted):
        assert CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED).count() == 1
