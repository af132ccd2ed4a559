"""Mail about claims, through the outbox (claims.models.Notification).

A service calls one of the functions below inside the transaction that changes the claim. They
write one outbox row per recipient in that transaction, so the mail commits or rolls back with
the change; after commit a task sends each new row, and a sweep every minute sends whatever is
still waiting (its task was lost with the broker, or gave up). Each row's key names the event,
so the same event queued twice (a retried request, a redelivered task) mails once.

Subjects live here, in one place, so tests can assert the exact words.
"""

import hashlib
import logging
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from claims.models import ClaimState, MessageKind, Notification, reviewers
from portal.celery import app
from portal.tasks import publish

logger = logging.getLogger(__name__)

FILED_CLAIMANT = "Claim {reference} received"
FILED_REVIEWERS = "New SLA claim {reference} from {account}"
CHANGED = "Claim {reference}: {state}"
ANSWERED = "Claim {reference}: {author} answered your request for information"
MESSAGE_TO_CLAIMANT = "Claim {reference}: a message from our staff"
MESSAGE_TO_REVIEWERS = "Claim {reference}: a message from {author}"
GRANTED = "Claim {reference}: {granted} granted"
CUT_BY_CAP = "Claim {reference}: {granted} granted, {cut} cut by a cap"
SECOND_REVIEW = "Claim {reference}: an approval of {amount} waits for your confirmation"

# Mail still waiting this long after it was queued is sent by the sweep: by then its own task
# has had its chance.
SWEEP_AFTER = timedelta(seconds=60)
# The Celery task that sends one row (claims.tasks.send_notification), found by name in the
# app's registry: the tasks module builds on this one, not the other way round.
SEND_TASK = "claims.tasks.send_notification"
# One sweep sends at most this many, so a backlog cannot make a sweep outlast the next one.
SWEEP_BATCH = 200


def queue(*, key, recipients, subject, body):
    """Write the mail to the outbox, one row per recipient, in the caller's transaction; after
    commit, enqueue a send for each row that is new. Returns the new rows."""
    created = []
    with transaction.atomic():
        for recipient in sorted({r for r in recipients if r}):
            notification, new = Notification.objects.get_or_create(
                key=_row_key(key, recipient),
                defaults={"recipient": recipient, "subject": subject[:200], "body": body},
            )
            if new:
                created.append(notification)
        if created:
            # Not `delay_on_commit`: a broker error after commit must not fail the request whose
            # change is already committed (see `_enqueue`).
            transaction.on_commit(lambda ids=[n.pk for n in created]: _enqueue(ids))
    return created


def _row_key(key, recipient):
    row_key = f"{key}:{recipient}"
    if len(row_key) > Notification._meta.get_field("key").max_length:
        row_key = f"{key}:{hashlib.sha256(recipient.encode()).hexdigest()}"
    return row_key


def _enqueue(notification_ids):
    for notification_id in notification_ids:
        if not publish(app.tasks[SEND_TASK], notification_id):
            # The rows are committed: the sweep sends them once the broker is back.
            logger.warning(
                "Broker unreachable: notifications %s wait for the sweep", notification_ids
            )
            return


def send(notification_id):
    """Send one outbox row unless it was sent already or another sender holds it. Returns
    whether this call sent it. An SMTP or network failure is recorded on the row and raised.

    At least once, not exactly once: the row is marked sent in the transaction that holds its
    lock, committed after the SMTP server accepted the mail. A crash (or a lost database
    connection) between the two sends that mail once more on the next attempt. SMTP offers no
    way to close that window.
    """
    failure = None
    with transaction.atomic():
        # Lock the row: the task, a redelivered copy of it and the sweep may all reach the same
        # mail at once; whoever comes second skips it instead of waiting to send it again.
        notification = (
            Notification.objects.pending()
            .select_for_update(skip_locked=True)
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return False
        notification.attempts += 1
        try:
            EmailMessage(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.recipient],
            ).send()
        except (SMTPException, OSError) as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"
            notification.save(update_fields=["attempts", "last_error"])
            failure = exc
        else:
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["sent_at", "attempts", "last_error"])
    if failure is not None:
        raise failure
    return True


