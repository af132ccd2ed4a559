"""Delivering credit tasks: an approved claim is granted and applied exactly once whatever the
broker and the workers do - a message delivered several times at once, a worker killed inside
the grant, a broker that is down when the claim is approved.

Real PostgreSQL, real Redis and real worker processes; never eager mode. A worker is put
"inside" a grant by holding the billed party's row lock from the test: the grant blocks on
it, in its transaction, until the test lets go.
"""

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest
import redis
from celery.signals import after_task_publish, task_postrun
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import pools
from kombu.utils.collections import eqhash

from billing import services as billing
from billing.models import BillingAccount, CreditEntry, Invoice
from billing.tasks import apply_credits, grant_credit, run_billing, run_billing_chunk
from claims import services
from claims.models import ClaimState
from portal.celery import app
from portal.models import User
from sla.models import Subscription
from tests import scenarios
from tests.helpers import own_redis

ROOT = Path(__file__).resolve().parents[2]
GRANTED, APPLIED = CreditEntry.Kind.GRANTED, CreditEntry.Kind.APPLIED
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (make test sets it)"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]
# What a worker logs (`-l info`) as it takes a task, and as it is done with it.
TAKEN = re.compile(r"Task (\S+)\[([0-9a-f-]+)\] received")
DONE = re.compile(r"Task \S+\[([0-9a-f-]+)\] (?:succeeded|raised|retry|ignored|rejected)")
SUCCEEDED = re.compile(r"Task (\S+)\[[0-9a-f-]+\] succeeded in [\d.e-]+s: (\S+)")


# --- the scenario ------------------------------------------------------------------------------


def filed_claim(email, organisation, service):
    """A submitted claim for the 47-minute outage, with a ping log that shows it."""
    user = User.objects.get(email=email)
    subscription = Subscription.objects.get(organisation__name=organisation, service__slug=service)
    return scenarios.file(user, subscription, representation=user.email.startswith("nora@"))


def approve(claim):
    return services.approve(claim=claim, by=User.objects.get(email="reviewer1@provider.example"))


def current_draft(claim):
    """The billed party's draft invoice for today's cycle: where its credit is applied."""
    return billing.draft_invoice(BillingAccount.for_account(claim.account), timezone.localdate())


def ledger(claim):
    return sorted(
        (entry.kind, entry.subscription_id, entry.service_month, entry.amount, entry.invoice_id)
        for entry in CreditEntry.objects.filter(claim=claim)
    )


def assert_granted_and_applied_once(claim, decision, invoice):
    """One grant per subscription-month, adding up to the decision, all of it applied once to
    the draft invoice (the fees there are far above these credits)."""
    grants = CreditEntry.objects.filter(claim=claim, kind=GRANTED)
    months = list(grants.values_list("subscription_id", "service_month"))
    assert months and len(months) == len(set(months)), ledger(claim)
    assert sum(grant.amount for grant in grants) == decision.amount > 0
    for grant in grants:
        applied = list(grant.movements.values_list("kind", "amount", "invoice_id"))
        assert applied == [(APPLIED, grant.amount, invoice.pk)], ledger(claim)


