"""Awards: what a decision gives, per subscription (claim line) and service month, as data.

Claims writes them in the transaction of the decision that makes them effective; billing
grants the awards of each claim's decision in force that have no grant outcome yet (the
database is the outbox) and never reads the engine's rendered JSON.

Shape (append-only: PostgreSQL refuses UPDATE and DELETE, migration `0007_award_guards`):

- An effective approval writes one row per subscription-month the engine priced (zero where
  the engine gave nothing there), the decided amount allocated in proportion to the engine's
  credits. A large approval becomes effective when the second reviewer confirms it: its rows
  are written then (they name the approval, not the confirmation).
- A correction writes new rows for the new decision; the replaced decision's rows stay, and
  only the decision in force (`Decision.objects.in_force()`) counts.
- A rejection (first, or a correction to reject) writes a zero row for every subscription-month
  an earlier award of the claim named, and an approval does the same for such a month it no
  longer covers: the in-force award is then zero there, and billing takes back what is still
  open of a grant for it. A first rejection has nothing to zero and writes no rows.

So the in-force decision's rows always state, for every subscription-month the claim was ever
awarded, how much it is owed now.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from sla.models import PolicyVersion, Subscription

CapBasis = PolicyVersion.CapBasis


class Award(models.Model):
    decision = models.ForeignKey("claims.Decision", on_delete=models.PROTECT, related_name="awards")
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="awards")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    service_month = models.DateField(help_text="First day of the month (policy time) credited.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    cap_basis = models.CharField(max_length=16, choices=CapBasis.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decision", "subscription", "service_month"]
        constraints = [
            # A decision says once what a subscription-month is owed.
            models.UniqueConstraint(
                fields=["decision", "subscription", "service_month"],
                name="award_one_per_decision_month",
            ),
            models.CheckConstraint(name="award_amount_not_negative", condition=Q(amount__gte=0)),
            # Billing chooses the cap by this field: only the agreements' two bases exist.
            models.CheckConstraint(
                name="award_cap_basis_valid", condition=Q(cap_basis__in=CapBasis.values)
            ),
        ]

    def __str__(self):
        return f"{self.amount} for {self.service_month:%Y-%m} ({self.claim.reference})"

    @property
    def shares_account_cap(self):
        """OnePointSync: all of an account's credits for a month share one cap."""
        return self.cap_basis == CapBasis.MRC_PAID
