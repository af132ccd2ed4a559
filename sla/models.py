"""The service catalogue, subscriptions, versioned SLA policies, and the provider's own records
of incidents and maintenance.

The arithmetic lives in the pure `sla.engine`; these models only hold its parameters and turn a
policy version into the engine's `PolicyTerms`.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from portal.models import Organisation
from sla import engine


class Service(models.Model):
    """A hosted service sold to customers (email, VoIP, remote desktop, ...)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    # One order for services everywhere: the catalogue's.
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class ExceptionCategory(models.Model):
    """A kind of cause an agreement excludes from downtime (groupSPARK's ten Exceptions)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "exception categories"

    def __str__(self):
        return self.name


class Policy(models.Model):
    """An agreement. Its parameters live in versions; the timezone is fixed for the policy
    because it defines the billing month every version is computed in."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64,
        help_text='Policy time: "UTC", a fixed offset like "UTC-07:00", or an IANA name. '
        "Decision: MST is a fixed UTC-07:00 and EST a fixed UTC-05:00, as the agreements say.",
    )
    agreement_text = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"

    def __str__(self):
        return self.name

    def clean(self):
        try:
            engine.parse_timezone(self.timezone)
        except ValueError as exc:
            raise ValidationError({"timezone": str(exc)}) from None

    def version_at(self, instant):
        """The version in force at an aware instant (None before the first version)."""
        local_day = instant.astimezone(engine.parse_timezone(self.timezone)).date()
        for version in self._versions_newest_first():
            if version.effective_from <= local_day:
                return version
        return None

    def terms_for(self):
        """A callable instant -> PolicyTerms, as `engine.quote` takes it."""
        versions = self._versions_newest_first()
        if not versions:
            raise PolicyVersion.DoesNotExist(f"Policy {self.slug} has no version.")

        terms = {}

        def resolve(instant):
            # Before the first version, the first version applies.
            version = self.version_at(instant) or versions[-1]
            if version.pk not in terms:
                terms[version.pk] = version.terms()
            return terms[version.pk]

        return resolve

    def current_version(self, now=None):
        return self.version_at(now or timezone.now())

    def _versions_newest_first(self):
        if not hasattr(self, "_version_cache"):
            # A list of many claims prefetches `versions` (with their exception categories).
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("versions")
            if prefetched is None:
                prefetched = self.versions.prefetch_related("exception_categories")
            self._version_cache = sorted(prefetched, key=lambda v: v.effective_from, reverse=True)
        return self._version_cache


class CreditKind(models.TextChoices):
    PER_BLOCK = "per_block", "Per downtime block (day rate per block)"
    HOURLY = "hourly", "Hourly rate (fee / divisor per hour)"
    TIERED = "tiered", "Tiered percent of the fee"