def wait_for(predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


# --- the broker, the workers and the lock ------------------------------------------------------


def database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def publishing_to(*, queue=None, broker=None):
    """Send this process's tasks (an approval's own enqueue included) to `queue`, and to
    `broker` when given. Celery keeps a connection pool and a producer pool per broker URL for
    the whole process: the other broker's are closed and forgotten at the end (a later broker
    on the same port starts clean), the suite's are left as they are."""
    previous_url, previous_queue = app.conf.broker_url, app.conf.task_default_queue

    def connect_to(url):
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.task_default_queue = queue or previous_queue
    if broker:
        connect_to(broker)
    try:
        yield
    finally:
        app.conf.task_default_queue = previous_queue
        if broker:
            key = eqhash(app.connection_for_write())
            for group in (pools.producers, pools.connections):
                if (pool := group.pop(key, None)) is not None:
                    pool.force_close_all()
            connect_to(previous_url)


class Worker:
    """`celery worker` in a process group of its own, so the test can kill one pool process or
    the whole worker by pid. Its log tells what each task returned."""

    def __init__(self, log, *, broker, queue, concurrency):
        self.log = log
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker,
            "CELERY_QUEUE": queue,
        }
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "celery", "-A", "portal", "worker", "-l", "info"),
                    *("--pool", "prefork", "--concurrency", str(concurrency), "-Q", queue),
                    *("-n", f"{log.stem}-{uuid.uuid4().hex[:6]}@%h"),
                    *("--without-mingle", "--without-gossip", "--without-heartbeat"),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self):
        return self.log.read_text()

    def wait_ready(self):
        wait_for(lambda: " ready." in self.text(), f"{self.log.name} to start", timeout=30)

    def results(self, task):
        """What each finished run of `task` returned, as logged."""
        return [value for name, value in SUCCEEDED.findall(self.text()) if name == task]

    def received(self, task):
        """Ids of the deliveries of `task` taken, in order (a redelivery repeats its id)."""
        return [id_ for name, id_ in TAKEN.findall(self.text()) if name == task]

    def busy(self):
        """Tasks taken and not finished (a task redelivered keeps its id)."""
        text = self.text()
        return {id_ for _, id_ in TAKEN.findall(text)} - set(DONE.findall(text))

    def pool_processes(self):
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill(self):
        """The whole worker dies at once, as with the OOM killer or a lost machine."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown: finish what runs, ack, close
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@contextlib.contextmanager
def worker(log, *, broker, queue, concurrency=1):
    running = Worker(log, broker=broker, queue=queue, concurrency=concurrency)
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def locked(billing_account):
    """Hold the billed party's row lock in an open transaction on a connection of its own:
    every grant and apply for that party waits inside its transaction until the block ends."""
    db = settings.DATABASES["default"]
    holder = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM billing_billingaccount WHERE id = %s FOR UPDATE",
                [billing_account.pk],
            )
        yield
    finally:
        holder.rollback()
        holder.close()


def waiting_for_the_lock():
    """PostgreSQL backends of this database blocked on a billing account's row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE %s",
            ['%FROM "billing_billingaccount"%FOR UPDATE%'],
        )
        return {pid for (pid,) in cursor.fetchall()}


@contextlib.contextmanager
def billing_tasks_in_this_process():
    """Billing tasks sent from this process and finished by the thread worker in it, with
    what each returned: the run is done when every task sent has finished."""
    tally = SimpleNamespace(sent=[], finished=[])
    tally.all_done = lambda: tally.sent and len(tally.sent) == len(tally.finished)

    def sent(sender, **kwargs):
        if sender.startswith("billing."):
            tally.sent.append(sender)

    def finished(sender, retval, **kwargs):
        if sender.name.startswith("billing."):
            tally.finished.append((sender.name, retval))

    after_task_publish.connect(sent, weak=False)
    task_postrun.connect(finished, weak=False)
    try:
        yield tally
    finally:
        after_task_publish.disconnect(sent)
        task_postrun.disconnect(finished)


def forget_queue(url, queue):
    """Remove the queue and its exchange's bindings from a shared Redis (a `queue_delete` on a
    fresh connection leaves the bindings behind)."""
    client = redis.Redis.from_url(url)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


def unacked(broker):
    """Messages a worker took from the broker and never acknowledged: {task name: args}."""
    client = redis.Redis.from_url(broker.url)
    try:
        found = {}
        for payload in client.hvals("unacked"):
            headers = json.loads(payload)[0]["headers"]
            found[headers["task"]] = headers["argsrepr"]
        return found
    finally:
        client.close()


# --- the tests ---------------------------------------------------------------------------------


