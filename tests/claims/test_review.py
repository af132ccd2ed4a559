"""Reviewing a claim through the services and the API: settle, decide, talk; the rules on who
decides and with what reasons; the whole lifecycle for each shipped policy."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from rest_framework.test import APIClient

from claims import messages, services
from claims.models import ClaimEvent, ClaimState, Decision, Message, Settlement
from portal.models import Membership, Organisation, Role, User
from sla.models import Maintenance, Policy, PolicyVersion, Service, Subscription
from tests.claims.conftest import END, START, ping_log, upload
from tests.scenarios import file

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer2(demo):
    return User.objects.get(email="reviewer2@provider.example")


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- onepointsync, whole lifecycle through the API ---------------------------------------------


def test_onepointsync_lifecycle_through_the_api(alice, acme_email, reviewer_user):
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC), tick=True):
        claim = file(alice, acme_email)
    staff = api_for(reviewer_user)
    queue = staff.get("/api/v1/review-queue/").json()["results"]
    # 47 min -> 3 complete blocks x 310.00 / 31 days = 30.00
    assert [(c["reference"], c["estimate"]) for c in queue] == [(claim.reference, "30.00")]
    # Received 2026-03-20 (policy time): the next invoice, by the end of the next cycle.
    assert queue[0]["apply_by"] == "2026-04-30"
    assert staff.post(f"/api/v1/claims/{claim.pk}/start-review/").json()["state"] == "under_review"
    question = staff.post(
        f"/api/v1/claims/{claim.pk}/request-info/", {"question": "Which office?"}, format="json"
    )
    assert question.status_code == 201
    claimant = api_for(alice)
    seen = claimant.get(f"/api/v1/claims/{claim.pk}/").json()
    assert seen["state"] == "info_requested"
    assert seen["messages"][-1]["body"] == "Which office?"
    answer = claimant.post(
        f"/api/v1/claims/{claim.pk}/answer/",
        {
            "body": "Phoenix office; second log attached.",
            "file": upload("second.txt"),
            "kind": "ping",
        },
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    assert claimant.get(f"/api/v1/claims/{claim.pk}/").json()["state"] == "submitted"
    assert claim.proofs.count() == 2
    approved = staff.post(f"/api/v1/claims/{claim.pk}/approve/", {}, format="json")
    assert approved.status_code == 201, approved.json()
    assert approved.json()["amount"] == "30.00"
    final = claimant.get(f"/api/v1/claims/{claim.pk}/").json()
    assert final["state"] == "approved"
    assert final["decisions"][0]["amount"] == "30.00"
    assert [e.action for e in ClaimEvent.objects.filter(claim=claim)] == [
        "created",
        "proof_added",
        "submitted",
        "review_started",
        "info_requested",
        "proof_added",
        "info_answered",
        "settled",
        "approved",
    ]


# --- groupspark: Exceptions, maintenance, rejection ---------------------------------------------


def test_groupspark_settlement_drops_exception_time(nora, cedar_exchange, reviewer_user):
    claim = file(nora, cedar_exchange, representation=True, proof=False)
    # Claimed 47 min: 1 started hour x 720.00 / 720 = 1.00. The reviewer tags 19:00-19:30 as the
    # customer's own Internet outage: 17 min left, still 1 started hour = 1.00; tagging the whole
    # period leaves nothing: 0.00.
    partial = services.settle(
        claim=claim,
        by=reviewer_user,
        intervals=[
            services.SettledInterval(
                START, START + dt.timedelta(minutes=30), "customer-internet", "ISP ticket"
            ),
            services.SettledInterval(START + dt.timedelta(minutes=30), END, None, ""),
        ],
        maintenance=[],
    )
    assert partial.credit == Decimal("1.00")
    whole = services.settle(
        claim=claim,
        by=reviewer_user,
        intervals=[
            services.SettledInterval(START, END, "customer-internet", "ISP ticket for all of it")
        ],
        maintenance=[],
        reason="Their ISP was down.",
    )
    assert (whole.number, whole.credit) == (2, Decimal("0.00"))
    assert Settlement.objects.filter(claim=claim).count() == 2  # the first stays as it was


def test_reviewer_can_refuse_a_maintenance_record_with_a_reason(
    nora, cedar_exchange, reviewer_user
):
    Maintenance.objects.create(
        service=Service.objects.get(slug="hosted-exchange"),
        starts_at=START,
        ends_at=START + dt.timedelta(minutes=40),
        summary="Unscheduled patch",
    )
    claim = file(nora, cedar_exchange, representation=True, proof=False)
    context = services.review_context(claim)
    [(record, call)] = context["maintenance"]
    assert call.excused
    # groupspark excuses all maintenance: 7 min left -> 1 started hour = 1.00 either way, so
    # check the qualifying minutes instead.
    excused = services.settle(
        claim=claim, by=reviewer_user, intervals=context["intervals"], maintenance=[call]
    )
    assert excused.quotes[0]["months"][0]["qualifying_downtime_minutes"] == 7.0
    with pytest.raises(services.ClaimRefused) as refused:
        services.settle(
            claim=claim,
            by=reviewer_user,
            intervals=context["intervals"],
            maintenance=[services.MaintenanceCall(record.pk, False, "")],
        )
    assert refused.value.errors == {
        "maintenance": [messages.MAINTENANCE_NEEDS_REASON.format(id=record.pk)]
    }
    counted = services.settle(
        claim=claim,
        by=reviewer_user,
        intervals=context["intervals"],
        maintenance=[services.MaintenanceCall(record.pk, False, "It was not maintenance at all")],
    )
    assert counted.quotes[0]["months"][0]["qualifying_downtime_minutes"] == 47.0


def test_exception_tag_must_be_one_of_the_policys_and_have_a_reason(
    nora, cedar_exchange, reviewer_user
):
    claim = file(nora, cedar_exchange, representation=True, proof=False)
    with pytest.raises(services.ClaimRefused) as refused:
        services.settle(
            claim=claim,
            by=reviewer_user,
            intervals=[
                services.SettledInterval(START, END, "cosmic-rays", "x"),
                services.SettledInterval(END, END + dt.timedelta(minutes=5), "dns-issue", ""),
            ],
            maintenance=[],
        )
    assert refused.value.errors["intervals"] == [
        messages.EXCEPTION_NOT_IN_POLICY.format(number=1, slug="cosmic-rays"),
        messages.EXCEPTION_NEEDS_REASON.format(number=2),
    ]


def test_onepointsync_ignores_exception_tags(alice, acme_email, reviewer_user):
    claim = file(alice, acme_email)
    with pytest.raises(services.ClaimRefused):
        services.settle(
            claim=claim,
            by=reviewer_user,
            intervals=[services.SettledInterval(START, END, "dns-issue", "x")],
            maintenance=[],
        )


def test_groupspark_rejection_through_the_api(nora, cedar_exchange, reviewer_user):
    claim = file(nora, cedar_exchange, representation=True, proof=False)
    staff = api_for(reviewer_user)
    no_reason = staff.post(f"/api/v1/claims/{claim.pk}/reject/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400
    rejected = staff.post(
        f"/api/v1/claims/{claim.pk}/reject/",
        {"reason": "Our monitoring shows no outage."},
        format="json",
    )
    assert rejected.status_code == 201
    seen = api_for(nora).get(f"/api/v1/claims/{claim.pk}/").json()
    assert seen["state"] == "rejected"
    assert seen["decisions"][0]["reason"] == "Our monitoring shows no outage."
    claim.refresh_from_db()
    assert not claim.lines.get().live  # a rejected claim no longer blocks the period


def test_tiered_policy_lifecycle(demo, reviewer_user):
    customer = Organisation.objects.get(name="Birch Legal")
    bob = User.objects.get(email="bob@birch-legal.example")
    tiered = Subscription.objects.create(
        organisation=customer,
        service=Service.objects.get(slug="data-backup"),
        policy=Policy.objects.get(slug="tiered-example"),
        monthly_fee=Decimal("200.00"),
        starts_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    claim = file(bob, tiered, proof=False)
    decision = services.approve(claim=claim, by=reviewer_user)
    # 47 min of 31 days: 99.8947 % < 99.99 % -> 10 % of 200.00 = 20.00
    assert decision.amount == Decimal("20.00")
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


# --- rules on deciding -------------------------------------------------------------------------


def test_a_different_amount_needs_a_reason(alice, acme_email, reviewer_user):
    claim = file(alice, acme_email)
    with pytest.raises(services.ClaimRefused) as refused:
        services.approve(claim=claim, by=reviewer_user, amount=Decimal("25.00"))
    assert refused.value.errors == {
        "reason": [messages.OVERRIDE_NEEDS_REASON.format(engine="30.00")]
    }
    decision = services.approve(
        claim=claim, by=reviewer_user, amount=Decimal("25.00"), reason="Only one site affected."
    )
    assert (decision.amount, decision.engine_amount) == (Decimal("25.00"), Decimal("30.00"))


def test_evidence_outside_the_period_needs_a_written_override(alice, acme_email, reviewer_user):
    # A ping log from the day before: a network test, but none of it inside the claimed period.
    day_before = ping_log(start=START - dt.timedelta(days=1), end=END - dt.timedelta(days=1))
    claim = services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(acme_email,), period_start=START, period_end=END, basis="Down."
        ),
        uploads=[(upload("yesterday.txt", day_before), "ping")],
    )
    with pytest.raises(services.ClaimRefused) as refused:
        services.approve(claim=claim, by=reviewer_user)
    assert refused.value.errors == {"reason": [messages.EVIDENCE_OVERRIDE_NEEDS_REASON]}
    services.approve(claim=claim, by=reviewer_user, reason="Our own monitoring confirms it.")


def test_nobody_decides_a_claim_they_filed(demo, acme_email):
    # A provider reviewer who is also a member of the customer (e.g. its IT contact).
    insider = User.objects.get(email="reviewer2@provider.example")
    Membership.objects.create(
        user=insider, organisation=acme_email.organisation, role=Role.CUSTOMER_MEMBER
    )
    claim = file(insider, acme_email)
    with pytest.raises(services.ClaimRefused) as refused:
        services.approve(claim=claim, by=insider)
    assert refused.value.errors == {"__all__": [messages.OWN_CLAIM]}
    assert Decision.objects.count() == 0


def test_customers_and_billing_staff_cannot_decide(alice, bob, acme_email, demo):
    claim = file(alice, acme_email)
    billing = User.objects.get(email="billing@provider.example")
    for user in (alice, bob, billing):
        with pytest.raises(services.ClaimRefused):
            services.approve(claim=claim, by=user)
    assert (
        api_for(bob).post(f"/api/v1/claims/{claim.pk}/approve/", {}, format="json").status_code
        == 404
    )
    response = api_for(alice).post(f"/api/v1/claims/{claim.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"__all__": [messages.NOT_A_REVIEWER]}


def test_four_eyes_above_the_threshold(settings, alice, acme_email, reviewer_user, reviewer2):
    settings.APPROVAL_SECOND_REVIEWER_ABOVE = Decimal("20.00")
    claim = file(alice, acme_email)
    first = services.approve(claim=claim, by=reviewer_user)
    claim.refresh_from_db()
    assert claim.state == ClaimState.AWAITING_SECOND
    with pytest.raises(services.ClaimRefused) as refused:
        services.confirm_approval(claim=claim, by=reviewer_user)
    assert refused.value.errors == {"__all__": [messages.FOUR_EYES]}
    with pytest.raises(services.ClaimRefused):
        services.approve(claim=claim, by=reviewer2)  # confirm, do not approve again
    second = services.confirm_approval(claim=claim, by=reviewer2)
    assert second.confirms == first
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED


def test_a_decision_is_corrected_by_a_new_decision(alice, acme_email, reviewer_user, reviewer2):
    claim = file(alice, acme_email)
    first = services.approve(claim=claim, by=reviewer_user)
    with pytest.raises(services.ClaimRefused) as refused:
        services.approve(claim=claim, by=reviewer2)
    assert "already decided by reviewer1@provider.example" in refused.value.errors["__all__"][0]
    correction = services.reject(
        claim=claim, by=reviewer2, reason="The outage was our customer's LAN."
    )
    assert correction.corrects == first
    first.refresh_from_db()
    assert (first.kind, first.amount) == ("approve", Decimal("30.00"))  # unchanged
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    assert [d.kind for d in claim.decisions.all()] == ["approve", "reject"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_decisions_and_settlements_cannot_be_rewritten(alice, acme_email, reviewer_user):
    claim = file(alice, acme_email)
    services.approve(claim=claim, by=reviewer_user)
    for statement in (
        "UPDATE claims_decision SET amount = 999",
        "DELETE FROM claims_decision",
        "UPDATE claims_settlement SET credit = 999",
    ):
        with pytest.raises(Exception, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)


# --- the conversation --------------------------------------------------------------------------


def test_claimant_never_sees_internal_notes(alice, acme_email, reviewer_user):
    claim = file(alice, acme_email)
    services.post_message(
        claim=claim, by=reviewer_user, body="Looks genuine; check the router logs.", internal=True
    )
    services.post_message(claim=claim, by=reviewer_user, body="We are looking into it.")
    services.post_message(
        claim=claim, by=alice, body="Thanks!", uploads=[(upload("extra.txt"), "")]
    )
    seen = api_for(alice).get(f"/api/v1/claims/{claim.pk}/").json()
    assert [m["body"] for m in seen["messages"]] == ["We are looking into it.", "Thanks!"]
    assert seen["messages"][1]["files"] == ["extra.txt"]
    staff_view = api_for(reviewer_user).get(f"/api/v1/claims/{claim.pk}/").json()
    assert len(staff_view["messages"]) == 3
    with pytest.raises(services.ClaimRefused):
        services.post_message(claim=claim, by=alice, body="sneaky", internal=True)
    assert Message.objects.filter(internal=True).count() == 1


def test_reviewer_sees_all_claims_customer_only_its_own(alice, bob, acme_email, reviewer_user):
    claim = file(alice, acme_email)
    assert api_for(reviewer_user).get(f"/api/v1/claims/{claim.pk}/").status_code == 200
    assert api_for(bob).get(f"/api/v1/claims/{claim.pk}/").status_code == 404
    assert api_for(alice).get("/api/v1/review-queue/").status_code == 404


def test_queue_filters_and_order(alice, nora, acme_email, cedar_exchange, reviewer_user):
    first = file(alice, acme_email)
    second = file(nora, cedar_exchange, representation=True, proof=False)
    staff = api_for(reviewer_user)
    both = [c["id"] for c in staff.get("/api/v1/review-queue/").json()["results"]]
    assert both == [first.pk, second.pk]  # due first at the top
    assert [
        c["id"] for c in staff.get("/api/v1/review-queue/?policy=groupspark").json()["results"]
    ] == [second.pk]
    reseller = Organisation.objects.get(name="Northwind IT")
    assert [
        c["id"]
        for c in staff.get(f"/api/v1/review-queue/?reseller={reseller.pk}").json()["results"]
    ] == [second.pk]
    bad = staff.get("/api/v1/review-queue/?state=bogus")
    assert bad.status_code == 400
    assert "state" in bad.json()


def test_review_endpoints_are_in_the_schema(reviewer_user):
    schema = api_for(reviewer_user).get("/api/v1/schema/?format=json").json()
    for path in (
        "approve",
        "reject",
        "request-info",
        "confirm-approval",
        "settle",
        "answer",
        "messages",
    ):
        assert f"/api/v1/claims/{{id}}/{path}/" in schema["paths"], path
    assert "/api/v1/review-queue/" in schema["paths"]


def test_policy_version_decision_days_set_the_due_date(alice, acme_email):
    PolicyVersion.objects.filter(policy__slug="onepointsync").update(decision_days=3)
    claim = file(alice, acme_email)
    assert claim.decision_due_at == claim.submitted_at + dt.timedelta(days=3)


def test_billing_staff_cannot_message_claimants_or_add_notes(alice, acme_email, demo):
    claim = file(alice, acme_email)
    billing = User.objects.get(email="billing@provider.example")
    for internal in (False, True):
        response = api_for(billing).post(
            f"/api/v1/claims/{claim.pk}/messages/",
            {"body": "A word from billing", "internal": internal},
            format="json",
        )
        assert response.status_code == 400, response.content
        assert response.json() == {"__all__": [messages.MESSAGES_ARE_REVIEWERS]}
    assert not Message.objects.filter(claim=claim).exists()
    assert not ClaimEvent.objects.filter(claim=claim, action__in=["message_posted", "note_added"])


def test_claimant_sees_its_own_side_of_the_trail_never_staff_working_or_addresses(
    alice, acme_email, reviewer_user, client
):
    claim = file(alice, acme_email)
    services.start_review(claim=claim, by=reviewer_user)
    services.post_message(
        claim=claim, by=reviewer_user, body="Router logs look fine.", internal=True
    )
    services.post_message(claim=claim, by=reviewer_user, body="We are looking into it.")
    services.settle(
        claim=claim,
        by=reviewer_user,
        intervals=[services.SettledInterval(START, END, None, "")],
        maintenance=[],
        reason="Matched against the NOC's own graphs",
    )
    client.force_login(alice)
    page = client.get(f"/claims/{claim.pk}/").content.decode()
    for hidden in (reviewer_user.email, "Note added", "Router logs", "NOC's own graphs"):
        assert hidden not in page, hidden
    assert "Provider staff" in page and "We are looking into it." in page
    seen = api_for(alice).get(f"/api/v1/claims/{claim.pk}/").json()
    assert [m["author"] for m in seen["messages"]] == ["Provider staff"]
    assert reviewer_user.email not in str(seen)
    # Staff still see who did what, and why.
    client.force_login(reviewer_user)
    staff_page = client.get(f"/claims/{claim.pk}/").content.decode()
    assert reviewer_user.email in staff_page and "NOC&#x27;s own graphs" in staff_page
    assert (
        api_for(reviewer_user).get(f"/api/v1/claims/{claim.pk}/").json()["messages"][0]["author"]
        == reviewer_user.email
    )
