"""Filing a claim mails the claimant and the reviewers, by a Celery task on a real worker,
only after the filing commits."""

import time

import pytest
from django.core import mail

from claims import services
from claims.models import Claim
from portal.models import User
from sla.models import Subscription
from tests.claims.conftest import END, START, upload

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
    messages = wait_for_mail(2)
    by_subject = {m.subject: m for m in messages}
    claimant = by_subject[f"Claim {claim.reference} received"]
    assert claimant.to == ["alice@acme-dental.example"]
    assert "2026-03-10 19:00 to 2026-03-10 19:47 UTC" in claimant.body
    staff = by_subject[f"New SLA claim {claim.reference} from Acme Dental"]
    assert sorted(staff.to) == ["reviewer1@provider.example", "reviewer2@provider.example"]
    assert "Mail down." in staff.body


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
