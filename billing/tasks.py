"""Billing's Celery tasks: thin shells over billing.services, each safe to run twice (ledger
keys make a second effect impossible) and acknowledged late (a worker dying mid-task leaves
the message to be redelivered)."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from billing import services
from billing.models import BillingAccount, Invoice, InvoiceStatus
from portal.models import Organisation


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


def run_billing_for(account_ids, now):
    """The per-account part of the run, for a chunk of billed parties: make the current cycle's
    draft, issue the drafts whose cycle ended (credit applied first), pay out a terminated
    reseller, apply open credit to the current draft."""
    accounts = BillingAccount.objects.filter(pk__in=account_ids).select_related("organisation")
    for account in accounts.order_by("pk"):
        services.draft_invoice(account, now.date())
        ended = Invoice.objects.filter(
            billing_account=account, status=InvoiceStatus.DRAFT, cycle_end__lte=now.date()
        )
        for invoice in ended.order_by("cycle_start"):
            services.issue_invoice(invoice, now=now)
        if account.organisation.standing == Organisation.Standing.TERMINATED:
            services.pay_out_terminated(account.pk, now=now)
        services.apply_credits(account.pk, now=now)


def run_billing_once(now, *, chunk=None):
    """The periodic run, as one plain function: the database says what is pending. Grant what
    approvals left ungranted, run every billed party (in this process, or with `chunk` as
    tasks of that many accounts for the workers to share), then mark unpaid invoices overdue."""
    for claim in services.claims_awaiting_grant():
        services.grant_credit(claim.pk, now=now)
    for claim in services.claims_to_reverse():
        services.reverse_rejected(claim.pk, now=now)
    ids = list(BillingAccount.objects.order_by("pk").values_list("pk", flat=True))
    if chunk is None:
        run_billing_for(ids, now)
    else:
        for start in range(0, len(ids), chunk):
            run_billing_chunk.delay(ids[start : start + chunk], now.isoformat())
    services.mark_overdue(now)


@shared_task(acks_late=True)
def run_billing_chunk(account_ids, now):
    run_billing_for(account_ids, datetime.fromisoformat(now))


@shared_task(acks_late=True)
def run_billing():
    run_billing_once(timezone.now(), chunk=200)
