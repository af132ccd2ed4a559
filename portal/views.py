"""Organisation pages scoped to the asker, and the health check. (The home pages per role show
the service catalogue and incidents: they live in sla.views.)"""

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.models import Organisation


@login_required
def organisation_list(request):
    organisations = Organisation.objects.visible_to(request.user).select_related("reseller")
    return render(request, "portal/organisation_list.html", {"organisations": organisations})


@login_required
def organisation_detail(request, pk):
    # Scoped lookup: another customer's organisation is a 404, never a 403 that confirms it exists.
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    subscriptions = organisation.subscriptions.select_related("service", "policy")
    end_customers = Organisation.objects.visible_to(request.user).filter(reseller=organisation)
    return render(
        request,
        "portal/organisation_detail.html",
        {
            "organisation": organisation,
            "subscriptions": subscriptions,
            "end_customers": end_customers,
        },
    )


def _database_state():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means the database is down
        return {"state": "down", "error": exc.__class__.__name__}
    return {"state": "up", "vendor": connection.vendor}


def _broker_state():
    if not settings.REDIS_URL:
        return {"state": "up", "kind": "in-process (no REDIS_URL)"}
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.BROKER_HEALTH_TIMEOUT,
        socket_timeout=settings.BROKER_HEALTH_TIMEOUT,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"state": "down", "kind": "redis", "error": exc.__class__.__name__}
    finally:
        client.close()
    return {"state": "up", "kind": "redis"}


@never_cache
@require_GET
def healthz(request):
    parts = {"database": _database_state(), "broker": _broker_state()}
    ok = all(part["state"] == "up" for part in parts.values())
    return JsonResponse({"status": "ok" if ok else "degraded", **parts}, status=200 if ok else 503)
