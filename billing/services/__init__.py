"""Turning approved claims into money: grant within the caps, apply to the next draft invoice,
carry forward, pay out on termination, and the cycle run that makes and issues invoices.

Every step works on a set of billed parties at once (one for a task, a chunk of them for the
month-end run): it reads what it needs in a few queries and writes in bulk. Each is safe to run
twice: a ledger entry's key names its effect and is unique, a grant outcome is one per decision,
an invoice one per cycle. Every step that writes the ledger runs under the row locks of the
billed parties it touches, so concurrent approvals can never together pass a cap.

ledger.py reads and writes the ledger; grants.py grants claims' award rows within the caps
and reverses what corrections take back; invoices.py drafts, issues and settles invoices;
applying.py puts credit on them and pays out; run.py is the month-end run's part for a chunk.
Imports point that way: ledger <- applying <- grants, invoices <- run.
"""

from billing.services.applying import apply_credits, apply_open_credit, pay_out_terminated
from billing.services.grants import (
    claims_awaiting_grant,
    grant_and_apply,
    grant_credit,
    grant_credits,
    pending_awards,
)
from billing.services.invoices import (
    draft_invoice,
    draft_invoices,
    issue_ended,
    issue_invoice,
    mark_overdue,
    record_payment,
)
from billing.services.ledger import (
    SPENDING,
    granted_in,
    lock_billing_accounts,
    open_amount,
    settle_claims,
)
from billing.services.run import CHUNK, bill, bill_chunk, billing_chunks

__all__ = [
    "CHUNK",
    "SPENDING",
    "apply_credits",
    "apply_open_credit",
    "bill",
    "bill_chunk",
    "billing_chunks",
    "claims_awaiting_grant",
    "draft_invoice",
    "draft_invoices",
    "grant_and_apply",
    "grant_credit",
    "grant_credits",
    "granted_in",
    "issue_ended",
    "issue_invoice",
    "lock_billing_accounts",
    "mark_overdue",
    "open_amount",
    "pay_out_terminated",
    "pending_awards",
    "record_payment",
    "settle_claims",
]
