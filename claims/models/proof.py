"""Proof files attached to claims, kept privately under server-made names."""

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, cached_property, empty

from claims.evidence import Evidence
from claims.evidence.proposal import propose


class _ProofFiles(LazyObject):
    """storages["proofs"], looked up on first use (and again after settings change in tests)."""

    def _setup(self):
        self._wrapped = storages["proofs"]


proof_files = _ProofFiles()


def proof_storage():
    """Where proof files live: private, never at a public URL (settings: STORAGES["proofs"])."""
    return proof_files


@receiver(setting_changed)
def _forget_proof_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        proof_files._wrapped = empty


class ProofKind(models.TextChoices):
    PING = "ping", "Ping test"
    DNS = "dns", "DNS test"
    TELNET = "telnet", "Telnet / port test"
    OTHER = "other", "Other"


NETWORK_TEST_KINDS = (ProofKind.PING, ProofKind.DNS, ProofKind.TELNET)


class Proof(models.Model):
    """A file attached to a claim, kept privately under a server-made name."""

    Kind = ProofKind

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="proofs")
    file = models.FileField(storage=proof_storage, max_length=200)
    display_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    declared_kind = models.CharField(
        max_length=8,
        choices=ProofKind.choices,
        blank=True,
        help_text="What the claimant says it is.",
    )
    kind = models.CharField(
        max_length=8,
        choices=ProofKind.choices,
        default=ProofKind.OTHER,
        help_text="The claimant's word, else what the portal read.",
    )
    read = models.BooleanField(default=False, help_text="The portal could read evidence from it.")
    evidence = models.JSONField(null=True, blank=True, help_text="What was read from the file.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(name="proof_kind_valid", condition=Q(kind__in=ProofKind.values)),
        ]

    def __str__(self):
        return self.display_name

    @cached_property
    def reading(self):
        """The stored reading (`Evidence.compact()`), rebuilt once per row; None for a file
        that is not text."""
        return Evidence.from_dict(self.evidence) if self.evidence else None

    def failing_within(self, start, end):
        """The stretches inside [start, end) where this file shows the service failing."""
        if self.reading is None or not self.reading.readable:
            return ()
        return propose(start=start, end=end, proofs=[(self.display_name, self.reading)]).downtime

    def recorded_within(self, start, end):
        """Whether the file shows any result inside [start, end)."""
        if self.reading is None:
            return False
        return any(e.start < end and e.end >= start for e in self.reading.episodes)

    @property
    def evidence_summary(self):
        """One line on what the file showed, against the claimed period."""
        if self.reading is None:
            return ""
        if not self.reading.readable:
            return self.reading.summary()
        start, end = self.claim.period_start, self.claim.period_end
        line = self.reading.summary()
        failing = self.failing_within(start, end)
        if failing:
            line += "; failing inside the claimed period " + ", ".join(
                f"from {s.start:%Y-%m-%d %H:%M:%S} to {s.end:%Y-%m-%d %H:%M:%S} UTC"
                for s in failing[:3]
            )
            if len(failing) > 3:
                line += f" and {len(failing) - 3} more times"
        elif self.recorded_within(start, end):
            line += "; no failures inside the claimed period"
        else:
            line += "; nothing recorded inside the claimed period"
        return line