def test_duplicate_deliveries_at_once_grant_and_apply_once(live_demo, tmp_path):
    queue = f"delivery-{uuid.uuid4().hex[:12]}"
    with worker(tmp_path / "w.log", broker=settings.REDIS_URL, queue=queue, concurrency=2) as w:
        claim = filed_claim("alice@acme-dental.example", "Acme Dental", "email")
        invoice = current_draft(claim)
        with publishing_to(queue=queue), locked(invoice.billing_account):
            decision = approve(claim)  # its own enqueue after commit: the first delivery
            for _ in range(3):
                grant_credit.delay(claim.pk)
            for _ in range(2):
                apply_credits.delay(invoice.billing_account_id)
            w.wait_ready()
            # Both pool processes inside a delivery, in its transaction, at the same time.
            wait_for(lambda: len(waiting_for_the_lock()) == 2, "two deliveries at once")
            assert not CreditEntry.objects.exists()
        # 4 grant deliveries (the writing one applies in its own transaction); 2 applies.
        wait_for(lambda: len(w.results("billing.tasks.grant_credit")) == 4, "the grants")
        wait_for(lambda: len(w.results("billing.tasks.apply_credits")) == 2, "the applies")
        wait_for(lambda: not w.busy(), "the worker to be idle")
        log = w.text()
    forget_queue(settings.REDIS_URL, queue)

    # One delivery wrote the grant; the others found it and wrote nothing, without an error.
    assert sorted(w.results("billing.tasks.grant_credit")) == ["0", "0", "0", "1"]
    assert sorted(w.results("billing.tasks.apply_credits")) == ["0", "0"]
    assert "Retry in" not in log and "ERROR" not in log, log
    assert_granted_and_applied_once(claim, decision, invoice)
    assert invoice.totals()["credits"] == decision.amount == Decimal("30.00")


def test_a_grant_killed_mid_task_is_redelivered_or_swept_and_granted_once(live_demo, tmp_path):
    queue = f"delivery-{uuid.uuid4().hex[:12]}"
    with (
        own_redis(tmp_path) as broker,
        worker(tmp_path / "a.log", broker=broker.url, queue=queue) as first,
        publishing_to(queue=queue, broker=broker.url),
    ):
        acme = filed_claim("alice@acme-dental.example", "Acme Dental", "email")
        birch = filed_claim("bob@birch-legal.example", "Birch Legal", "email")
        acme_invoice, birch_invoice = current_draft(acme), current_draft(birch)

        # 1. The pool process dies inside the grant; the worker's main process lives on and,
        # with acks_late + reject_on_worker_lost, puts the message back at once.
        with locked(acme_invoice.billing_account):
            acme_decision = approve(acme)
            first.wait_ready()
            (blocked,) = wait_for(waiting_for_the_lock, "the grant to start")
            (pool_process,) = first.pool_processes()
            os.kill(pool_process, signal.SIGKILL)
            wait_for(lambda: waiting_for_the_lock() - {blocked}, "the grant to be redelivered")
            assert "WorkerLostError" in first.text()
            assert not CreditEntry.objects.filter(claim=acme).exists()
        wait_for(lambda: first.results("billing.tasks.grant_credit"), "the grant and its apply")
        assert first.results("billing.tasks.grant_credit") == ["1"]
        (redelivered,) = set(first.received("billing.tasks.grant_credit"))  # the same message
        assert first.received("billing.tasks.grant_credit") == [redelivered] * 2
        assert_granted_and_applied_once(acme, acme_decision, acme_invoice)

        # 2. The whole worker dies inside the grant. The message stays unacknowledged in Redis;
        # a worker started next does not take it back (it would after the visibility timeout,
        # six hours), so the billing sweep grants the claim.
        with locked(birch_invoice.billing_account):
            birch_decision = approve(birch)
            wait_for(waiting_for_the_lock, "the second grant to start")
            first.kill()
        lost = first.received("billing.tasks.grant_credit")[-1]
        assert unacked(broker) == {"billing.tasks.grant_credit": f"({birch.pk},)"}
        with worker(tmp_path / "b.log", broker=broker.url, queue=queue) as second:
            second.wait_ready()
            time.sleep(1)  # a worker restores old unacked messages as it starts: not this one
            assert unacked(broker) == {"billing.tasks.grant_credit": f"({birch.pk},)"}
            assert second.results("billing.tasks.grant_credit") == []
            assert not CreditEntry.objects.filter(claim=birch).exists()

            run_billing.delay()
            # The run grants, then hands each billed party's part (apply) to tasks of its own.
            wait_for(
                lambda: (
                    CreditEntry.objects.filter(claim=birch, kind=APPLIED).exists()
                    and second.results("billing.tasks.run_billing")
                    and not second.busy()
                ),
                "the sweep",
            )
            assert_granted_and_applied_once(birch, birch_decision, birch_invoice)
            swept = ledger(birch)

            # Six hours on, the lost message comes back (what every worker runs at start and
            # every ~100 s): its grant finds the sweep's and writes nothing.
            client = redis.Redis.from_url(broker.url)
            (tag,) = client.hkeys("unacked")
            client.zadd("unacked_index", {tag: time.time() - 7 * 3600})
            client.close()
            with app.connection_for_write() as conn:
                conn.default_channel.qos.restore_visible(interval=1)
            wait_for(lambda: second.results("billing.tasks.grant_credit"), "the late delivery")
            wait_for(lambda: not second.busy(), "the worker to be idle")
            assert second.received("billing.tasks.grant_credit") == [lost]
            assert second.results("billing.tasks.grant_credit") == ["0"]
            assert unacked(broker) == {}
            assert "ERROR" not in second.text(), second.text()
        assert ledger(birch) == swept
        assert_granted_and_applied_once(acme, acme_decision, acme_invoice)


