"""manage.py load_scale: a small load has every state, valid rows (the database's constraints
and the review's shape), a ledger the billing run wrote, and pages that answer its personas."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.test import RequestFactory

from bench import scale_data
from billing.models import CreditEntry, CreditKind, GrantOutcome, Invoice
from claims.models import LIVE_STATES, Award, Claim, ClaimLine, Decision, Proof
from portal.models import User

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]
PASSWORD = "demo-credit-2026"


PAGES = {
    "scale-reviewer1@provider.example": ["/claims/review/", "/api/v1/review-queue/"],
    "scale-billing@provider.example": ["/billing/ledger/", "/billing/credits/"],
    "agent@scale-reseller-large.example": ["/claims/", "/api/v1/claims/", "/"],
    "customer@scale-customer-000000.example": ["/claims/", "/billing/credits/"],
}


def test_a_small_load_is_valid_and_answers_its_personas(client, db):
    """One load (it takes seconds), every check on it."""
    out = StringIO()
    call_command("load_scale", accounts=50, claims=300, long_logs=1, stdout=out)
    loaded = out.getvalue()
    every_state_in_its_share(loaded)
    lines_live_exactly_for_live_claims()
    decisions_in_force_match_each_state()
    the_billing_run_wrote_the_ledger()
    the_long_log_claim_has_its_proofs_read()
    the_personas_pages_answer(client, loaded)
    the_claim_pages_answer(client)
    with pytest.raises(CommandError, match="already holds claims"):
        call_command("load_scale", accounts=50, claims=300, stdout=StringIO())


def every_state_in_its_share(loaded):
    states = dict(Claim.objects.values_list("state").annotate(n=Count("pk")))
    assert set(states) == set(Claim.State.values)
    assert sum(states.values()) == Claim.objects.count() == 300
    for state, share in scale_data.STATES:
        assert abs(states[state] - 300 * share) <= 2, state
    assert "Claims by state: approved 90" in loaded


def lines_live_exactly_for_live_claims():
    live = ClaimLine.objects.filter(claim__state__in=LIVE_STATES)
    assert live.exists()
    assert not live.filter(live=False).exists()
    assert not ClaimLine.objects.exclude(claim__state__in=LIVE_STATES).filter(live=True).exists()


def decisions_in_force_match_each_state():
    in_force = {d.claim_id: d for d in Decision.objects.in_force()}
    for claim in Claim.objects.filter(state=Claim.State.APPROVED):
        decision = in_force[claim.pk]
        assert decision.kind == Decision.Kind.APPROVE
        awarded = Award.objects.filter(decision=decision).aggregate(t=Sum("amount"))["t"]
        assert awarded == decision.amount
        if decision.amount > Decimal("500.00"):
            assert decision.confirmations.exists()
    for claim in Claim.objects.filter(state=Claim.State.AWAITING_SECOND):
        decision = in_force[claim.pk]
        assert decision.amount > Decimal("500.00")
        assert not decision.confirmations.exists() and not decision.awards.exists()
    for claim in Claim.objects.filter(state=Claim.State.REJECTED):
        assert in_force[claim.pk].kind == Decision.Kind.REJECT
    assert Decision.objects.filter(corrects__isnull=False).exists()
    for claim in Claim.objects.filter(state__in=(Claim.State.DRAFT, Claim.State.WITHDRAWN)):
        assert claim.pk not in in_force


def the_billing_run_wrote_the_ledger():
    kinds = set(CreditEntry.objects.values_list("kind", flat=True))
    assert {CreditKind.GRANTED, CreditKind.APPLIED} <= kinds
    assert GrantOutcome.objects.exists()
    assert Invoice.objects.filter(status=Invoice.Status.DRAFT).exists()
    assert Invoice.objects.filter(status=Invoice.Status.PAID).exists()
    # Every grant is of an approved (or corrected) claim's award.
    granted = CreditEntry.objects.filter(kind=CreditKind.GRANTED)
    assert (
        not granted.exclude(claim__state=Claim.State.APPROVED)
        .exclude(claim__state=Claim.State.REJECTED)
        .exists()
    )


def the_long_log_claim():
    (claim,) = Claim.objects.annotate(n=Count("proofs")).filter(n__gte=scale_data.LONG_PROOFS)
    return claim


def the_long_log_claim_has_its_proofs_read():
    claim = the_long_log_claim()
    proofs = Proof.objects.filter(claim=claim, size__gt=scale_data.LONG_LINES * 60)
    assert proofs.count() == scale_data.LONG_PROOFS
    assert all(proof.read and proof.kind == "ping" for proof in proofs)
    assert claim.events.filter(action="proof_added").count() == scale_data.LONG_PROOFS


def the_personas_pages_answer(client, loaded):
    for email, paths in PAGES.items():
        assert email in loaded
        # The demo password logs in (django-axes wants a request: authenticate with one).
        assert authenticate(
            RequestFactory().post("/accounts/login/"), username=email, password=PASSWORD
        )
        client.force_login(User.objects.get(email=email))
        for path in paths:
            assert client.get(path).status_code == 200, (email, path)


def the_claim_pages_answer(client):
    claim = the_long_log_claim()
    approved = Claim.objects.filter(state=Claim.State.APPROVED).first()
    client.force_login(User.objects.get(email="scale-reviewer1@provider.example"))
    for target in (claim, approved):
        assert client.get(f"/claims/{target.pk}/").status_code == 200
        assert client.get(f"/claims/{target.pk}/review/").status_code == 200
        assert client.get(f"/api/v1/claims/{target.pk}/").status_code == 200
