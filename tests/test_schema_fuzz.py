"""Schemathesis over `/api/v1/schema/` as each role: every answer is documented (status, body,
headers), no 5xx, bad input refused. Bounded: a few examples per operation, so the six roles
together stay well under two minutes on two cores."""

import datetime as dt

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from claims import services
from portal.models import User
from portal.tokens import create_token
from tests.claims.conftest import END, START, upload
from tests.helpers import subscription

EXAMPLES_PER_OPERATION = 8
ROLES = {
    "anonymous": None,
    "customer": "alice@acme-dental.example",
    "reseller agent": "nora@northwind-it.example",
    "reviewer": "reviewer1@provider.example",
    "billing staff": "billing@provider.example",
    "admin": "admin@provider.example",
}


@pytest.fixture
def api_schema(demo):
    # The app runs in-process inside the test's transaction: like Django's test client, keep
    # the end of each request from closing the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    alice = User.objects.get(email="alice@acme-dental.example")
    claim = services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(subscription("Acme Dental", "email"),),
            period_start=START,
            period_end=END,
            basis="Down.",
        ),
        uploads=[(upload(), "ping")],
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())
    schema.config.phases.update(phases=["examples", "fuzzing"])
    # A schema cannot say which subscription ids, accounts or policy slugs exist or belong to
    # the asker, so schema-valid data naming one that does not is rightly a 400 by field; every
    # other check (documented status, body and headers, no 5xx) stays as it is.
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "400"]
    schema.demo_claim_id = claim.pk
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(request, demo):
    """Signed in as the test's role, by API token."""
    email = ROLES[request.function.fuzz_role]
    if email is None:
        return {}
    _, secret = create_token(
        user=User.objects.get(email=email),
        name="schema fuzzing",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    return {"Authorization": f"Token {secret}"}


fuzzed = schemathesis.pytest.from_fixture("api_schema")


def _fuzz_as(role):
    @fuzzed.parametrize()
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def test(case, role_headers, api_schema):
        # Random ids would only ever meet 404: act on a real claim, with generated bodies.
        if "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = api_schema.demo_claim_id
        case.call_and_validate(headers=role_headers)

    test.fuzz_role = role
    return test


# One test per role (schemathesis runs each operation as a sub-test of it).
test_api_as_anonymous = _fuzz_as("anonymous")
test_api_as_customer = _fuzz_as("customer")
test_api_as_reseller_agent = _fuzz_as("reseller agent")
test_api_as_reviewer = _fuzz_as("reviewer")
test_api_as_billing_staff = _fuzz_as("billing staff")
test_api_as_admin = _fuzz_as("admin")