def test_an_apply_and_a_run_chunk_killed_mid_task_are_redelivered_with_one_effect(
    live_demo, tmp_path
):
    queue = f"delivery-{uuid.uuid4().hex[:12]}"
    acme = filed_claim("alice@acme-dental.example", "Acme Dental", "email")
    cedar = filed_claim("nora@northwind-it.example", "Cedar Bakery", "hosted-exchange")
    acme_account = BillingAccount.for_account(acme.account)
    cedar_account = BillingAccount.for_account(cedar.account)
    with (
        own_redis(tmp_path) as broker,
        worker(tmp_path / "w.log", broker=broker.url, queue=queue, concurrency=2) as w,
        publishing_to(queue=queue, broker=broker.url),
    ):
        w.wait_ready()
        # 1. An apply: granted (its own task, done), then killed while it waits for the lock.
        acme_invoice = current_draft(acme)
        acme_decision = approve(acme)
        wait_for(lambda: w.results("billing.tasks.grant_credit"), "the grant and its apply")
        with locked(acme_account):
            # A second apply of the same grant, as a duplicate delivery: it must write nothing
            # whether it runs now or after its redelivery.
            apply_credits.delay(acme_account.pk)
            (blocked,) = wait_for(waiting_for_the_lock, "the apply to start")
            for pool_process in w.pool_processes():  # the idle one is simply replaced
                os.kill(pool_process, signal.SIGKILL)
            wait_for(lambda: waiting_for_the_lock() - {blocked}, "the apply to be redelivered")
        wait_for(lambda: w.results("billing.tasks.apply_credits"), "the redelivery")
        assert w.results("billing.tasks.apply_credits") == ["0"]
        assert_granted_and_applied_once(acme, acme_decision, acme_invoice)

        # 2. A chunk of the month-end run, killed inside its transaction (waiting for the lock
        # of Northwind IT, Cedar Bakery's reseller, after taking the others'): nothing of it
        # stays; its redelivery grants, drafts and applies once.
        with locked(cedar_account):
            cedar_decision = approve(cedar)  # its grant task waits for the lock too
            wait_for(waiting_for_the_lock, "the grant to wait")
            ids = list(BillingAccount.objects.order_by("pk").values_list("pk", flat=True))
            run_billing_chunk.delay(ids, timezone.now().isoformat())
            wait_for(lambda: w.received("billing.tasks.run_billing_chunk"), "the chunk")
            wait_for(lambda: len(waiting_for_the_lock()) == 2, "the chunk to wait")
            for pool_process in w.pool_processes():
                os.kill(pool_process, signal.SIGKILL)
            wait_for(lambda: len(w.received("billing.tasks.run_billing_chunk")) == 2, "requeue")
        wait_for(lambda: w.results("billing.tasks.run_billing_chunk"), "the redelivered chunk")
        wait_for(lambda: not w.busy(), "the worker to be idle")
        # Errors logged: only the kills themselves.
        errors = [line for line in w.text().splitlines() if "ERROR" in line]
        assert errors and all("SIGKILL" in line for line in errors), errors
        # The chunk ran to its end once (Cedar's credit is applied by it or by the grant's own
        # apply task, whichever takes Northwind's lock first: the ledger below has it once).
        assert len(w.results("billing.tasks.run_billing_chunk")) == 1
    forget_queue(settings.REDIS_URL, queue)
    cedar_invoice = Invoice.objects.get(
        billing_account=cedar_account, cycle_start=acme_invoice.cycle_start
    )
    assert_granted_and_applied_once(cedar, cedar_decision, cedar_invoice)
    assert_granted_and_applied_once(acme, acme_decision, acme_invoice)
    # One draft per billed party in the chunk for the cycle, none twice.
    assert sorted(
        Invoice.objects.filter(cycle_start=acme_invoice.cycle_start).values_list(
            "billing_account__organisation__name", flat=True
        )
    ) == ["Acme Dental", "Northwind IT"]


