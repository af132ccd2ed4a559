"""Celery tasks of the claims app: thin shells over claims.notifications and claims.escalation.
Each takes ids, not rows, and is safe to run twice."""

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from claims import escalation, notifications


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
    acks_late=True,
)
def send_notification(notification_id):
    """Send one outbox row. A failure is recorded on the row and retried with backoff; after
    the last retry the sweep keeps trying.

    At least once: a crash after the SMTP server accepted the mail but before the row is
    committed as sent (worker killed, database connection lost) sends that mail once more.
    There is no exactly-once with SMTP."""
    notifications.send(notification_id)


@shared_task(acks_late=True)
def send_pending():
    """The sweep (beat, every minute): mail whose task was lost, say with the broker, or gave
    up still goes out."""
    return notifications.send_pending(timezone.now())


@shared_task(acks_late=True)
def escalate_deadlines():
    """Beat, every quarter of an hour: warn staff of decisions and credits falling due."""
    return len(escalation.escalate(timezone.now()))
