"""Two processes submit overlapping claims at the same moment against PostgreSQL: exactly one
is stored, the other gets the friendly error."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from claims import services
from claims.models import ClaimLine, ClaimState
from portal.models import User
from sla.models import Subscription
from tests.claims.conftest import END, START, upload

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def draft(user, subscription, start=START, end=END):
    claim = services.save_draft(
        by=user,
        data=services.ClaimInput(
            subscriptions=(subscription,), period_start=start, period_end=end, basis="Down."
        ),
    )
    services.attach_proof(claim=claim, by=user, uploaded=upload(), declared_kind="ping")
    return claim


@pytest.fixture
def acme(live_demo):
    return (
        User.objects.get(email="alice@acme-dental.example"),
        Subscription.objects.get(organisation__name="Acme Dental", service__slug="email"),
    )


def database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_two_processes_submit_overlapping_claims_at_once(acme):
    user, subscription = acme
    first = draft(user, subscription)
    second = draft(user, subscription, START.replace(minute=30), END.replace(hour=20))
    start_at = time.time() + 3  # both processes are set up by then
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": ""}
    processes = [
        subprocess.Popen(
            [sys.executable, "tests/claims/race_submit.py", str(c.pk), str(user.pk), str(start_at)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in (first, second)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    results = [out.strip().splitlines()[-1] for out, _ in outputs]
    assert sorted(r.split(" ")[0] for r in results) == ["OK", "REFUSED"], outputs
    refusal = next(r for r in results if r.startswith("REFUSED"))
    assert "Multiple requests are not granted for the same time period" in refusal
    first.refresh_from_db()
    second.refresh_from_db()
    assert sorted([first.state, second.state]) == [ClaimState.DRAFT, ClaimState.SUBMITTED]
    assert ClaimLine.objects.filter(live=True).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_the_database_refuses_overlapping_live_lines_by_itself(acme):
    user, subscription = acme
    first = draft(user, subscription)
    second = draft(user, subscription, START.replace(minute=46), END.replace(hour=20))
    first.lines.update(live=True)
    with pytest.raises(IntegrityError, match="claimline_no_overlapping_live_period"):
        with transaction.atomic():
            second.lines.update(live=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_the_audit_trail_cannot_be_rewritten(acme):
    user, subscription = acme
    claim = draft(user, subscription)
    for statement in (
        "UPDATE claims_claimevent SET reason = 'forged'",
        "DELETE FROM claims_claimevent",
    ):
        with pytest.raises(Exception, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert claim.events.count() == 2
