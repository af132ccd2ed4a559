"""CSV exports of claims and credits: scoped as the lists, filtered as the lists, streamed from
an iterator in bounded queries, decimals and instants written plainly, formula cells defused."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from billing import services as billing
from billing.export import CLAIM_COLUMNS, CREDIT_COLUMNS, cell
from claims import services as claims_services
from claims.models import Claim
from portal.models import UNKNOWN_ACCOUNT, Organisation, User
from tests.scenarios import approved

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def cedar_granted(nora, cedar_exchange, reviewer_user):
    claim = approved(
        nora, cedar_exchange, reviewer=reviewer_user, representation=True, proof=False, now=NOW
    )
    billing.grant_credit(claim.pk, now=NOW)
    return claim


def read(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_claims_csv_has_the_documented_columns_and_plain_values(client, nora, cedar_granted):
    client.force_login(nora)
    response = client.get("/billing/export/claims.csv")
    rows = read(response)
    assert tuple(rows[0]) == CLAIM_COLUMNS
    (row,) = [r for r in rows if r["claim"] == cedar_granted.reference]
    assert row["account"] == "Cedar Bakery"
    assert row["state"] == "approved"
    assert row["services"] == "hosted-exchange"
    assert row["period_start"] == "2026-03-10T19:00:00Z"
    assert (row["approved"], row["granted"], row["applied"], row["open"]) == (
        "1.00",
        "1.00",
        "0.00",
        "1.00",
    )
    assert row["apply_by"] == cedar_granted.apply_by.isoformat()


def test_credits_csv_lists_the_ledger_entries(client, nora, cedar_granted):
    client.force_login(nora)
    rows = read(client.get("/billing/export/credits.csv"))
    assert tuple(rows[0]) == CREDIT_COLUMNS
    (grant,) = [r for r in rows if r["kind"] == "granted"]
    assert grant["amount"] == "1.00"
    assert grant["claim"] == cedar_granted.reference
    assert grant["service_month"] == "2026-03-01"
    assert grant["at"].endswith("Z")


def test_exports_are_scoped_and_filtered_as_the_lists(client, nora, alice, cedar_granted):
    client.force_login(alice)
    assert read(client.get("/billing/export/claims.csv")) == []
    assert read(client.get("/billing/export/credits.csv")) == []
    client.force_login(nora)
    other = Organisation.objects.filter(reseller__name="Northwind IT").exclude(name="Cedar Bakery")
    assert read(client.get("/billing/export/claims.csv", {"account": other.first().pk})) == []
    assert len(read(client.get("/billing/export/claims.csv", {"state": "approved"}))) == 1
    acme = Organisation.objects.get(name="Acme Dental")
    for path in ("/billing/export/claims.csv", "/billing/export/credits.csv"):
        response = client.get(path, {"account": acme.pk})
        assert response.status_code == 400
        assert response.content.decode() == UNKNOWN_ACCOUNT
    assert client.get("/billing/export/claims.csv", {"state": "nope"}).status_code == 400
    assert client.get("/billing/export/credits.csv", {"kind": "nope"}).status_code == 400


@pytest.mark.parametrize("text", ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\tx"])
def test_formula_cells_are_prefixed_with_a_quote(text):
    assert cell(text) == "'" + text


def test_an_account_name_that_is_a_formula_is_defused(client, nora, cedar_granted):
    Organisation.objects.filter(pk=cedar_granted.account_id).update(name="=cmd|' /C calc'!A0")
    client.force_login(nora)
    (row,) = read(client.get("/billing/export/claims.csv"))
    assert row["account"] == "'=cmd|' /C calc'!A0"


def test_five_thousand_claims_stream_in_bounded_queries(client, nora, cedar_granted):
    template = Claim.objects.get(pk=cedar_granted.pk)
    Claim.objects.bulk_create(
        Claim(
            account_id=template.account_id,
            filed_by_id=template.filed_by_id,
            policy_version_id=template.policy_version_id,
            period_start=template.period_start,
            period_end=template.period_end,
            basis="Down.",
        )
        for _ in range(5000)
    )
    client.force_login(nora)
    with CaptureQueriesContext(connection) as queries:
        rows = read(client.get("/billing/export/claims.csv"))
    assert len(rows) == 5001
    # A chunk of 500 claims and its lines at a time: not a query per claim.
    assert len(queries) < 40


def test_granted_is_net_of_a_correction_to_less(client, nora, cedar_granted, reviewer_user):
    second = User.objects.get(email="reviewer2@provider.example")
    claims_services.approve(
        claim=cedar_granted, by=second, amount=Decimal("0.40"), reason="Only part of it proven."
    )
    billing.grant_credit(cedar_granted.pk, now=NOW)
    client.force_login(nora)
    (row,) = [
        r
        for r in read(client.get("/billing/export/claims.csv"))
        if r["claim"] == cedar_granted.reference
    ]
    assert (row["approved"], row["granted"], row["open"]) == ("0.40", "0.40", "0.40")
    page = client.get("/billing/resellers/overview/").content.decode()
    assert "0.40" in page and "1.00" not in page
