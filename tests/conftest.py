"""Personas and shared fixtures. The suite runs on PostgreSQL, then on the embedded SQLite
default with tasks in-process (see scripts/test.sh); tests marked postgres_only skip there."""

import importlib
import os
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from portal import tasks as portal_tasks
from portal.celery import app
from portal.models import Membership, Organisation, Role, User
from tests.helpers import subscription

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in live tests
PASSWORD = "test-pass-123"


def use_queues(default, mail):
    """Publish billing's tasks (the default queue) to `default` and the mail tasks (routed by
    name in settings) to `mail`. Returns the pair in use before."""
    previous = (app.conf.task_default_queue, mail_queue())
    app.conf.update(
        task_default_queue=default,
        task_routes={name: {"queue": mail} for name in settings.CELERY_TASK_ROUTES},
    )
    return previous


def mail_queue():
    (queue,) = {route["queue"] for route in app.conf.task_routes.values()}
    return queue


def delete_queues(*queues):
    """Remove the queues and their exchanges' bindings from the broker."""
    if app.conf.task_always_eager:
        return
    client = redis.Redis.from_url(app.conf.broker_url)
    try:
        for queue in queues:
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


@pytest.fixture(scope="session", autouse=True)
def _private_celery_queue():
    """Tasks enqueued by tests that commit without a worker go to queues of this run's own
    (billing's and mail's), deleted at the end, so a shared Redis keeps no leftovers and no
    other run consumes them."""
    name = f"test-run-{uuid.uuid4().hex[:12]}"
    queues = (name, f"{name}-mail")
    previous = use_queues(*queues)
    yield queues
    use_queues(*previous)
    delete_queues(*queues)


@pytest.fixture(autouse=True)
def _broker_failures_forgotten():
    """A broker a test made unreachable does not make a later test skip its publishes."""
    yield
    portal_tasks.forget_failures()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _security_trial_settings(settings):
    """Staff log in without a second factor and approve without re-authenticating (as
    `STAFF_MFA_REQUIRED=false` trials do); tests of those turn them back on. Counters (API
    throttles, reset limits) start empty in each test's own in-memory cache."""
    settings.STAFF_MFA_REQUIRED = False
    settings.RECENT_AUTH_MINUTES = 0
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    }


@pytest.fixture(autouse=True)
def private_proof_folder(settings, tmp_path):
    """Each test keeps proof files in its own folder, so "nothing stored" can be checked and
    no test leaves files behind."""
    settings.STORAGES = {
        **settings.STORAGES,
        "proofs": {
            "BACKEND": "portal.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "proofs")},
        },
    }
    return tmp_path / "proofs"


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


@pytest.fixture
def celery_worker(transactional_db, settings):
    """A real Celery worker (in a thread) consuming queues of this test's own (billing's and
    mail's) on the Redis the suite uses; tasks go through the broker, not eager mode."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (make test sets it)")
    name = f"test-{uuid.uuid4().hex[:12]}"
    queues = (name, f"{name}-mail")
    previous = use_queues(*queues)
    worker = start_worker(
        app, pool="solo", perform_ping_check=False, queues=list(queues), shutdown_timeout=10
    )
    with worker as running:
        yield running
    use_queues(*previous)
    delete_queues(*queues)


# --- the demo personas and subscriptions ---------------------------------------------------


@pytest.fixture
def alice(demo):
    return User.objects.get(email="alice@acme-dental.example")


@pytest.fixture
def bob(demo):
    return User.objects.get(email="bob@birch-legal.example")


@pytest.fixture
def nora(demo):
    return User.objects.get(email="nora@northwind-it.example")


@pytest.fixture
def reviewer_user(demo):
    return User.objects.get(email="reviewer1@provider.example")


@pytest.fixture
def acme_email(demo):
    return subscription("Acme Dental", "email")


@pytest.fixture
def cedar_exchange(demo):
    return subscription("Cedar Bakery", "hosted-exchange")


# --- the SQLite leg ---------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """On a database other than PostgreSQL (the embedded SQLite default), tests marked
    postgres_only are skipped, saying why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (row locks across connections, real workers against the "
        f"database, or SQL only PostgreSQL speaks); this run is on {connection.vendor}"
    )
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)
