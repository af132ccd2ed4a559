"""The cache behind rate limits (DRF throttles, password-reset limits): Redis that fails open.

The cache shares the broker's Redis. A rate limit is a guard, not a record: when Redis is down
or hung, every request would otherwise fail (a ConnectionError is a 500) or wait as long as the
hang lasts (no socket timeout), which is what the task system was made to survive. So socket
operations give up after `BROKER_TIMEOUT` seconds and a failed operation logs a warning and
answers as an empty cache: the limit is not enforced for as long as Redis is away.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _fail_open(method, fallback):
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            logger.warning("cache unavailable (%s): %s answered as empty", exc, method.__name__)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    guarded.__name__ = method.__name__
    return guarded


def _default(key, default=None, *args, **kwargs):
    return default


def _counted(key, delta=1, *args, **kwargs):
    return delta


class FailOpenRedisCache(RedisCache):
    get = _fail_open(RedisCache.get, _default)
    get_many = _fail_open(RedisCache.get_many, {})
    set = _fail_open(RedisCache.set, None)
    set_many = _fail_open(RedisCache.set_many, [])
    add = _fail_open(RedisCache.add, True)
    incr = _fail_open(RedisCache.incr, _counted)
    delete = _fail_open(RedisCache.delete, False)
    touch = _fail_open(RedisCache.touch, False)
    has_key = _fail_open(RedisCache.has_key, False)