def send_pending(now):
    """The sweep: send what is still waiting `SWEEP_AFTER` after it was queued. Returns how
    many were sent. Least-tried first, so a mail that always fails does not block the rest."""
    waiting = list(
        Notification.objects.pending()
        .filter(created_at__lte=now - SWEEP_AFTER)
        .order_by("attempts", "created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = 0
    for notification_id in waiting:
        try:
            sent += send(notification_id)
        except SMTPException:
            # This mail was refused (a bad address, a full mailbox): try the next one.
            logger.warning("Notification %s not sent", notification_id, exc_info=True)
        except OSError:
            # The mail server is unreachable: the rest would fail too; the next sweep retries.
            logger.warning("Mail server unreachable; sweep stopped", exc_info=True)
            break
    return sent


def claim_filed(claim):
    """Tell the claimant their claim was received, and the reviewers that one is waiting."""
    context = {
        "claim": claim,
        "lines": claim.lines.select_related("subscription__service"),
        "path": claim_path(claim),
        "review_path": site_url(reverse("claims:review", args=[claim.pk])),
    }
    queue(
        key=f"claim-{claim.pk}:filed:claimant",
        recipients=[claim.filed_by.email],
        subject=FILED_CLAIMANT.format(reference=claim.reference),
        body=render_to_string("claims/mail/filed_claimant.txt", context),
    )
    queue(
        key=f"claim-{claim.pk}:filed:reviewers",
        recipients=_emails(reviewers()),
        subject=FILED_REVIEWERS.format(reference=claim.reference, account=claim.account),
        body=render_to_string("claims/mail/filed_reviewers.txt", context),
    )


def claim_changed(claim, *, by, reason="", decision=None):
    """Tell the claimant the claim changed state, with the reason. Call it after recording the
    change's ClaimEvent: without a decision, the latest event tells one change from another."""
    if decision is not None:
        event = f"decision-{decision.pk}"
    else:
        event = f"event-{claim.events.order_by('-pk').values_list('pk', flat=True).first()}"
    state = ClaimState(claim.state)
    context = {
        "claim": claim,
        "state": state.label,
        "by": by,
        "reason": reason or (decision.reason if decision is not None else ""),
        "credit": _credit(claim, decision) if state == ClaimState.APPROVED else None,
        "path": claim_path(claim),
    }
    queue(
        key=f"claim-{claim.pk}:{state.value}:{event}",
        recipients=[claim.filed_by.email],
        subject=CHANGED.format(reference=claim.reference, state=state.label),
        body=render_to_string("claims/mail/changed.txt", context),
    )
    if state == ClaimState.AWAITING_SECOND and decision is not None:
        second_review_wanted(claim, decision)


def second_review_wanted(claim, decision):
    """Tell the other reviewers that an approval waits for a second reviewer's confirmation
    (the approving reviewer cannot confirm it)."""
    amount = _credit(claim, decision)
    queue(
        key=f"claim-{claim.pk}:second-review:decision-{decision.pk}",
        recipients=_emails(reviewers().exclude(pk=decision.decided_by_id)),
        subject=SECOND_REVIEW.format(reference=claim.reference, amount=amount),
        body=render_to_string(
            "claims/mail/second_review.txt",
            {
                "claim": claim,
                "decision": decision,
                "amount": amount,
                "path": site_url(reverse("claims:review", args=[claim.pk])),
            },
        ),
    )


def credit_granted(claim, status, *, key):
    """Tell the claimant what the ledger granted for the claim's decision in force, and, when a
    cap cut it, which cap and by how much. `status`: the claim's claims.status.CreditStatus;
    `key` names the decision, so one decision's grant mails once. Billing calls it when it
    grants, in the granting transaction."""
    money = status.currency
    subject = CUT_BY_CAP if status.cut > 0 else GRANTED
    queue(
        key=f"claim-{claim.pk}:granted:{key}",
        recipients=[claim.filed_by.email],
        subject=subject.format(
            reference=claim.reference,
            granted=f"{status.granted} {money}",
            cut=f"{status.cut} {money}",
        ),
        body=render_to_string(
            "claims/mail/granted.txt",
            {"claim": claim, "status": status, "path": claim_path(claim)},
        ),
    )


def answer_received(claim, message):
    """Tell the reviewers the claimant answered a request for information."""
    queue(
        # The same key as `message_posted`: one message mails each person once.
        key=f"message-{message.pk}",
        recipients=_emails(reviewers()),
        subject=ANSWERED.format(reference=claim.reference, author=message.author),
        body=render_to_string(
            "claims/mail/answer.txt",
            {"claim": claim, "message": message, "path": claim_path(claim)},
        ),
    )


def message_posted(claim, message):
    """Tell the other side of the conversation about a new (non-internal) message."""
    if message.internal:
        return
    context = {"claim": claim, "message": message, "path": claim_path(claim)}
    if message.author.is_provider_staff or message.author.is_superuser:
        queue(
            key=f"message-{message.pk}",
            recipients=[claim.filed_by.email],
            subject=MESSAGE_TO_CLAIMANT.format(reference=claim.reference),
            body=render_to_string("claims/mail/message_to_claimant.txt", context),
        )
    elif message.kind == MessageKind.ANSWER:
        answer_received(claim, message)
    else:
        queue(
            key=f"message-{message.pk}",
            recipients=_emails(reviewers()),
            subject=MESSAGE_TO_REVIEWERS.format(reference=claim.reference, author=message.author),
            body=render_to_string("claims/mail/message_to_reviewers.txt", context),
        )


def claim_path(claim):
    """The claim page's absolute address (SITE_URL): mail is read outside the portal."""
    return site_url(reverse("claims:detail", args=[claim.pk]))


def site_url(path):
    return settings.SITE_URL.rstrip("/") + path


def _emails(users):
    return list(users.values_list("email", flat=True))


def _credit(claim, decision):
    """The approved credit with its currency, or None. A second reviewer's confirmation carries
    no amount of its own: the approval it confirms does."""
    if decision is None:
        return None
    amount = decision.amount
    if amount is None and decision.confirms_id is not None:
        amount = decision.confirms.amount
    if amount is None:
        return None
    line = claim.lines.select_related("subscription").first()
    return f"{amount} {line.subscription.currency}" if line is not None else f"{amount}"
