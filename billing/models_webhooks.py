"""Webhooks: endpoints an organisation's own people configure, the outbox of events, and one
delivery per event and endpoint with its attempts (billing.webhooks sends them).

Events are derived from rows written in the transaction of each change (ClaimEvent for claims,
CreditEntry for credits): the sweep turns each such row into one WebhookEvent, at most once
(the unique source fields), and a delivery for every enabled endpoint that may see it.
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from claims.models import ClaimEvent
from portal.models import Organisation

__all__ = [
    "EVENT_TYPES",
    "DeliveryState",
    "WebhookAttempt",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]

# The event types an endpoint can subscribe to, in the order the page lists them.
EVENT_TYPES = (
    ("claim.submitted", "Claim submitted"),
    ("claim.decided", "Claim decided (approved, rejected, corrected)"),
    ("claim.info_requested", "More information requested"),
    ("credit.granted", "Credit granted"),
    ("credit.applied", "Credit applied to an invoice"),
    ("credit.carried", "Credit carried forward"),
    ("credit.paid_out", "Credit paid out"),
    ("credit.reversed", "Credit reversed"),
)
TEST_EVENT = "webhook.test"


def new_secret():
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    event_types = models.JSONField(default=list, help_text="Event type names sent here.")
    # Kept readable: every delivery is signed with it. Shown to people once, at creation.
    secret = models.CharField(max_length=80, default=new_secret)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation", "pk"]

    def __str__(self):
        return self.url


class WebhookEvent(models.Model):
    """One event of the outbox. `account` is the customer account it is about: it goes to that
    account's endpoints and to its reseller's, never to anyone else's."""

    public_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=32)
    account = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField()
    # The row the event comes from: a second sweep over it writes nothing.
    claim_event = models.OneToOneField(
        ClaimEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_entry = models.OneToOneField(
        "billing.CreditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # An event comes from at most one source row (a test event from none).
            models.CheckConstraint(
                name="webhookevent_one_source",
                condition=Q(claim_event__isnull=True) | Q(credit_entry__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.public_id}"

    @staticmethod
    def new_id():
        return f"msg_{uuid.uuid4().hex}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    State = DeliveryState

    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # An event goes to an endpoint once (retries are attempts of that delivery).
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhookdelivery_once"),
            models.CheckConstraint(
                name="webhookdelivery_state_valid", condition=Q(state__in=DeliveryState.values)
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhookdelivery_due")]

    def __str__(self):
        return f"{self.event} to {self.endpoint}"


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP attempt."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"attempt {self.number}: {self.status_code or self.error}"

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookCursor(models.Model):
    """How far the sweep has read each source table (a single row per source)."""

    source = models.CharField(max_length=16, unique=True)
    last_pk = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.source} at {self.last_pk}"
