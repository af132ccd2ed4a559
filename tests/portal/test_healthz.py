import pytest

from tests.helpers import own_redis

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part_up(client, settings, tmp_path):
    with own_redis(tmp_path) as redis:
        settings.REDIS_URL = redis.url
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["state"] == "up"
    assert body["broker"] == {"state": "up", "kind": "redis"}


def test_stopped_broker_is_reported_down_not_as_a_500(client, settings, tmp_path):
    with own_redis(tmp_path) as redis:
        settings.REDIS_URL = redis.url
        redis.stop()
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["state"] == "down"
    assert body["database"]["state"] == "up"


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/healthz").status_code == 405
