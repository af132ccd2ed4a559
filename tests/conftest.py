"""Personas and shared fixtures. The suite runs on PostgreSQL (see scripts/test.sh)."""

import importlib
import os

import pytest
from django.apps import apps
from django.core.management import call_command

from portal.models import Membership, Organisation, Role, User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in live tests
PASSWORD = "test-pass-123"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    """The README's demo data, loaded as `make run` loads it."""
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def live_demo(transactional_db):
    """The demo for tests that commit (live server, real workers). Their database is flushed
    between tests, which also removes what the data migrations shipped, so ship it again."""
    shipped = importlib.import_module("sla.migrations.0002_shipped_policies")
    shipped.ship(apps, None)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def make_person(email, organisation, role, **extra):
    user = User.objects.create_user(email, PASSWORD, **extra)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def provider(db):
    return Organisation.objects.create(name="Provider", kind=Organisation.Kind.PROVIDER)


@pytest.fixture
def customer_org(db):
    return Organisation.objects.create(name="Customer A", kind=Organisation.Kind.CUSTOMER)


@pytest.fixture
def other_customer_org(db):
    return Organisation.objects.create(name="Customer B", kind=Organisation.Kind.CUSTOMER)


@pytest.fixture
def reseller_org(db):
    return Organisation.objects.create(name="Reseller R", kind=Organisation.Kind.RESELLER)


@pytest.fixture
def end_customer_org(reseller_org):
    return Organisation.objects.create(
        name="End customer E", kind=Organisation.Kind.CUSTOMER, reseller=reseller_org
    )


@pytest.fixture
def other_reseller_end_customer_org(db):
    other = Organisation.objects.create(name="Reseller S", kind=Organisation.Kind.RESELLER)
    return Organisation.objects.create(
        name="End customer F", kind=Organisation.Kind.CUSTOMER, reseller=other
    )


@pytest.fixture
def customer(customer_org):
    return make_person("a@customer-a.example", customer_org, Role.CUSTOMER_MEMBER)


@pytest.fixture
def other_customer(other_customer_org):
    return make_person("b@customer-b.example", other_customer_org, Role.CUSTOMER_MEMBER)


@pytest.fixture
def reseller(reseller_org, end_customer_org):
    return make_person("agent@reseller-r.example", reseller_org, Role.RESELLER_AGENT)


@pytest.fixture
def reviewer(provider):
    return make_person("reviewer@provider.example", provider, Role.REVIEWER, is_staff=True)


@pytest.fixture
def billing_clerk(provider):
    return make_person("billing@provider.example", provider, Role.BILLING, is_staff=True)
