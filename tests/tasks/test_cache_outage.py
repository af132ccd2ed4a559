"""Rate limits live in the broker's Redis: when it hangs or dies, API requests still answer in
bounded time (the limit is not enforced meanwhile), never wait for it or fail with a 500."""

import threading
import time

import pytest
from rest_framework.test import APIClient

from portal.cache import FailOpenRedisCache
from tests.tasks.broker import private_redis

pytestmark = pytest.mark.django_db
QUOTE = {"policy": "groupspark", "monthly_fee": "720.00", "downtime": []}
# Far above the ~0.5 s a socket timeout costs, far below a hang that would last for ever.
HUNG = 20


@pytest.fixture
def redis_server(tmp_path):
    with private_redis(tmp_path) as server:
        yield server


def redis_cache(settings, url):
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.FailOpenRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }


def within(call, seconds):
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(value=call()), daemon=True)
    thread.start()
    thread.join(seconds)
    return outcome.get("value")


def test_cache_answers_as_empty_while_redis_is_frozen(redis_server):
    cache = FailOpenRedisCache(redis_server.url, {"OPTIONS": {"socket_timeout": 0.5}})
    cache.set("k", [1, 2])
    assert cache.get("k") == [1, 2]
    redis_server.freeze()
    try:
        assert within(lambda: (cache.get("k", "empty"), cache.incr("n", 1)), HUNG) == ("empty", 1)
    finally:
        redis_server.thaw()
    assert cache.get("k") == [1, 2]


def test_throttled_api_answers_while_its_cache_is_frozen_or_gone(settings, redis_server, customer):
    redis_cache(settings, redis_server.url)
    client = APIClient()
    client.force_authenticate(customer)
    assert client.post("/api/v1/quotes/", QUOTE, format="json").status_code == 200
    redis_server.freeze()
    started = time.monotonic()
    answer = within(lambda: client.post("/api/v1/quotes/", QUOTE, format="json"), HUNG)
    redis_server.thaw()
    assert answer is not None, f"the request still waited after {HUNG} s"
    assert answer.status_code == 200, answer.content
    assert time.monotonic() - started < HUNG
    redis_server.kill()
    assert client.post("/api/v1/quotes/", QUOTE, format="json").status_code == 200