def test_approvals_while_the_broker_is_down_are_granted_once_by_the_sweep(
    live_demo, celery_worker, tmp_path, caplog
):
    # The test worker turns the root logger down to errors; the warning is what is checked.
    caplog.set_level(logging.WARNING, logger="billing.apps")
    claims = [
        filed_claim("alice@acme-dental.example", "Acme Dental", "email"),
        filed_claim("nora@northwind-it.example", "Cedar Bakery", "hosted-exchange"),
    ]
    invoices = [current_draft(claim) for claim in claims]
    with own_redis(tmp_path) as broker, publishing_to(broker=broker.url):
        broker.stop()
        decisions = [approve(claim) for claim in claims]
    for claim in claims:
        claim.refresh_from_db()
        assert claim.state == ClaimState.APPROVED
        assert f"could not enqueue the grant of claim {claim.pk}" in caplog.text
    assert not CreditEntry.objects.exists()

    with billing_tasks_in_this_process() as tasks:
        run_billing.delay()
        wait_for(tasks.all_done, "the sweep and the tasks it sends")
        for claim, decision, invoice in zip(claims, decisions, invoices, strict=True):
            assert_granted_and_applied_once(claim, decision, invoice)
        before = sorted(CreditEntry.objects.values_list("key", "amount"))

        # Late duplicates: the sweep again, and each approval's grant as if it surfaced now.
        tasks.sent.clear()
        tasks.finished.clear()
        run_billing.delay()
        for claim in claims:
            grant_credit.delay(claim.pk)
        wait_for(tasks.all_done, "the late deliveries")
    assert sorted(CreditEntry.objects.values_list("key", "amount")) == before
    grants = [value for name, value in tasks.finished if name == "billing.tasks.grant_credit"]
    assert grants == [0, 0]
    assert [invoice.totals()["credits"] for invoice in invoices] == [
        decision.amount for decision in decisions
    ]
    # One draft per billed party (Birch Legal, with no claim, is invoiced too), none twice.
    assert sorted(
        Invoice.objects.values_list("billing_account__organisation__name", flat=True)
    ) == [
        "Acme Dental",
        "Birch Legal",
        "Northwind IT",
    ]