class PolicyVersion(models.Model):
    """The parameters of a policy from a date on. Versions are never edited: a change is a new
    version with a later `effective_from`, and the version in force when the downtime happened
    is the one applied."""

    Kind = CreditKind

    class BlockRounding(models.TextChoices):
        COMPLETE = "complete", "Complete blocks only (floor)"
        STARTED = "started", "Each started block counts (ceil)"

    class HourRounding(models.TextChoices):
        CEIL = "ceil", "Each started hour counts (ceil)"
        FLOOR = "floor", "Complete hours only (floor)"

    class MaintenanceRule(models.TextChoices):
        ALL = "all", "Every maintenance event is excused"
        NOTICED_IN_WINDOW = (
            "noticed_in_window",
            "Only the part with enough notice inside the daily window",
        )

    class CapBasis(models.TextChoices):
        MRC_PAID = "mrc_paid", "Account's recurring charge actually paid for the month"
        SERVICE_FEE = "service_fee", "The impacted service's fee for the month"

    class Evidence(models.TextChoices):
        NONE = "none", "No proof required"
        NETWORK_TEST = "network_test", "Ping, DNS or telnet test inside the claimed period"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField(help_text="First day (policy time) this version applies.")
    note = models.CharField(max_length=300, blank=True, help_text="Why this version exists.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    target_percent = models.DecimalField(
        max_digits=8, decimal_places=5, help_text="Monthly availability commitment, e.g. 99.99."
    )
    # per_block
    block_minutes = models.PositiveSmallIntegerField(default=15)
    block_rounding = models.CharField(
        max_length=16,
        choices=BlockRounding.choices,
        default=BlockRounding.COMPLETE,
        help_text="Decision: only complete blocks of the month's qualifying downtime count.",
    )
    day_rate_basis = models.CharField(
        max_length=16,
        default="days_in_month",
        choices=[("days_in_month", "Fee / days in that month")],
    )
    # hourly
    hourly_divisor = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("720"))
    hour_rounding = models.CharField(
        max_length=16,
        choices=HourRounding.choices,
        default=HourRounding.CEIL,
        help_text="Decision: each started hour of qualifying downtime counts as one.",
    )
    # tiered: [["99.99", "10"], ["99.0", "25"], ["95.0", "100"]] = below threshold -> percent
    tiers = models.JSONField(default=list, blank=True)
    # maintenance
    maintenance_rule = models.CharField(max_length=24, choices=MaintenanceRule.choices)
    notice_hours = models.PositiveSmallIntegerField(default=72)
    window_start = models.TimeField(default=dt.time(10, 0), help_text="Daily window, policy time.")
    window_end = models.TimeField(
        default=dt.time(2, 0),
        help_text="At or before the start: the window crosses midnight (equal: all day).",
    )
    # exceptions
    honours_exceptions = models.BooleanField(
        default=False, help_text="Downtime tagged with an Exception is dropped."
    )
    exception_categories = models.ManyToManyField(ExceptionCategory, blank=True)
    # caps and money
    cap_basis = models.CharField(max_length=16, choices=CapBasis.choices)
    money_rounding = models.CharField(
        max_length=16,
        default="ROUND_HALF_UP",
        choices=[("ROUND_HALF_UP", "Half up, once, to cents")],
        help_text="Decision: a credit is rounded once, at the end, to cents.",
    )
    # claims
    claim_window_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Days after the downtime a claim may be filed (blank: any time).",
    )
    apply_by_cycles = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Billing cycles after the one the request arrived in, by whose end the credit "
        "is on an invoice (blank: the next invoice).",
    )
    requires_good_standing = models.BooleanField(default=False)
    required_evidence = models.CharField(
        max_length=16, choices=Evidence.choices, default=Evidence.NONE
    )
    requires_representation = models.BooleanField(
        default=False, help_text="The claimant represents that no Exception caused the outage."
    )
    payout_on_termination = models.BooleanField(default=False)
    decision_days = models.PositiveSmallIntegerField(
        default=10, help_text="Days after a claim is received by which staff owe a decision."
    )

    class Meta:
        ordering = ["policy", "-effective_from"]
        constraints = [
            # One version per policy per day: "the version in force" is never ambiguous.
            models.UniqueConstraint(
                fields=["policy", "effective_from"], name="policyversion_one_per_day"
            ),
            models.CheckConstraint(
                name="policyversion_kind_valid", condition=Q(kind__in=CreditKind.values)
            ),
            models.CheckConstraint(
                name="policyversion_target_range",
                condition=Q(target_percent__gt=0) & Q(target_percent__lte=100),
            ),
            models.CheckConstraint(
                name="policyversion_block_positive", condition=Q(block_minutes__gt=0)
            ),
            models.CheckConstraint(
                name="policyversion_divisor_positive", condition=Q(hourly_divisor__gt=0)
            ),
        ]

    def __str__(self):
        return f"{self.policy.slug} from {self.effective_from:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            # A version in force may already have priced credits; changing it would change them.
            raise ValidationError("Policy versions are never edited; add a new version instead.")
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        try:
            self.terms()
        except ValueError as exc:
            errors["__all__"] = str(exc)
        if self.kind == self.Kind.TIERED and not self.tiers:
            errors["tiers"] = "A tiered policy needs at least one band."
        if errors:
            raise ValidationError(errors)

    def terms(self):
        """This version as the engine's PolicyTerms."""
        if self.pk:
            slugs = tuple(c.slug for c in self.exception_categories.all())
        else:
            slugs = ()
        return engine.PolicyTerms(
            slug=self.policy.slug,
            name=self.policy.name,
            version=f"{self.effective_from:%Y-%m-%d}",
            kind=self.kind,
            target_percent=Decimal(self.target_percent),
            timezone=self.policy.timezone,
            block_minutes=self.block_minutes,
            block_rounding=self.block_rounding,
            day_rate_basis=self.day_rate_basis,
            hourly_divisor=Decimal(self.hourly_divisor),
            hour_rounding=self.hour_rounding,
            maintenance_rule=self.maintenance_rule,
            notice_hours=self.notice_hours,
            window_start=self.window_start,
            window_end=self.window_end,
            honours_exceptions=self.honours_exceptions,
            exception_slugs=slugs,
            cap_basis=self.cap_basis,
            tiers=tuple((Decimal(str(a)), Decimal(str(b))) for a, b in self.tiers),
            money_rounding=self.money_rounding,
        )


class SubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(organisation__in=Organisation.objects.visible_to(user))

    def active_at(self, instant):
        return self.filter(
            Q(starts_at__lte=instant), Q(ends_at__isnull=True) | Q(ends_at__gt=instant)
        )


class Subscription(models.Model):
    """An account's subscription to one service, at a monthly fee, under one policy."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        limit_choices_to={"kind": Organisation.Kind.CUSTOMER},
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="subscriptions")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="subscriptions")
    monthly_fee = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "service__position", "service__name"]
        constraints = [
            models.CheckConstraint(
                name="subscription_fee_not_negative", condition=Q(monthly_fee__gte=0)
            ),
            models.CheckConstraint(
                name="subscription_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
            ),
            models.CheckConstraint(
                name="subscription_currency_code", condition=Q(currency__regex=r"^[A-Z]{3}$")
            ),
        ]

    def __str__(self):
        return f"{self.organisation} - {self.service} ({self.monthly_fee} {self.currency})"


class ProviderEventQuerySet(models.QuerySet):
    def affecting(self, organisation):
        return self.filter(Q(affects_all=True) | Q(organisations=organisation)).distinct()

    def overlapping(self, start, end):
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class ProviderEvent(models.Model):
    """Common shape of the provider's own records: an interval on one service, affecting every
    subscriber or a list of organisations."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    affects_all = models.BooleanField(default=True)
    organisations = models.ManyToManyField(
        Organisation, blank=True, limit_choices_to={"kind": Organisation.Kind.CUSTOMER}
    )
    summary = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProviderEventQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-starts_at"]

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must be after the start."})


class Incident(ProviderEvent):
    """An outage the provider itself recorded."""

    class Meta(ProviderEvent.Meta):
        constraints = [
            models.CheckConstraint(
                name="incident_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            )
        ]

    def __str__(self):
        return f"Incident on {self.service}: {self.summary}"


class Maintenance(ProviderEvent):
    """Maintenance, scheduled or not, with when its notice went out (if it did)."""

    scheduled = models.BooleanField(default=True)
    notice_at = models.DateTimeField(null=True, blank=True, help_text="When the notice was sent.")

    class Meta(ProviderEvent.Meta):
        verbose_name_plural = "maintenance"
        constraints = [
            models.CheckConstraint(
                name="maintenance_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            )
        ]

    def __str__(self):
        return f"Maintenance on {self.service}: {self.summary}"
