"""Billing's Celery tasks: thin shells over billing.services, each safe to run twice (ledger
keys make a second effect impossible) and acknowledged late (a worker dying mid-task leaves
the message to be redelivered)."""

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from billing import escalation, services, webhooks
from portal.tasks import publish

logger = logging.getLogger(__name__)


def nudge_grant(sender, claim_id, **kwargs):
    """claims.signals.awards_written, after the decision commits: grant its awards soon. Only a
    nudge: if the broker is down the decision stands and the periodic billing run grants the
    awards (they have no grant outcome)."""
    if not publish(grant_credit, claim_id):
        logger.warning("could not enqueue the grant of claim %s; the billing run will", claim_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def grant_credit(claim_id):
    """Grant a claim's pending awards and apply open credit (billing.services.grant_and_apply)."""
    return len(services.grant_and_apply(claim_id))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def apply_credits(billing_account_id):
    return len(services.apply_credits(billing_account_id))


def run_billing_once(now, *, tasks=False, chunk=services.CHUNK):
    """The periodic run, as one plain function: the database says what is pending. Every
    billed party goes through services.bill_chunk, `chunk` of them at a time (in this process, or
    with `tasks` as tasks the workers share); then unpaid invoices past due become overdue, and
    staff are warned of approved credit not applied as its apply-by date nears or passes."""
    for ids in services.billing_chunks(chunk):
        if tasks:
            run_billing_chunk.delay(ids, now.isoformat())
        else:
            services.bill_chunk(ids, now)
    services.mark_overdue(now)
    escalation.escalate(now)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def run_billing_chunk(account_ids, now):
    return services.bill_chunk(account_ids, datetime.fromisoformat(now))


@shared_task(acks_late=True)
def run_billing():
    run_billing_once(timezone.now(), tasks=True)


@shared_task(acks_late=True)
def deliver_webhook(delivery_id):
    """One attempt of a webhook delivery (billing.webhooks.deliver); a failure with attempts
    left is tried again after the backoff. A lost message is published again by the sweep."""
    retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None:
        try:
            deliver_webhook.apply_async((delivery_id,), countdown=retry_in)
        except Exception:  # noqa: BLE001 - the sweep publishes what is due
            logger.warning("could not schedule webhook delivery %s; the sweep will", delivery_id)
    return retry_in


@shared_task(acks_late=True)
def sweep_webhooks():
    """The webhook outbox sweep: events of new claim and credit rows, deliveries that are due."""
    return webhooks.sweep()
