"""The month-end run's part for a chunk of billed parties, and the chunks."""

import logging

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef

from billing.models import BillingAccount
from billing.services.applying import apply_open_credit, pay_out_terminated
from billing.services.grants import grant_credits, pending_awards
from billing.services.invoices import draft_invoices, issue_ended
from billing.services.ledger import lock_billing_accounts
from portal.models import Organisation
from sla.models import Subscription

CHUNK = 500
logger = logging.getLogger(__name__)


def bill(billing_account_ids, now):
    """The run's part for a set of billed parties, in one transaction under their locks:
    grant the pending awards (and take back what corrections and rejections zeroed), make the
    current cycle's drafts, issue the drafts whose cycle ended (credit applied first), pay out
    terminated resellers, apply open credit to the current drafts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A chunk's queries read a few hundred rows each, but their estimates over tables
            # of 100,000s of rows pass PostgreSQL's JIT threshold: compiling cost seconds a
            # query (EXPLAIN ANALYZE's "JIT:" block), far more than running it.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        accounts = lock_billing_accounts(billing_account_ids)
        payers = [account.organisation_id for account in accounts]
        # The chunk's accounts as a list of ids (the payers and their end customers, each
        # found by its index), so that finding their awards starts from their claims: an OR of
        # pk and reseller in a subquery scanned every organisation for every chunk.
        owners = payers + list(
            Organisation.objects.filter(reseller__in=payers).values_list("pk", flat=True)
        )
        grant_credits(pending_awards().filter(claim__account__in=owners), now=now)
        draft_invoices(accounts, now.date(), now=now)
        issue_ended(accounts, now=now)
        for account in accounts:
            if account.organisation.standing == Organisation.Standing.TERMINATED:
                pay_out_terminated(account.pk, now=now)
        return apply_open_credit([account.pk for account in accounts], now=now)


def bill_chunk(billing_account_ids, now):
    """bill() a chunk of billed parties; should that fail, bill each party alone, so one
    party's bad data holds back only that party (logged for staff; the next run tries it
    again). A lost database connection is raised as it is, for the task to retry. Returns how
    many ledger entries the apply steps wrote."""
    try:
        return len(bill(billing_account_ids, now))
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        if len(billing_account_ids) == 1:
            raise
        logger.exception("billing run: a chunk failed; billing its parties one at a time")
    written = 0
    for billing_account_id in billing_account_ids:
        try:
            written += len(bill([billing_account_id], now))
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception("billing run: billing account %s failed", billing_account_id)
    return written


def billing_chunks(chunk=CHUNK):
    """Every billing account's id, in lists of `chunk`; first a billing account is made for
    every party that pays for a subscription and has none yet (a direct customer, or the
    reseller of an end customer), so nobody goes uninvoiced or uncredited."""
    subscribers = Organisation.objects.filter(
        Exists(Subscription.objects.filter(organisation=OuterRef("pk")))
    )
    payers = {reseller or pk for pk, reseller in subscribers.values_list("pk", "reseller")}
    payers -= set(BillingAccount.objects.values_list("organisation", flat=True))
    BillingAccount.objects.bulk_create(
        [BillingAccount(organisation_id=payer) for payer in sorted(payers)],
        ignore_conflicts=True,  # made meanwhile by an approval's grant
    )
    ids = list(BillingAccount.objects.order_by("pk").values_list("pk", flat=True))
    return [ids[start : start + chunk] for start in range(0, len(ids), chunk)]
