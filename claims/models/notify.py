"""Mail waiting to be sent, and the escalations already raised.

Mail is written to the outbox inside the transaction that changes a claim, so it is never lost
when the broker is down; a task sends it after commit and a periodic sweep sends whatever is
still waiting. Its unique key makes a second copy of the same mail impossible.
"""

from django.db import models
from django.utils import timezone


class NotificationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True)


class Notification(models.Model):
    key = models.CharField(
        max_length=200, unique=True, help_text="One mail per event and recipient."
    )
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.subject} to {self.recipient}"


class EscalationThreshold(models.TextChoices):
    DECISION_DUE_SOON = "decision_due_soon", "Decision due within two days"
    DECISION_OVERDUE = "decision_overdue", "Decision overdue"
    APPLY_BY_SOON = "apply_by_soon", "Apply-by date within seven days"
    APPLY_BY_PASSED = "apply_by_passed", "Apply-by date passed"


class Escalation(models.Model):
    """A deadline warning raised for a claim: at most one per claim per threshold."""

    Threshold = EscalationThreshold

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="escalations")
    threshold = models.CharField(max_length=24, choices=EscalationThreshold.choices)
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "threshold"], name="escalation_once_per_threshold"
            )
        ]

    def __str__(self):
        return f"{self.get_threshold_display()}: {self.claim.reference}"
