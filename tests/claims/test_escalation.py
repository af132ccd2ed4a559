"""Deadline warnings: each threshold is raised once per claim, at the right instant (the
apply-by date in policy time), and mailed to reviewers and billing staff."""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connections

from billing import escalation as billing_escalation
from billing.models import ApplyByThreshold
from claims import escalation, services
from claims.models import Claim, ClaimState, Escalation, EscalationThreshold, Notification
from claims.services.review import approve
from claims.tasks import escalate_deadlines
from portal.models import User
from sla.models import Subscription
from tests import scenarios
from tests.claims.conftest import NOW

T = EscalationThreshold
STAFF = ["billing@provider.example", "reviewer1@provider.example", "reviewer2@provider.example"]
SECOND = dt.timedelta(seconds=1)


def file(now=NOW):
    alice = User.objects.get(email="alice@acme-dental.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    return scenarios.file(alice, email, basis="Mail down.", now=now)


@pytest.fixture
def submitted_claim(demo):
    # Filed 2026-03-20 12:00 UTC; OnePointSync owes a decision in 10 days.
    claim = file()
    assert claim.decision_due_at == dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC)
    return claim


@pytest.fixture
def approved_claim(submitted_claim):
    reviewer = User.objects.get(email="reviewer1@provider.example")
    approve(claim=submitted_claim, by=reviewer, now=NOW + dt.timedelta(days=1))
    submitted_claim.refresh_from_db()
    assert submitted_claim.state == ClaimState.APPROVED
    # Received 2026-03-20 in policy time (UTC-07:00): on the next invoice, by 2026-04-30.
    assert submitted_claim.apply_by == dt.date(2026, 4, 30)
    return submitted_claim


def raised(claim):
    return sorted(claim.escalations.values_list("threshold", flat=True))


def mails_for(claim, threshold):
    (row,) = claim.escalations.filter(threshold=threshold)
    return Notification.objects.filter(key__startswith=f"escalation-{row.pk}:")


def warned(claim):
    return sorted(claim.apply_by_warnings.values_list("threshold", flat=True))


def warning_mails(claim, threshold):
    (row,) = claim.apply_by_warnings.filter(threshold=threshold)
    return Notification.objects.filter(key__startswith=f"apply-by-{row.pk}:")


@pytest.mark.django_db
def test_decision_due_soon_two_days_before_and_overdue_at_due(submitted_claim):
    due = submitted_claim.decision_due_at
    assert escalation.escalate(due - dt.timedelta(days=2) - SECOND) == []
    assert raised(submitted_claim) == []

    (soon,) = escalation.escalate(due - dt.timedelta(days=2))
    assert (soon.claim, soon.threshold) == (submitted_claim, T.DECISION_DUE_SOON)
    assert escalation.escalate(due - dt.timedelta(days=1)) == []
    assert escalation.escalate(due - SECOND) == []

    (overdue,) = escalation.escalate(due)
    assert overdue.threshold == T.DECISION_OVERDUE
    assert escalation.escalate(due + dt.timedelta(days=3)) == []
    assert raised(submitted_claim) == [T.DECISION_DUE_SOON, T.DECISION_OVERDUE]

    mails = mails_for(submitted_claim, T.DECISION_OVERDUE)
    assert sorted(mails.values_list("recipient", flat=True)) == STAFF
    mail = mails.first()
    assert mail.subject == f"Claim {submitted_claim.reference}: decision overdue"
    assert "Decision due: 2026-03-30 12:00 UTC" in mail.body
    assert f"/claims/{submitted_claim.pk}/" in mail.body
    assert Notification.objects.filter(key__startswith="escalation-").count() == 2 * len(STAFF)


@pytest.mark.django_db
def test_the_task_escalates_at_the_current_time(submitted_claim):
    with time_machine.travel(submitted_claim.decision_due_at + SECOND, tick=False):
        assert escalate_deadlines() == 1
        assert escalate_deadlines() == 0
    assert raised(submitted_claim) == [T.DECISION_OVERDUE]


