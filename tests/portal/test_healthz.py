import threading

import pytest
from django.db import connections

from tests.helpers import own_redis
from tests.tasks.broker import broker_at, private_redis

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part_and_the_workers_of_each_queue(client, celery_worker):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["database"]["state"] == "up"
    assert body["broker"] == {"state": "up", "kind": "redis"}
    assert body["workers"]["state"] == "up"
    (billing, mail) = body["workers"]["queues"].values()
    assert billing and billing == mail  # the test worker consumes both


def test_no_worker_on_a_queue_is_a_503_naming_it(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (make test sets it)")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["workers"]
    assert body["workers"]["state"] == "down"
    assert "no worker consumes" in body["workers"]["error"]
    assert list(body["workers"]["queues"].values()) == [[], []]


def test_stopped_broker_is_reported_down_not_as_a_500(client, settings, tmp_path):
    with own_redis(tmp_path) as redis:
        settings.REDIS_URL = redis.url
        redis.stop()
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["state"] == "down"
    assert body["workers"]["state"] == "unknown"
    assert body["database"]["state"] == "up"


@pytest.mark.postgres_only
def test_a_frozen_broker_is_reported_down_in_bounded_time(client, settings, tmp_path):
    outcome = {}

    def ask():
        try:
            outcome["response"] = client.get("/healthz")
        finally:
            connections.close_all()

    with private_redis(tmp_path) as broker, broker_at(broker.url):
        settings.REDIS_URL = broker.url
        broker.freeze()
        try:
            thread = threading.Thread(target=ask, daemon=True)
            thread.start()
            thread.join(20)  # a hung check would wait as long as the broker stays frozen
        finally:
            broker.thaw()
    assert "response" in outcome, "/healthz was still waiting on the frozen broker"
    assert outcome["response"].status_code == 503
    assert outcome["response"].json()["down"] == ["broker", "workers"]


def test_parts_limit_what_is_checked_and_unknown_parts_are_a_400(client, settings, tmp_path):
    with own_redis(tmp_path) as redis:
        settings.REDIS_URL = redis.url
        redis.stop()
        response = client.get("/healthz?parts=database")
    assert response.status_code == 200
    assert set(response.json()) == {"status", "down", "database"}
    refused = client.get("/healthz?parts=database,disk")
    assert refused.status_code == 400
    assert refused.json() == {"parts": ["unknown part disk; use database, broker, workers"]}


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz?parts=database").status_code == 200
    assert client.post("/healthz").status_code == 405
