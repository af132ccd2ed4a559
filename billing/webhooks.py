"""Signed webhooks (Standard Webhooks): the sweep that turns claim and credit changes into
outbox events, the signed HTTP delivery with retries, and the pages where an organisation's own
people configure endpoints and read the delivery log.

The outbox is derived from rows each change writes in its own transaction: ClaimEvent (claims)
and CreditEntry (the ledger). The sweep reads them past a cursor, with a look-back of
`WEBHOOK_SWEEP_LOOKBACK` rows so a transaction that commits after a later one is still seen;
the unique source columns make a second sweep over a row write nothing.

An event about an account goes to that account's endpoints and to its reseller's, never to
another organisation's. Deliveries run on the mail queue, so they never wait in front of grants.
"""

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billing.models import CreditEntry
from billing.models_webhooks import (
    EVENT_TYPES,
    TEST_EVENT,
    DeliveryState,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from claims.models import ClaimEvent, ClaimState
from portal.celery import app
from portal.models import Organisation, Role
from portal.tasks import publish

logger = logging.getLogger(__name__)

# ClaimEvent actions that are events, and the event type each becomes.
CLAIM_ACTIONS = {
    "submitted": "claim.submitted",
    "info_requested": "claim.info_requested",
    "approved": "claim.decided",
    "correction_approved": "claim.decided",
    "approval_confirmed": "claim.decided",
    "rejected": "claim.decided",
    "correction_rejected": "claim.decided",
}
# A large approval waits for its second reviewer: it is decided when confirmed.
DECIDED = (ClaimState.APPROVED, ClaimState.REJECTED)
SWEEP_BATCH = 1000
# The task that makes one attempt (billing.tasks imports this module, so it is found by name).
DELIVER_TASK = "billing.tasks.deliver_webhook"
# An attempt in flight holds its delivery this much longer than the HTTP timeout.
LEASE_MARGIN = dt.timedelta(seconds=30)

URL_NOT_HTTPS = "Use an https:// address."
URL_PRIVATE = "That address is private or local: use a public address."
URL_UNRESOLVED = "That host name cannot be resolved."
NO_EVENT_TYPES = "Choose at least one event type."
ENDPOINT_CREATED = "Endpoint added. Copy its signing secret now: it is not shown again."
TEST_QUEUED = "A test event was queued for delivery."


# --- signing and sending ------------------------------------------------------------------


def sign(secret, msg_id, timestamp, body):
    """The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256 of "id.timestamp.body"
    keyed with the base64 part of the `whsec_` secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def _private(host):
    """True if `host` resolves to a loopback, private, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(URL_UNRESOLVED) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return True
    return False


def check_url(url):
    """Refuse an address the portal must not post to (ValidationError naming why)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.WEBHOOK_ALLOW_HTTP):
        raise ValidationError(URL_NOT_HTTPS)
    if not parts.hostname:
        raise ValidationError(URL_UNRESOLVED)
    if not settings.WEBHOOK_ALLOW_PRIVATE and _private(parts.hostname):
        raise ValidationError(URL_PRIVATE)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (3xx), never followed: it could point at a private address."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(endpoint, event, now):
    """One signed POST of `event` to `endpoint`: (status code or None, error text)."""
    body = json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.payload},
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by check_url
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "user-agent": "sla-credit-portal-webhooks/1",
            "webhook-id": event.public_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(endpoint.secret, event.public_id, timestamp, body),
        },
    )
    try:
        check_url(endpoint.url)
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except ValidationError as exc:
        return None, exc.messages[0]
    except (OSError, ValueError) as exc:
        return None, (str(getattr(exc, "reason", exc)) or type(exc).__name__)[:300]


def backoff(attempts):
    """Seconds before the next attempt after `attempts` failed ones: doubling each time."""
    return settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1)


def deliver(delivery_id, now=None):
    """Make the next attempt of a delivery if it is due. Returns seconds until the attempt
    after it (a failure with attempts left), else None. Safe to run twice and at once: the
    attempt takes a lease on the row first, so a duplicate message finds it not due."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        lease = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT) + LEASE_MARGIN
        delivery.next_attempt_at = now + lease
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    endpoint, event = delivery.endpoint, delivery.event
    if endpoint.enabled:
        status, error = post(endpoint, event, now)
    else:
        status, error = None, "Endpoint disabled."
    done = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, at=done, status_code=status, error=error
        )
        retry_in = None
        if status is not None and 200 <= status < 300:
            delivery.state = DeliveryState.DELIVERED
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or not endpoint.enabled:
            delivery.state = DeliveryState.FAILED
        else:
            retry_in = backoff(delivery.attempts)
            delivery.next_attempt_at = done + dt.timedelta(seconds=retry_in)
        delivery.save(update_fields=["state", "next_attempt_at"])
    return retry_in


# --- the outbox ---------------------------------------------------------------------------


def _claim_payload(row):
    claim = row.claim
    return {
        "claim": claim.reference,
        "claim_id": claim.pk,
        "account_id": claim.account_id,
        "account": claim.account.name,
        "action": row.action,
        "state": row.to_state,
        "at": row.at.isoformat(),
        "apply_by": claim.apply_by.isoformat() if claim.apply_by else None,
    }


def _credit_payload(entry):
    return {
        "entry_id": entry.pk,
        "kind": entry.kind,
        "claim": entry.claim.reference,
        "claim_id": entry.claim_id,
        "account_id": entry.account_id,
        "account": entry.account.name,
        "service": entry.subscription.service.slug,
        "service_month": entry.service_month.isoformat(),
        "amount": str(entry.amount),
        "grant_id": entry.grant_id,
        "invoice_id": entry.invoice_id,
        "at": entry.at.isoformat(),
    }


