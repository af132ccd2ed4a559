"""Billing's Celery tasks: thin shells over billing.services, each safe to run twice (ledger
keys make a second effect impossible) and acknowledged late (a worker dying mid-task leaves
the message to be redelivered)."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from billing import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def grant_credit(claim_id):
    entries = services.grant_credit(claim_id)
    accounts = {entry.billing_account_id for entry in entries}
    for account_id in accounts:
        apply_credits.delay(account_id)
    return len(entries)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def apply_credits(billing_account_id):
    return len(services.apply_credits(billing_account_id))


def run_billing_once(now, *, tasks=False, chunk=services.CHUNK):
    """The periodic run, as one plain function: the database says what is pending. Every
    billed party goes through services.bill_chunk, `chunk` of them at a time (in this process, or
    with `tasks` as tasks the workers share); then unpaid invoices past due become overdue."""
    for ids in services.billing_chunks(chunk):
        if tasks:
            run_billing_chunk.delay(ids, now.isoformat())
        else:
            services.bill_chunk(ids, now)
    services.mark_overdue(now)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def run_billing_chunk(account_ids, now):
    return services.bill_chunk(account_ids, datetime.fromisoformat(now))


@shared_task(acks_late=True)
def run_billing():
    run_billing_once(timezone.now(), tasks=True)
