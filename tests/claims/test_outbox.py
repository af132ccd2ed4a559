"""The outbox: mail is written with the change that causes it, sent once after commit, kept
when sending fails, and sent by the sweep when its task was lost with the broker."""

import contextlib
import datetime as dt
import logging
import threading
import time
from smtplib import SMTPException, SMTPRecipientsRefused

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from claims import notifications, services
from claims.models import Claim, ClaimEvent, ClaimState, Notification
from claims.tasks import send_pending
from portal.celery import app
from portal.models import User
from sla.models import Subscription
from tests.claims.conftest import END, START, upload
from tests.helpers import own_redis

FAILING = "tests.claims.test_outbox.FailingBackend"
SLOW = "tests.claims.test_outbox.SlowBackend"


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise SMTPException("421 Service not available")


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses one address and takes the rest."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["refused@example.com"]:
                raise SMTPRecipientsRefused({"refused@example.com": (550, b"No such user")})
        return LocmemBackend().send_messages(messages)


class SlowBackend(LocmemBackend):
    """A mail server that takes a while to accept: long enough for a second sender to try."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


@pytest.fixture
def eager():
    """Tasks run in the caller, so an on_commit enqueue can be followed in a plain db test.
    Delivery through the broker is proven with the real worker below."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def queue_reminder(key="reminder", recipients=("a@example.com",)):
    return notifications.queue(
        key=key, recipients=recipients, subject="Reminder", body="Please look at C-000001."
    )


def wait_until_sent(rows, timeout=20):
    deadline = time.monotonic() + timeout
    pks = [row.pk for row in rows]
    while time.monotonic() < deadline:
        if not Notification.objects.pending().filter(pk__in=pks).exists():
            return
        time.sleep(0.1)
    pending = list(Notification.objects.pending().filter(pk__in=pks))
    raise AssertionError(f"not sent within {timeout} s: {pending}")


# --- queueing ----------------------------------------------------------------------------------