def _recipients(cache, account):
    """Enabled endpoints of the account and of its reseller (its own organisation's people)."""
    key = (account.pk, account.reseller_id)
    if key not in cache:
        cache[key] = list(
            WebhookEndpoint.objects.filter(
                enabled=True, organisation__in=[pk for pk in key if pk is not None]
            )
        )
    return cache[key]


def _cursor(source):
    cursor, _ = WebhookCursor.objects.select_for_update().get_or_create(source=source)
    return cursor


def _new_rows(model, source, **related):
    """Source rows past the cursor (minus the look-back) with no event yet, oldest first."""
    cursor = _cursor(source)
    rows = (
        model.objects.filter(pk__gt=cursor.last_pk - settings.WEBHOOK_SWEEP_LOOKBACK)
        .exclude(Exists(WebhookEvent.objects.filter(**{source: OuterRef("pk")})))
        .order_by("pk")
    )
    return cursor, rows


def sweep(now=None):
    """Write the events of new claim and credit rows and their deliveries; publish every
    delivery that is due (new ones, and retries whose message was lost). Returns the number
    of events written."""
    now = now or timezone.now()
    cache = {}
    written = 0
    with transaction.atomic():
        # One sweep at a time: the cursors' row locks order concurrent sweeps.
        cursor, rows = _new_rows(ClaimEvent, "claim_event")
        for row in rows.filter(action__in=CLAIM_ACTIONS).select_related("claim__account")[
            :SWEEP_BATCH
        ]:
            cursor.last_pk = max(cursor.last_pk, row.pk)
            if row.action != "submitted" and CLAIM_ACTIONS[row.action] == "claim.decided":
                if row.to_state not in DECIDED:
                    continue
            written += _write(
                cache,
                CLAIM_ACTIONS[row.action],
                row.claim.account,
                _claim_payload(row),
                now,
                claim_event=row,
            )
        cursor.save()
        cursor, rows = _new_rows(CreditEntry, "credit_entry")
        for entry in rows.select_related("claim", "account", "subscription__service")[:SWEEP_BATCH]:
            cursor.last_pk = max(cursor.last_pk, entry.pk)
            written += _write(
                cache,
                f"credit.{entry.kind}",
                entry.account,
                _credit_payload(entry),
                now,
                credit_entry=entry,
            )
        cursor.save()
        due = list(
            WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        transaction.on_commit(lambda: _publish(due))
    return written


def _write(cache, type_, account, payload, now, **source):
    event = WebhookEvent.objects.create(
        public_id=WebhookEvent.new_id(),
        type=type_,
        account=account,
        payload=payload,
        created_at=now,
        **source,
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now, created_at=now)
        for endpoint in _recipients(cache, account)
        if type_ in endpoint.event_types
    )
    return 1


def _publish(delivery_ids):
    for pk in delivery_ids:
        if not publish(app.tasks[DELIVER_TASK], pk):
            return  # the broker is away: the next sweep publishes what is due


def send_test(endpoint, now=None):
    """A `webhook.test` event to this endpoint alone, delivered after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(
            public_id=WebhookEvent.new_id(),
            type=TEST_EVENT,
            account=endpoint.organisation,
            payload={"endpoint_id": endpoint.pk, "message": "A test event from the portal."},
            created_at=now,
        )
        delivery = WebhookDelivery.objects.create(
            event=event, endpoint=endpoint, next_attempt_at=now, created_at=now
        )
        transaction.on_commit(lambda: _publish([delivery.pk]))
    return delivery


# --- pages --------------------------------------------------------------------------------


def _own_organisations(user):
    """Organisations whose endpoints `user` configures: its own, as a member or agent."""
    return Organisation.objects.filter(
        memberships__user=user,
        memberships__role__in=[Role.CUSTOMER_MEMBER, Role.RESELLER_AGENT],
    ).distinct()


class EndpointForm(forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_TYPES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NO_EVENT_TYPES},
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        check_url(url)
        return url


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    organisation = _own_organisations(request.user).first()
    if organisation is None:
        raise Http404("No such page.")
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = WebhookEndpoint.objects.create(
            organisation=organisation,
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["event_types"],
            created_by=request.user,
        )
        request.session[f"webhook_secret_{endpoint.pk}"] = endpoint.secret
        flash.success(request, ENDPOINT_CREATED)
        return redirect("billing:webhook", pk=endpoint.pk)
    endpoints = WebhookEndpoint.objects.filter(organisation=organisation)
    return render(
        request,
        "billing/webhooks.html",
        {"organisation": organisation, "endpoints": endpoints, "form": form},
        status=400 if form.errors else 200,
    )


def _own_endpoint(request, pk):
    return get_object_or_404(
        WebhookEndpoint.objects.filter(organisation__in=_own_organisations(request.user)), pk=pk
    )


@login_required
def endpoint_detail(request, pk):
    endpoint = _own_endpoint(request, pk)
    deliveries = (
        endpoint.deliveries.select_related("event").prefetch_related("attempt_log").all()[:50]
    )
    return render(
        request,
        "billing/webhooks_detail.html",
        {
            "endpoint": endpoint,
            "secret": request.session.pop(f"webhook_secret_{endpoint.pk}", None),
            "deliveries": deliveries,
            "types": dict(EVENT_TYPES),
        },
    )


@login_required
@require_POST
def endpoint_toggle(request, pk):
    endpoint = _own_endpoint(request, pk)
    endpoint.enabled = not endpoint.enabled
    endpoint.save(update_fields=["enabled"])
    return redirect("billing:webhook", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_test(request, pk):
    endpoint = _own_endpoint(request, pk)
    send_test(endpoint)
    flash.success(request, TEST_QUEUED)
    return redirect("billing:webhook", pk=endpoint.pk)
