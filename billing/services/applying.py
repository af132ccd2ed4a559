"""Applying open credit to the next draft invoice, carrying what does not fit, and paying out
a terminated reseller's credit."""

from django.db import connection, transaction
from django.utils import timezone

from billing.models import CreditKind
from billing.services.ledger import (
    lock_billing_accounts,
    movement,
    settle_claims,
    unspent_grants,
    write_new,
)
from portal.models import Organisation


def apply_credits(billing_account_id, *, now=None):
    """Put the billed party's open grants on its next draft invoice (see apply_open_credit)."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_billing_accounts([billing_account_id])
        return apply_open_credit([billing_account_id], now=now)


# One statement puts every open grant of a set of billed parties where it goes, as the ORM
# cannot (INSERT ... SELECT with window sums). On each party's oldest draft, the grants for one
# line (one service) take its room in apply-by order: a grant takes what the grants before it
# left of the line's fee, and carries the rest; a grant with no line there carries it all.
# Every amount goes through ROUND(..., 2): a no-op on PostgreSQL's numeric, and on SQLite
# (floats) it keeps rounding dust out of the ledger. Runs on both.
_APPLY_SQL = """
WITH movement_ AS MATERIALIZED (
    SELECT grant_id, invoice_line_id, kind, amount
    FROM billing_creditentry
    WHERE kind IN ('applied', 'paid_out', 'reversed') AND billing_account_id IN ({accounts})
), spent AS (
    SELECT grant_id, SUM(amount) AS amount FROM movement_ GROUP BY grant_id
), line_used AS (
    SELECT invoice_line_id, SUM(amount) AS amount FROM movement_
    WHERE kind = 'applied' GROUP BY invoice_line_id
), open_grant AS MATERIALIZED (
    SELECT grant_.id, grant_.claim_id, grant_.account_id, grant_.billing_account_id,
           grant_.subscription_id, grant_.service_month, grant_.at, claim.apply_by,
           ROUND(grant_.amount - COALESCE(spent.amount, 0), 2) AS open_amount,
           (SELECT MIN(draft.cycle_start) FROM billing_invoice draft
            WHERE draft.billing_account_id = grant_.billing_account_id
              AND draft.status = 'draft') AS cycle_start
    FROM billing_creditentry grant_
    JOIN claims_claim claim ON claim.id = grant_.claim_id
    LEFT JOIN spent ON spent.grant_id = grant_.id
    WHERE grant_.kind = 'granted' AND grant_.billing_account_id IN ({accounts})
      AND ROUND(grant_.amount - COALESCE(spent.amount, 0), 2) > 0
), placed AS (
    SELECT open_grant.*, invoice.id AS invoice_id, line.id AS line_id, line.description,
           ROUND(line.amount - COALESCE(line_used.amount, 0), 2) AS room,
           COALESCE(SUM(open_grant.open_amount) OVER (
               PARTITION BY invoice.id, open_grant.subscription_id
               ORDER BY open_grant.apply_by IS NULL, open_grant.apply_by, open_grant.at,
                        open_grant.id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ), 0) AS before
    FROM open_grant
    -- the oldest draft of the party
    JOIN billing_invoice invoice ON invoice.billing_account_id = open_grant.billing_account_id
                                AND invoice.cycle_start = open_grant.cycle_start
    LEFT JOIN billing_invoiceline line
        ON line.invoice_id = invoice.id AND line.subscription_id = open_grant.subscription_id
    LEFT JOIN line_used ON line_used.invoice_line_id = line.id
), taken AS (
    SELECT placed.*, ROUND(CASE
        WHEN line_id IS NULL OR room - before <= 0 THEN 0
        WHEN room - before < open_amount THEN room - before
        ELSE open_amount
    END, 2) AS take
    FROM placed
), movement AS (
    SELECT 'applied' AS kind,
           'apply:grant-' || CAST(id AS TEXT) || ':invoice-' || CAST(invoice_id AS TEXT) AS key,
           claim_id, account_id, billing_account_id, subscription_id, service_month,
           take AS amount, id AS grant_id, invoice_id, line_id AS invoice_line_id,
           'Applied to ' || description || ' on the invoice of ' || CAST(cycle_start AS TEXT)
               AS reason
    FROM taken WHERE take > 0
    UNION ALL
    SELECT 'carried',
           'carry:grant-' || CAST(id AS TEXT) || ':invoice-' || CAST(invoice_id AS TEXT),
           claim_id, account_id, billing_account_id, subscription_id, service_month,
           ROUND(open_amount - take, 2), id, invoice_id, NULL,
           'More than this invoice''s fee for the service: carried to the next invoice'
    FROM taken WHERE open_amount - take > 0
)
INSERT INTO billing_creditentry (kind, key, claim_id, account_id, billing_account_id,
    subscription_id, service_month, amount, grant_id, invoice_id, invoice_line_id, actor_id,
    at, reason)
SELECT kind, key, claim_id, account_id, billing_account_id, subscription_id, service_month,
       amount, grant_id, invoice_id, invoice_line_id, NULL, %s, reason
FROM movement
WHERE NOT EXISTS (SELECT 1 FROM billing_creditentry done WHERE done.key = movement.key)
RETURNING id, claim_id
"""


def apply_open_credit(billing_account_ids, *, now):
    """Put each billed party's open grants on its oldest draft invoice, only against the
    impacted services' recurring fees, oldest apply-by first; what does not fit carries to the
    next invoice (_APPLY_SQL). Never a cash refund. The caller holds the accounts' locks, so
    nothing else moves a grant or a line meanwhile; a movement already in the ledger (its key)
    is not written again, and one written meanwhile despite the locks would fail the unique
    key loudly rather than be skipped. Returns the ids of the entries written."""
    ids = list(billing_account_ids)
    if not ids:
        return []
    accounts = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            _APPLY_SQL.format(accounts=accounts),
            [*ids, *ids, connection.ops.adapt_datetimefield_value(now)],
        )
        written = cursor.fetchall()
    settle_claims([claim_id for _, claim_id in written], now)
    return [entry_id for entry_id, _ in written]


def pay_out_terminated(billing_account_id, *, now=None):
    """A terminated reseller's open credit becomes a payout (groupSPARK: "except when
    reseller's participation ... has terminated")."""
    now = now or timezone.now()
    with transaction.atomic():
        (billing_account,) = lock_billing_accounts([billing_account_id])
        if billing_account.organisation.standing != Organisation.Standing.TERMINATED:
            return []
        payable = unspent_grants().filter(
            billing_account=billing_account,
            claim__policy_version__payout_on_termination=True,
        )
        written = write_new(
            movement(
                grant,
                CreditKind.PAID_OUT,
                grant.amount - grant.spent,
                key=f"payout:grant-{grant.pk}",
                at=now,
                reason="Reseller terminated: outstanding credit paid out",
            )
            for grant in payable.order_by("pk")
        )
        settle_claims([entry.claim_id for entry in written], now)
        return written
