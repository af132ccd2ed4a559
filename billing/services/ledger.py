"""Reading and writing the credit ledger: the billed parties' locks, what a grant has left,
what was granted for a month, the approval in force, and movements written once by key."""

from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import ZERO, BillingAccount, CreditEntry, CreditKind, GrantOutcome
from claims.models import Claim, ClaimState, Decision, DecisionKind

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


def approval_in_force():
    """The pk of a claim's approval in force (its latest), as a subquery on the claim."""
    return (
        Decision.objects.filter(claim=OuterRef("pk"), kind=DecisionKind.APPROVE)
        .order_by("-sequence")
        .values("pk")[:1]
    )


def settle_claims(claim_ids, now):
    """Mark approved claims whose credit billing has finished with: the approval in force has
    its grant outcome and nothing of its grants is open (so apply-by escalation stops)."""
    if not claim_ids:
        return 0
    open_grant = unspent_grants().filter(claim=OuterRef("pk"))
    settled = (
        Claim.objects.filter(
            pk__in=set(claim_ids), state=ClaimState.APPROVED, credit_settled_at__isnull=True
        )
        .annotate(in_force=Subquery(approval_in_force()))
        .filter(Exists(GrantOutcome.objects.filter(decision=OuterRef("in_force"))))
        .exclude(Exists(open_grant))
        .values_list("pk", flat=True)
    )
    return Claim.objects.filter(pk__in=list(settled)).update(credit_settled_at=now)


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
