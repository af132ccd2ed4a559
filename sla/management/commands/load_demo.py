"""Load the demo organisations, people and subscriptions. Running it twice changes nothing.

In sla, the lowest app whose data it writes (portal <- sla): portal must not import sla."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.models import Membership, Organisation, Role, User
from portal.staff_groups import group_name, sync_staff_groups
from sla.models import Policy, Service, Subscription

DEMO_PASSWORD = "demo-credit-2026"  # noqa: S105 - the demo password README publishes
SINCE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

PROVIDER = "Hosted Services Provider"
# (email, full name, organisation, role)
PEOPLE = [
    ("admin@provider.example", "Ada Admin", PROVIDER, Role.ADMIN),
    ("reviewer1@provider.example", "Rita Reviewer", PROVIDER, Role.REVIEWER),
    ("reviewer2@provider.example", "Ravi Reviewer", PROVIDER, Role.REVIEWER),
    ("billing@provider.example", "Bill Clerk", PROVIDER, Role.BILLING),
    ("alice@acme-dental.example", "Alice Acme", "Acme Dental", Role.CUSTOMER_MEMBER),
    ("bob@birch-legal.example", "Bob Birch", "Birch Legal", Role.CUSTOMER_MEMBER),
    ("nora@northwind-it.example", "Nora Northwind", "Northwind IT", Role.RESELLER_AGENT),
    ("carl@cedar-bakery.example", "Carl Cedar", "Cedar Bakery", Role.CUSTOMER_MEMBER),
]
# (name, kind, reseller)
ORGANISATIONS = [
    (PROVIDER, Organisation.Kind.PROVIDER, None),
    ("Acme Dental", Organisation.Kind.CUSTOMER, None),
    ("Birch Legal", Organisation.Kind.CUSTOMER, None),
    ("Northwind IT", Organisation.Kind.RESELLER, None),
    ("Cedar Bakery", Organisation.Kind.CUSTOMER, "Northwind IT"),
    ("Delta Logistics", Organisation.Kind.CUSTOMER, "Northwind IT"),
    ("Elm Architects", Organisation.Kind.CUSTOMER, "Northwind IT"),
]
# (organisation, service slug, policy slug, monthly fee)
SUBSCRIPTIONS = [
    ("Acme Dental", "email", "onepointsync", "310.00"),
    ("Acme Dental", "voip", "onepointsync", "450.00"),
    ("Acme Dental", "data-backup", "onepointsync", "93.00"),
    ("Birch Legal", "email", "onepointsync", "124.00"),
    ("Birch Legal", "remote-desktop", "onepointsync", "620.00"),
    ("Cedar Bakery", "hosted-exchange", "groupspark", "720.00"),
    ("Delta Logistics", "hosted-exchange", "groupspark", "1440.00"),
    ("Elm Architects", "hosted-exchange", "groupspark", "360.00"),
]


class Command(BaseCommand):
    help = "Load demo organisations, people and subscriptions (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        sync_staff_groups()
        created = 0
        organisations = {}
        for name, kind, reseller in ORGANISATIONS:
            organisations[name], made = Organisation.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "reseller": organisations.get(reseller)},
            )
            created += made
        for email, full_name, organisation, role in PEOPLE:
            provider_staff = role in (Role.ADMIN, Role.REVIEWER, Role.BILLING)
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    DEMO_PASSWORD,
                    full_name=full_name,
                    is_staff=provider_staff,
                    is_superuser=role == Role.ADMIN,
                )
                created += 1
                if role in (Role.REVIEWER, Role.BILLING):
                    user.groups.add(Group.objects.get(name=group_name(role)))
            _, made = Membership.objects.get_or_create(
                user=user, organisation=organisations[organisation], role=role
            )
            created += made
        for organisation, service, policy, fee in SUBSCRIPTIONS:
            _, made = Subscription.objects.get_or_create(
                organisation=organisations[organisation],
                service=Service.objects.get(slug=service),
                policy=Policy.objects.get(slug=policy),
                defaults={"monthly_fee": Decimal(fee), "starts_at": SINCE},
            )
            created += made
        self.stdout.write(f"Demo data loaded ({created} rows created).")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for email, _, organisation, role in PEOPLE:
            self.stdout.write(f"  {email:<30} {Role(role).label} at {organisation}")
