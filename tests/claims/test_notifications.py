"""Filing a claim mails the claimant and the reviewers, by a Celery task on a real worker,
only after the filing commits."""

import time

import pytest
import time_machine
from django.core import mail

from claims import notifications, services
from claims.models import Claim, Notification
from claims.services.review import (
    answer_info,
    approve,
    post_message,
    reject,
    request_info,
    start_review,
)
from portal.models import User
from sla.models import Subscription
from tests.claims.conftest import END, NOW, START, upload

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for_mail(count, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(mail.outbox) >= count:
            return mail.outbox
        time.sleep(0.1)
    raise AssertionError(f"expected {count} messages, got {len(mail.outbox)}")


def test_filing_mails_claimant_and_reviewers_after_commit(live_demo, celery_worker, mailoutbox):
    alice = User.objects.get(email="alice@acme-dental.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    claim = services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(email,), period_start=START, period_end=END, basis="Mail down."
        ),
        uploads=[(upload(), "ping")],
    )
    messages = wait_for_mail(3)  # the outbox sends one mail per recipient
    (claimant,) = [m for m in messages if m.subject == f"Claim {claim.reference} received"]
    assert claimant.to == ["alice@acme-dental.example"]
    assert "2026-03-10 19:00 to 2026-03-10 19:47 UTC" in claimant.body
    staff = [
        m for m in messages if m.subject == f"New SLA claim {claim.reference} from Acme Dental"
    ]
    assert sorted(m.to[0] for m in staff) == [
        "reviewer1@provider.example",
        "reviewer2@provider.example",
    ]
    assert all("Mail down." in m.body for m in staff)
    assert Notification.objects.count() == 3


def test_a_refused_filing_sends_nothing(live_demo, celery_worker, mailoutbox):
    alice = User.objects.get(email="alice@acme-dental.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    with pytest.raises(services.ClaimRefused):
        services.file_claim(
            by=alice,
            data=services.ClaimInput(
                subscriptions=(email,), period_start=START, period_end=END, basis="No proof."
            ),
        )
    time.sleep(2)  # a wrongly enqueued task would have run by now on the live worker
    assert mail.outbox == []
    assert Claim.objects.count() == 0
    assert Notification.objects.count() == 0


# --- what each change mails, and to whom (the outbox rows; sending is in test_outbox) ---------

REVIEWERS = ["reviewer1@provider.example", "reviewer2@provider.example"]


@pytest.fixture
def filed(demo):
    alice = User.objects.get(email="alice@acme-dental.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    with time_machine.travel(NOW, tick=False):
        return services.file_claim(
            by=alice,
            data=services.ClaimInput(
                subscriptions=(email,), period_start=START, period_end=END, basis="Mail down."
            ),
            uploads=[(upload(), "ping")],
        )


@pytest.fixture
def rita(demo):
    return User.objects.get(email="reviewer1@provider.example")


def rows(key_prefix):
    return Notification.objects.filter(key__startswith=key_prefix).order_by("recipient")


@pytest.mark.django_db
def test_filing_queues_one_mail_per_recipient_once(filed):
    notifications.claim_filed(filed)
    notifications.claim_filed(filed)
    assert [n.recipient for n in rows(f"claim-{filed.pk}:filed:")] == [
        "alice@acme-dental.example",
        *REVIEWERS,
    ]


@pytest.mark.django_db
def test_each_state_change_mails_the_claimant_once_with_the_reason(filed, rita):
    start_review(claim=filed, by=rita, now=NOW)
    question = request_info(claim=filed, by=rita, question="Which office lost mail?", now=NOW)
    notifications.claim_changed(Claim.objects.get(pk=filed.pk), by=rita, reason="again")  # retry
    changes = Notification.objects.filter(subject__startswith=f"Claim {filed.reference}: ")
    assert [(n.recipient, n.subject) for n in changes] == [
        ("alice@acme-dental.example", f"Claim {filed.reference}: Under review"),
        ("alice@acme-dental.example", f"Claim {filed.reference}: More information requested"),
    ]
    asked = changes.last()
    assert question.body in asked.body
    assert "Changed by Rita Reviewer" in asked.body
    assert f"/claims/{filed.pk}/" in asked.body


@pytest.mark.django_db
def test_approval_mails_the_credit(filed, rita):
    decision = approve(claim=filed, by=rita, now=NOW)
    (mail,) = rows(f"claim-{filed.pk}:approved:decision-{decision.pk}:")
    assert mail.subject == f"Claim {filed.reference}: Approved"
    assert f"Credit approved: {decision.amount} USD" in mail.body


@pytest.mark.django_db
def test_rejection_mails_the_reason_and_no_credit(filed, rita):
    decision = reject(claim=filed, by=rita, reason="Planned maintenance, noticed.", now=NOW)
    (mail,) = rows(f"claim-{filed.pk}:rejected:decision-{decision.pk}:")
    assert "Reason:\nPlanned maintenance, noticed." in mail.body
    assert "Credit" not in mail.body


@pytest.mark.django_db
def test_messages_go_to_the_other_side_and_notes_to_nobody(filed, rita):
    alice = filed.filed_by
    staff_says = post_message(claim=filed, by=rita, body="Which mailbox?", now=NOW)
    alice_says = post_message(claim=filed, by=alice, body="info@ only.", now=NOW)
    note = post_message(claim=filed, by=rita, body="Customer is upset.", internal=True, now=NOW)
    (to_alice,) = rows(f"message-{staff_says.pk}:")
    assert to_alice.recipient == "alice@acme-dental.example"
    assert to_alice.subject == f"Claim {filed.reference}: a message from our staff"
    assert "Which mailbox?" in to_alice.body
    to_staff = rows(f"message-{alice_says.pk}:")
    assert [n.recipient for n in to_staff] == REVIEWERS
    assert to_staff[0].subject == f"Claim {filed.reference}: a message from Alice Acme"
    assert "info@ only." in to_staff[0].body
    assert not rows(f"message-{note.pk}:").exists()


@pytest.mark.django_db
def test_an_answer_mails_each_reviewer_once(filed, rita):
    request_info(claim=filed, by=rita, question="Which office?", now=NOW)
    answer = answer_info(claim=filed, by=filed.filed_by, body="The Phoenix office.", now=NOW)
    notifications.message_posted(filed, answer)  # the same message through the other door
    to_staff = rows(f"message-{answer.pk}:")
    assert [n.recipient for n in to_staff] == REVIEWERS
    assert to_staff[0].subject == (
        f"Claim {filed.reference}: Alice Acme answered your request for information"
    )
    assert "The Phoenix office." in to_staff[0].body