def test_rolled_back_mail_is_neither_stored_nor_sent(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            queue_reminder()
            raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0
    assert callbacks == []
    assert mailoutbox == []


def test_same_event_queued_twice_is_one_row_and_one_mail(
    db, eager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as first:
        created = queue_reminder(recipients=["a@example.com", "b@example.com", "a@example.com"])
    with django_capture_on_commit_callbacks(execute=True) as second:
        again = queue_reminder(recipients=["a@example.com", "b@example.com"])
    assert len(created) == 2 and again == []
    assert (len(first), len(second)) == (1, 0)
    assert sorted(Notification.objects.values_list("key", flat=True)) == [
        "reminder:a@example.com",
        "reminder:b@example.com",
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "b@example.com"]
    assert all(n.sent_at is not None for n in Notification.objects.all())


def test_a_very_long_address_still_fits_the_key(db):
    long_address = f"{'x' * 180}@example.com"
    (row,) = queue_reminder(key="claim-1:approved:decision-1", recipients=[long_address])
    assert row.recipient == long_address
    assert row.key.startswith("claim-1:approved:decision-1:") and len(row.key) <= 200
    assert queue_reminder(key="claim-1:approved:decision-1", recipients=[long_address]) == []


# --- sending -----------------------------------------------------------------------------------


def test_sending_twice_sends_once(db, mailoutbox):
    (row,) = queue_reminder()
    assert notifications.send(row.pk) is True
    assert notifications.send(row.pk) is False
    row.refresh_from_db()
    assert len(mailoutbox) == 1
    assert (mailoutbox[0].subject, mailoutbox[0].to) == ("Reminder", ["a@example.com"])
    assert row.sent_at is not None and row.attempts == 1


# Two connections and SKIP LOCKED: SQLite has no row locks (its second writer finds the table
# locked instead), and the embedded default has no concurrent senders to race.
@pytest.mark.postgres_only
def test_two_senders_at_once_send_once(transactional_db, settings, mailoutbox):
    settings.EMAIL_BACKEND = SLOW
    # A row as queue() writes it, without enqueueing a task: the two threads are the senders.
    row = Notification.objects.create(
        key="reminder:a@example.com", recipient="a@example.com", subject="Reminder", body="..."
    )
    start = threading.Barrier(2)
    results = []

    def sender():
        try:
            start.wait()
            results.append(notifications.send(row.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row.refresh_from_db()
    assert sorted(results) == [False, True]
    assert len(mailoutbox) == 1
    assert row.attempts == 1


def test_failed_send_is_kept_with_its_error_and_sent_later(db, settings, mailoutbox):
    (row,) = queue_reminder()
    settings.EMAIL_BACKEND = FAILING
    with pytest.raises(SMTPException):
        notifications.send(row.pk)
    row.refresh_from_db()
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error == "SMTPException: 421 Service not available"
    assert list(Notification.objects.pending()) == [row]

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.send(row.pk) is True
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error == ""
    assert len(mailoutbox) == 1


def test_sweep_sends_only_mail_waiting_over_a_minute(db, mailoutbox):
    now = timezone.now()
    (old,) = queue_reminder(key="old")
    (fresh,) = queue_reminder(key="fresh")
    (done,) = queue_reminder(key="done")
    Notification.objects.filter(pk__in=[old.pk, done.pk]).update(
        created_at=now - dt.timedelta(seconds=61)
    )
    notifications.send(done.pk)
    assert notifications.send_pending(now) == 1
    assert [m.body for m in mailoutbox] == ["Please look at C-000001."] * 2
    assert set(Notification.objects.pending()) == {fresh}


def test_sweep_goes_past_a_refused_address(db, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.claims.test_outbox.RefusingBackend"
    now = timezone.now()
    queue_reminder(recipients=["refused@example.com", "b@example.com"])
    Notification.objects.update(created_at=now - dt.timedelta(minutes=2))
    assert notifications.send_pending(now) == 1
    refused = Notification.objects.get(recipient="refused@example.com")
    assert refused.sent_at is None and refused.attempts == 1
    assert "No such user" in refused.last_error
    assert [m.to for m in mailoutbox] == [["b@example.com"]]


# --- through a real worker ---------------------------------------------------------------------


def test_state_change_is_mailed_by_the_worker_after_commit(live_demo, celery_worker, mailoutbox):
    alice = User.objects.get(email="alice@acme-dental.example")
    reviewer = User.objects.get(email="reviewer1@provider.example")
    email = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    claim = services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(email,), period_start=START, period_end=END, basis="Mail down."
        ),
        uploads=[(upload(), "ping")],
    )
    subject = f"Claim {claim.reference}: Under review"
    with transaction.atomic():
        # What a review service does: change the state, record it, mail the claimant.
        Claim.objects.filter(pk=claim.pk).update(state=ClaimState.UNDER_REVIEW)
        claim.refresh_from_db()
        ClaimEvent.objects.create(
            claim=claim,
            actor=reviewer,
            action="review_started",
            from_state=ClaimState.SUBMITTED,
            to_state=ClaimState.UNDER_REVIEW,
        )
        notifications.claim_changed(claim, by=reviewer, reason="We are checking the logs.")
        row = Notification.objects.get(subject=subject)
        time.sleep(1)  # a task enqueued before commit would have run by now
        assert [m for m in mail.outbox if m.subject == subject] == []
    wait_until_sent([row])
    (sent,) = [m for m in mail.outbox if m.subject == subject]
    assert sent.to == ["alice@acme-dental.example"]
    assert "We are checking the logs." in sent.body
    assert f"/claims/{claim.pk}/" in sent.body


def test_the_worker_retries_until_the_mail_server_is_back(celery_worker, settings, mailoutbox):
    settings.EMAIL_BACKEND = FAILING
    (row,) = queue_reminder()
    deadline = time.monotonic() + 20
    while Notification.objects.get(pk=row.pk).attempts < 2:
        assert time.monotonic() < deadline, "the task was not retried"
        time.sleep(0.05)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    wait_until_sent([row])
    row.refresh_from_db()
    assert row.attempts >= 3 and row.last_error == ""
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


@contextlib.contextmanager
def broker_at(url):
    """Point this process's Celery client at another broker. The connection pools are dropped
    as Celery itself does after a fork, so the next publish connects to `url`."""

    def use(broker_url):
        app.conf.broker_url = broker_url
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    use(url)
    try:
        yield
    finally:
        app.pool.force_close_all()  # the connections to `url` only
        use(previous)


def test_mail_queued_while_the_broker_is_down_is_sent_once_by_the_sweep(
    celery_worker, tmp_path, mailoutbox, caplog
):
    # The test worker turns the root logger down to errors; the warning is what is checked.
    caplog.set_level(logging.WARNING, logger="claims.notifications")
    with own_redis(tmp_path) as broker, broker_at(broker.url):
        # Enqueued on a broker that then dies with the message (no worker reads it there).
        lost = queue_reminder(key="lost", recipients=["a@example.com", "b@example.com"])
        broker.stop()
        # Enqueued while the broker is down: the enqueue fails after commit, quietly.
        with transaction.atomic():
            refused = queue_reminder(key="refused", recipients=["c@example.com"])
        assert "wait for the sweep" in caplog.text
    rows = lost + refused
    assert Notification.objects.pending().count() == 3
    # The sweep leaves mail younger than a minute to its own task: these were queued earlier.
    Notification.objects.update(created_at=F("created_at") - dt.timedelta(minutes=2))

    send_pending.delay()
    wait_until_sent(rows)
    assert notifications.send_pending(timezone.now()) == 0  # a second sweep finds nothing
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
