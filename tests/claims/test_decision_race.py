"""Ten reviewers approve the same claim at the same moment: exactly one decision and one audit
record of it, one grant; the others are told it was already decided."""

from functools import partial

import pytest
from django.db import connection

from billing import services as billing
from billing.models import CreditEntry, CreditKind
from claims import services
from claims.models import ClaimEvent, ClaimState, Decision
from portal.models import Membership, Organisation, Role, User
from sla.models import Subscription
from tests.helpers import at_once
from tests.scenarios import file

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_ten_reviewers_approve_at_once(live_demo):
    alice = User.objects.get(email="alice@acme-dental.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    claim = file(alice, email)
    # Settled first, so every approval races for the decision itself.
    reviewer = User.objects.get(email="reviewer1@provider.example")
    context = services.review_context(claim)
    services.settle(claim=claim, by=reviewer, intervals=context["intervals"], maintenance=[])
    provider = Organisation.objects.get(kind="provider")
    reviewers = []
    for n in range(10):
        user = User.objects.create_user(f"racer{n}@provider.example", "x", is_staff=True)
        Membership.objects.create(user=user, organisation=provider, role=Role.REVIEWER)
        reviewers.append(user)

    outcomes = at_once(*(partial(services.approve, claim=claim, by=user) for user in reviewers))

    def said(outcome):
        if isinstance(outcome, services.ClaimRefused):
            return ("refused", outcome.errors["__all__"][0])
        if isinstance(outcome, Exception):
            return ("error", repr(outcome))
        return ("ok", outcome.pk)

    results = [said(outcome) for outcome in outcomes]
    assert sorted(kind for kind, _ in results) == ["ok"] + ["refused"] * 9, results
    winner = Decision.objects.get()
    for kind, message in results:
        if kind == "refused":
            assert message.startswith(
                f"This claim was already decided by {winner.decided_by.email}"
            )
    assert ClaimEvent.objects.filter(claim=claim, action="approved").count() == 1
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED
    # One decision, one set of awards, and granted once however many grants run at once.
    assert list(claim.awards.values_list("decision", flat=True)) == [winner.pk]
    at_once(*(partial(billing.grant_and_apply, claim.pk) for _ in range(4)))
    assert CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED).count() == 1
