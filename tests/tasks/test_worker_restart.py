"""A worker outlives its broker: a real `celery worker` process keeps consuming both queues
while its redis-server is killed and started again on the same port, several times. (With
celery/kombu 5.7.0 a worker exited for good on about 2 of 20 such reconnects.)"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from portal.celery import app
from tests.tasks.broker import PrivateRedis, broker_at

ROOT = Path(__file__).resolve().parents[2]
RESTARTS = 4


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return result


@pytest.fixture
def broker(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture
def worker(broker, tmp_path):
    """`celery worker` on the private broker, consuming a billing and a mail queue of its own
    (the built-in celery.accumulate task needs no database)."""
    name = f"restart-{uuid.uuid4().hex[:12]}"
    queues = (name, f"{name}-mail")
    log = tmp_path / "worker.log"
    env = {**os.environ, "REDIS_URL": broker.url, "CELERY_QUEUE": queues[0]}
    env["CELERY_MAIL_QUEUE"] = queues[1]
    env.pop("DATABASE_URL", None)  # the embedded SQLite default: this worker needs no database
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "portal", "worker", "-l", "info"),
                *("--pool", "solo", "-Q", ",".join(queues), "-n", f"{name}@%h"),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process.log, process.queues = log, queues
    try:
        wait_for(lambda: " ready." in log.read_text(), "the worker to start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_through(worker, queue):
    """Enqueue celery.accumulate on `queue` and wait until the worker logs it done."""
    result = app.send_task("celery.accumulate", args=(queue,), queue=queue)
    done = f"Task celery.accumulate[{result.id}] succeeded"
    wait_for(lambda: done in worker.log.read_text(), f"celery.accumulate on {queue}", timeout=45)


def test_the_worker_resumes_after_each_broker_restart(broker, worker):
    with broker_at(broker.url):
        for queue in worker.queues:
            run_through(worker, queue)
        for restart in range(RESTARTS):
            broker.kill()
            time.sleep(0.5 + restart * 0.5)  # down for a while: the worker notices and retries
            assert worker.poll() is None, worker.log.read_text()
            broker.start()
            for queue in worker.queues:
                run_through(worker, queue)
            assert worker.poll() is None, worker.log.read_text()
    log = worker.log.read_text()
    assert log.count("Connection to broker lost") >= RESTARTS, log
    assert "AttributeError" not in log, log
