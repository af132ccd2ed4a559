"""The people: users, organisations (the provider, direct customers, resellers and their end
customers) and memberships with roles.

Every later view scopes its rows through `Organisation.objects.visible_to(user)`, so who may see
what is decided here, once.
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.crypto import constant_time_compare
from django.utils.timezone import now

UNKNOWN_ACCOUNT = "Unknown account: choose one of your end customers from the overview."


class Role(models.TextChoices):
    CUSTOMER_MEMBER = "customer_member", "Customer member"
    RESELLER_AGENT = "reseller_agent", "Reseller agent"
    REVIEWER = "reviewer", "Reviewer"
    BILLING = "billing", "Billing staff"
    ADMIN = "admin", "Administrator"


PROVIDER_ROLES = (Role.REVIEWER, Role.BILLING, Role.ADMIN)
# A person holding several roles lands on the home page of the first one listed here.
HOME_ORDER = (Role.ADMIN, Role.REVIEWER, Role.BILLING, Role.RESELLER_AGENT, Role.CUSTOMER_MEMBER)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        # Log-in is by e-mail, whatever case the person types it in.
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="IANA name used to show and enter times."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May log in to the admin site (provider staff only)."
    )
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def roles(self):
        """The set of Role values this user holds in any organisation."""
        if not hasattr(self, "_roles"):
            self._roles = set(self.memberships.values_list("role", flat=True))
        return self._roles

    def has_role(self, *roles):
        return bool(self.roles() & set(roles))

    @property
    def is_provider_staff(self):
        return self.has_role(*PROVIDER_ROLES)

    def primary_role(self):
        """The role whose home page this user lands on (the most powerful one held)."""
        for role in HOME_ORDER:
            if role in self.roles():
                return role
        return None


class OrganisationQuerySet(models.QuerySet):
    def customers(self):
        """Accounts that hold subscriptions: direct customers and end customers."""
        return self.filter(kind=Organisation.Kind.CUSTOMER)

    def visible_to(self, user):
        """The organisations `user` may see.

        Provider staff see every organisation; a reseller agent sees its reseller and that
        reseller's end customers; a customer member sees its own organisation.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.is_provider_staff:
            return self.all()
        memberships = user.memberships.all()
        own = memberships.values("organisation")
        resold = memberships.filter(role=Role.RESELLER_AGENT).values("organisation")
        return self.filter(Q(pk__in=own) | Q(reseller__in=resold))

    def in_scope(self, user, account_id):
        """The customer account `account_id` if `user` may see it, else ValidationError (the
        same words for an account that does not exist and one outside the scope)."""
        try:
            return self.visible_to(user).customers().get(pk=int(account_id))
        except (TypeError, ValueError, OverflowError, self.model.DoesNotExist):
            raise ValidationError(UNKNOWN_ACCOUNT, code="account") from None

    def claimable_by(self, user):
        """Accounts `user` may file claims for: its own customer organisation, or, as a reseller
        agent, the reseller's end customers. Provider staff judge claims; they do not file them."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        memberships = user.memberships.all()
        own = memberships.filter(role=Role.CUSTOMER_MEMBER).values("organisation")
        resold = memberships.filter(role=Role.RESELLER_AGENT).values("organisation")
        return self.customers().filter(Q(pk__in=own) | Q(reseller__in=resold))


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", "Provider"
    CUSTOMER = "customer", "Customer"
    RESELLER = "reseller", "Reseller"


class Standing(models.TextChoices):
    GOOD = "good", "Good standing"
    OVERDUE = "overdue", "Overdue"
    TERMINATED = "terminated", "Terminated"


class Organisation(models.Model):
    Kind = OrganisationKind
    Standing = Standing

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reseller = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="end_customers",
        limit_choices_to={"kind": Kind.RESELLER},
        help_text="Set for an end customer served through a reseller.",
    )
    standing = models.CharField(max_length=16, choices=Standing.choices, default=Standing.GOOD)
    billing_email = models.EmailField(blank=True)
    billing_anchor_day = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Day of the month each billing cycle starts (1-28). An end customer is "
        "billed on its reseller's cycle.",
    )
    created_at = models.DateTimeField(default=now)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_kind_valid", condition=Q(kind__in=OrganisationKind.values)
            ),
            models.CheckConstraint(
                name="organisation_standing_valid", condition=Q(standing__in=Standing.values)
            ),
            # Only a customer can be an end customer; resellers do not nest.
            models.CheckConstraint(
                name="organisation_only_customers_have_reseller",
                condition=Q(reseller__isnull=True) | Q(kind="customer"),
            ),
            models.UniqueConstraint(fields=["name"], name="organisation_name_unique"),
            # Every month has the day a cycle starts on.
            models.CheckConstraint(
                name="organisation_billing_anchor_day_range",
                condition=Q(billing_anchor_day__gte=1, billing_anchor_day__lte=28),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def billed_party(self):
        """Who is invoiced for this organisation's subscriptions, on whose billing cycle."""
        return self.reseller or self

    @property
    def in_good_standing(self):
        return self.standing == self.Standing.GOOD


class Membership(models.Model):
    """A user's role in one organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(name="membership_role_valid", condition=Q(role__in=Role.values)),
        ]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()} at {self.organisation}"

    def clean(self):
        expected = {
            Role.CUSTOMER_MEMBER: Organisation.Kind.CUSTOMER,
            Role.RESELLER_AGENT: Organisation.Kind.RESELLER,
            Role.REVIEWER: Organisation.Kind.PROVIDER,
            Role.BILLING: Organisation.Kind.PROVIDER,
            Role.ADMIN: Organisation.Kind.PROVIDER,
        }[self.role]
        if self.organisation_id and self.organisation.kind != expected:
            raise ValidationError(
                {"role": f"A {self.get_role_display()} must belong to a {expected.label}."}
            )


class ApiTokenQuerySet(models.QuerySet):
    def live(self, when=None):
        """Tokens that still open the API: not revoked, not expired, for an active user."""
        when = when or now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=when, user__is_active=True)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is kept; the secret is shown once.

    A token dies when its user revokes it, when it expires, when the user is deactivated, and
    when the user's password changes or is reset (it carries the password's session hash, as a
    session does, and stops matching)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, so a person can tell their tokens apart.
    prefix = models.CharField(max_length=8, editable=False)
    password_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A token cannot expire before it exists.
            models.CheckConstraint(
                name="apitoken_expires_after_creation",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self):
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now():
            return "expired"
        if not self.user.is_active or not self.matches_password():
            return "void (password changed)"
        return "active"

    def matches_password(self):
        return constant_time_compare(self.password_hash, self.user.get_session_auth_hash())

    def revoke(self, when=None):
        if self.revoked_at is None:
            self.revoked_at = when or now()
            self.save(update_fields=["revoked_at"])
