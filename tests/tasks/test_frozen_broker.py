"""A hung broker (a SIGSTOPped redis-server: connections are accepted, never answered) costs a
request a bounded time and never a 500 for committed work; the sweeps do the work once the
broker answers again. Real PostgreSQL, a real Redis, a real worker; the HTTP path through
Django's test client."""

import datetime as dt
import threading
import time
import uuid
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connections
from django.db.models import F
from rest_framework.test import APIClient

from billing.models import CreditEntry
from billing.tasks import run_billing
from claims import services
from claims.models import ClaimState, Notification
from claims.tasks import send_pending
from portal.celery import app
from portal.models import User
from sla.models import Subscription
from tests.claims.conftest import END, START, upload
from tests.conftest import use_queues
from tests.tasks.broker import broker_at, private_redis

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (make test sets it)"),
]
# Far above the ~2 s a frozen broker may cost, far below the 60 s it cost without timeouts
# (with no socket timeout at all, a frozen broker held the request for as long as it stayed
# frozen).
HUNG = 20


def in_a_thread(call, timeout):
    """What `call` returned, or None when it was still running after `timeout` seconds."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome.get("value")


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def test_approval_on_a_frozen_broker_answers_and_the_sweep_grants_it(
    live_demo, tmp_path, mailoutbox
):
    alice = User.objects.get(email="alice@acme-dental.example")
    reviewer = User.objects.get(email="reviewer1@provider.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    name = f"frozen-{uuid.uuid4().hex[:12]}"
    queues = (name, f"{name}-mail")
    previous = use_queues(*queues)
    try:
        with private_redis(tmp_path) as broker, broker_at(broker.url):
            claim = services.file_claim(
                by=alice,
                data=services.ClaimInput(
                    subscriptions=(email,), period_start=START, period_end=END, basis="Down."
                ),
                uploads=[(upload(), "ping")],
            )
            staff = APIClient()
            staff.force_authenticate(reviewer)
            broker.freeze()
            try:
                started = time.monotonic()
                response = in_a_thread(
                    lambda: staff.post(f"/api/v1/claims/{claim.pk}/approve/", {}, format="json"),
                    HUNG,
                )
                took = time.monotonic() - started
            finally:
                broker.thaw()
            assert response is not None, f"the approval was still waiting after {HUNG} s"
            print(f"approval on a frozen broker answered in {took:.2f} s")  # noqa: T201
            assert response.status_code == 201, response.content
            claim.refresh_from_db()
            assert claim.state == ClaimState.APPROVED
            assert not CreditEntry.objects.filter(claim=claim).exists()
            assert Notification.objects.pending().filter(recipient=alice.email).exists()

            # The broker answers again: the sweeps (beat's work) grant and mail what was left.
            Notification.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))
            with start_worker(
                app, pool="solo", perform_ping_check=False, queues=list(queues), shutdown_timeout=10
            ):
                run_billing.delay()
                send_pending.delay()
                wait_for(
                    lambda: CreditEntry.objects.filter(claim=claim, kind="applied").exists(),
                    "the billing run to grant and apply the approval",
                )
                # The grant queued its own mail (the amount granted); its send may have skipped
                # the just-recovered broker, so the next sweep sends it.
                Notification.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))
                send_pending.delay()
                wait_for(lambda: not Notification.objects.pending().exists(), "the mail sweep")
    finally:
        use_queues(*previous)
    granted = CreditEntry.objects.filter(claim=claim, kind="granted")
    assert sum(entry.amount for entry in granted) == Decimal(response.json()["amount"]) > 0
    assert alice.email in {message.to[0] for message in mailoutbox}