@pytest.mark.django_db
def test_a_decided_or_withdrawn_claim_owes_no_decision(demo):
    alice = User.objects.get(email="alice@acme-dental.example")
    claim = file()
    services.withdraw_claim(claim=claim, by=alice, now=NOW + SECOND)
    assert escalation.escalate(claim.decision_due_at + dt.timedelta(days=1)) == []


@pytest.mark.django_db
def test_apply_by_soon_and_passed_in_policy_time(approved_claim):
    # The claim was decided: no decision warnings, however late.
    assert escalation.escalate(dt.datetime(2026, 4, 10, tzinfo=dt.UTC)) == []
    # Apply-by warnings are billing's, which knows what is applied (nothing is here yet).
    escalate = billing_escalation.escalate
    # 2026-04-23 00:00 in UTC-07:00 is 07:00 UTC: seven days before 2026-04-30 from then on.
    assert escalate(dt.datetime(2026, 4, 23, 6, 59, 59, tzinfo=dt.UTC)) == []
    (soon,) = escalate(dt.datetime(2026, 4, 23, 7, tzinfo=dt.UTC))
    assert soon.threshold == ApplyByThreshold.SOON
    # Still the apply-by day in policy time, though 2026-05-01 in UTC.
    assert escalate(dt.datetime(2026, 5, 1, 6, 59, 59, tzinfo=dt.UTC)) == []
    (passed,) = escalate(dt.datetime(2026, 5, 1, 7, tzinfo=dt.UTC))
    assert passed.threshold == ApplyByThreshold.PASSED
    assert escalate(dt.datetime(2026, 6, 1, tzinfo=dt.UTC)) == []
    assert warned(approved_claim) == [ApplyByThreshold.PASSED, ApplyByThreshold.SOON]
    assert raised(approved_claim) == []

    mails = warning_mails(approved_claim, ApplyByThreshold.PASSED)
    assert sorted(mails.values_list("recipient", flat=True)) == STAFF
    mail = mails.first()
    assert mail.subject == f"Claim {approved_claim.reference}: apply-by date passed"
    assert "Credit must be on an invoice by: 2026-04-30 (UTC-07:00" in mail.body


@pytest.mark.django_db
def test_a_credit_approved_late_is_past_its_apply_by_date_at_once(approved_claim):
    assert warned(approved_claim) == []
    (passed,) = billing_escalation.escalate(dt.datetime(2026, 5, 20, tzinfo=dt.UTC))
    assert passed.threshold == ApplyByThreshold.PASSED
    assert warned(approved_claim) == [ApplyByThreshold.PASSED]


@pytest.mark.django_db
def test_a_rejected_claim_has_no_credit_to_apply(submitted_claim):
    reviewer = User.objects.get(email="reviewer1@provider.example")
    services.reject(claim=submitted_claim, by=reviewer, reason="No outage seen.")
    assert billing_escalation.escalate(dt.datetime(2026, 5, 20, tzinfo=dt.UTC)) == []


def test_two_runs_at_once_raise_and_mail_once(live_demo, celery_worker, mailoutbox, monkeypatch):
    claim = file()
    Claim.objects.filter(pk=claim.pk).update(decision_due_at=NOW)
    start = threading.Barrier(2)
    results = []
    # Both runs have found the claim without an escalation before either inserts one.
    both_found = threading.Barrier(2, timeout=10)
    get_or_create = Escalation.objects.get_or_create

    def get_or_create_together(**kwargs):
        both_found.wait()
        return get_or_create(**kwargs)

    monkeypatch.setattr(Escalation.objects, "get_or_create", get_or_create_together)

    def run():
        try:
            start.wait()
            results.append(escalation.escalate(NOW))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(r) for r in results) == [0, 1]
    assert Escalation.objects.filter(claim=claim).count() == 1
    rows = mails_for(claim, T.DECISION_OVERDUE)
    assert rows.count() == len(STAFF)
    deadline = time.monotonic() + 20
    while rows.filter(sent_at=None).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    subject = f"Claim {claim.reference}: decision overdue"
    assert sorted(m.to[0] for m in mailoutbox if m.subject == subject) == STAFF
