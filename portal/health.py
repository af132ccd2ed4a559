"""/healthz: the database, the broker and the workers of each queue, each checked with a short
timeout, so the answer comes in bounded time even when a part hangs (a frozen Redis)."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import OperationalError

from portal.celery import app


def database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means the database is down
        return {"state": "down", "error": exc.__class__.__name__}
    return {"state": "up", "vendor": connection.vendor}


def broker():
    if not settings.REDIS_URL:
        return {"state": "up", "kind": "in-process (no REDIS_URL)"}
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.BROKER_HEALTH_TIMEOUT,
        socket_timeout=settings.BROKER_HEALTH_TIMEOUT,
        retry_on_timeout=False,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"state": "down", "kind": "redis", "error": exc.__class__.__name__}
    finally:
        client.close()
    return {"state": "up", "kind": "redis"}


def queues():
    """The queues workers must consume: billing's (the default) and mail's (routed by name)."""
    routed = {route["queue"] for route in app.conf.task_routes.values()}
    return [app.conf.task_default_queue, *sorted(routed - {app.conf.task_default_queue})]


def workers():
    """Which live workers answer, per queue (they answer a broadcast within the timeout)."""
    if app.conf.task_always_eager:
        return {"state": "up", "kind": "in-process (no REDIS_URL)"}
    inspect = app.control.inspect(timeout=settings.BROKER_HEALTH_TIMEOUT)
    try:
        answers = inspect.active_queues() or {}
    except (OperationalError, OSError) as exc:
        return {"state": "down", "error": exc.__class__.__name__}
    by_queue = {queue: [] for queue in queues()}
    for worker, consumed in sorted(answers.items()):
        for queue in consumed or ():
            if queue["name"] in by_queue:
                by_queue[queue["name"]].append(worker)
    idle = [queue for queue, names in by_queue.items() if not names]
    found = {"state": "down" if idle else "up", "queues": by_queue}
    if idle:
        found["error"] = f"no worker consumes {', '.join(idle)}"
    return found


CHECKS = {"database": database, "broker": broker, "workers": workers}


@never_cache
@require_GET
def healthz(request):
    """Every part, or only those named in ?parts=database,broker (a container's own health
    check asks for what that container needs). 503 when one is down, naming it."""
    wanted = [part for part in request.GET.get("parts", "").split(",") if part]
    unknown = sorted(set(wanted) - set(CHECKS))
    if unknown:
        return JsonResponse(
            {"parts": [f"unknown part {', '.join(unknown)}; use {', '.join(CHECKS)}"]},
            status=400,
        )
    parts = {}
    for name, check in CHECKS.items():
        if wanted and name not in wanted:
            continue
        if name == "workers" and parts.get("broker", {}).get("state") == "down":
            # Asking the workers through a broker that is down would only wait for nothing.
            parts[name] = {"state": "unknown", "error": "the broker is down"}
            continue
        parts[name] = check()
    down = [name for name, part in parts.items() if part["state"] != "up"]
    body = {"status": "degraded" if down else "ok", "down": down, **parts}
    return JsonResponse(body, status=503 if down else 200)
