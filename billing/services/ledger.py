"""Reading and writing the credit ledger: the billed parties' locks, what a grant has left,
what was granted for a month, what is settled, and movements written once by key."""

from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import ZERO, BillingAccount, CreditEntry, CreditKind, GrantOutcome
from claims.models import Decision

CENT = Decimal("0.01")
# Movements that use up a grant. A CARRIED entry only records that a remainder waits.
SPENDING = (CreditKind.APPLIED, CreditKind.PAID_OUT, CreditKind.REVERSED)


def lock_billing_accounts(ids):
    """Lock billed parties' rows for this transaction, in primary-key order (two chunks never
    wait on each other in a cycle): grants read and use caps under these locks, and applying
    reads and uses a grant's open amount and a line's room under them."""
    return list(
        BillingAccount.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("organisation")
        .order_by("pk")
    )


def unspent_grants():
    """Grants with something left to apply, pay out or reverse, each with what it has spent."""
    spent = Coalesce(Sum("movements__amount", filter=Q(movements__kind__in=SPENDING)), Value(ZERO))
    return (
        CreditEntry.objects.filter(kind=CreditKind.GRANTED)
        .annotate(spent=spent)
        .filter(amount__gt=F("spent"))
    )


def open_amount(grant):
    spent = (
        grant.movements.filter(kind__in=SPENDING).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    return grant.amount - spent


def granted_in(billing_account, *, month, account=None, subscription=None):
    """Net credit granted for a service month: grants less reversals."""
    entries = CreditEntry.objects.filter(billing_account=billing_account, service_month=month)
    if account is not None:
        entries = entries.filter(account=account)
    if subscription is not None:
        entries = entries.filter(subscription=subscription)
    granted = entries.filter(kind=CreditKind.GRANTED).aggregate(t=Sum("amount"))["t"] or ZERO
    reversed_ = entries.filter(kind=CreditKind.REVERSED).aggregate(t=Sum("amount"))["t"] or ZERO
    return granted - reversed_


def settle_claims(claim_ids, now):
    """Mark settled the outcome of each claim's decision in force that billing has finished
    with: nothing of the claim's grants is open (so apply-by escalation stops). A correction
    is a new decision with an outcome of its own, watched again until it is settled."""
    if not claim_ids:
        return 0
    return (
        GrantOutcome.objects.filter(
            claim__in=set(claim_ids),
            settled_at__isnull=True,
            decision__in=Decision.objects.in_force(),
        )
        .exclude(Exists(unspent_grants().filter(claim=OuterRef("claim"))))
        .update(settled_at=now)
    )


def movement(
    grant, kind, amount, *, key, at, reason, invoice=None, invoice_line=None, actor_id=None
):
    """An unsaved ledger entry that draws on `grant`."""
    return CreditEntry(
        kind=kind,
        key=key,
        claim_id=grant.claim_id,
        account_id=grant.account_id,
        billing_account_id=grant.billing_account_id,
        subscription_id=grant.subscription_id,
        service_month=grant.service_month,
        amount=amount,
        grant=grant,
        invoice=invoice,
        invoice_line=invoice_line,
        actor_id=actor_id,
        at=at,
        reason=reason,
    )


def write_new(entries):
    """Save the entries whose effect is not in the ledger yet (their key is not); the others
    were written by an earlier run. Under the billed parties' locks no other writer races."""
    entries = list(entries)
    done = set(
        CreditEntry.objects.filter(key__in=[entry.key for entry in entries]).values_list(
            "key", flat=True
        )
    )
    return CreditEntry.objects.bulk_create([entry for entry in entries if entry.key not in done])


def write_movement(grant, kind, amount, **fields):
    """Write one movement of `grant` unless its effect is already in the ledger."""
    written = write_new([movement(grant, kind, amount, **fields)])
    return written[0] if written else None
