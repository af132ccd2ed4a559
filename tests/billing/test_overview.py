"""The reseller overview and the end-customer filters on the claims and credits lists: figures
read from the awards in force and the ledger, one aggregate query whatever the number of end
customers, sorted and paginated, and scoped (an account outside the scope is a 400, never a
leak)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services as billing
from billing.models import BillingAccount
from portal.models import UNKNOWN_ACCOUNT, Membership, Organisation, Role, User
from tests.conftest import PASSWORD
from tests.scenarios import approved

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
URL = "/billing/resellers/overview/"


@pytest.fixture
def cedar_granted(nora, cedar_exchange, reviewer_user):
    """Cedar Bakery's claim approved at 1.00 and granted, not yet on an invoice."""
    claim = approved(
        nora, cedar_exchange, reviewer=reviewer_user, representation=True, proof=False, now=NOW
    )
    billing.grant_credit(claim.pk, now=NOW)
    claim.refresh_from_db()
    return claim


def rows(response):
    return {row.name: row for row in response.context["page"]}


def test_reseller_sees_each_end_customer_with_claims_by_state_and_credit(
    client, nora, cedar_granted
):
    client.force_login(nora)
    response = client.get(URL)
    assert response.status_code == 200
    by_name = rows(response)
    assert set(by_name) == set(
        Organisation.objects.filter(reseller__name="Northwind IT").values_list("name", flat=True)
    )
    cedar = by_name["Cedar Bakery"]
    assert cedar.n_approved == 1
    assert cedar.n_submitted == 0
    assert cedar.approved == Decimal("1.00")
    assert cedar.granted == Decimal("1.00")
    assert cedar.applied == Decimal("0.00")
    assert cedar.open == Decimal("1.00")
    assert cedar.next_apply_by == cedar_granted.apply_by
    body = response.content.decode()
    assert f'href="/claims/?account={cedar.pk}"' in body
    assert f'href="/billing/credits/?account={cedar.pk}"' in body


def test_applied_credit_is_no_longer_open(client, nora, cedar_granted):
    account = BillingAccount.for_account(cedar_granted.account)
    billing.draft_invoice(account, NOW.date())
    billing.apply_credits(account.pk, now=NOW)
    client.force_login(nora)
    cedar = rows(client.get(URL))["Cedar Bakery"]
    assert (cedar.applied, cedar.open) == (Decimal("1.00"), Decimal("0.00"))
    assert cedar.next_apply_by is None


def test_one_query_for_the_figures_whatever_the_number_of_end_customers(client, nora):
    northwind = Organisation.objects.get(name="Northwind IT")
    client.force_login(nora)
    client.get(URL)  # the session's first request writes it
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    Organisation.objects.bulk_create(
        Organisation(name=f"Shop {n:03d}", kind="customer", reseller=northwind) for n in range(300)
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(many) == len(few)
    page = response.context["page"]
    assert len(page) == 50
    assert page.paginator.count == 303
    assert "Page 1 of 7" in response.content.decode()


def test_sorted_by_open_credit(client, nora, cedar_granted):
    client.force_login(nora)
    first = list(client.get(URL, {"sort": "-open"}).context["page"])[0]
    assert first.name == "Cedar Bakery"
    names = [row.name for row in client.get(URL, {"sort": "name"}).context["page"]]
    assert names == sorted(names)


def test_staff_choose_the_reseller(client, reviewer_user):
    northwind = Organisation.objects.get(name="Northwind IT")
    client.force_login(reviewer_user)
    assert client.get(URL).context["page"] is None
    response = client.get(URL, {"reseller": northwind.pk})
    assert response.context["reseller"] == northwind
    assert client.get(URL, {"reseller": "x"}).status_code == 404


def test_an_agent_cannot_open_another_resellers_overview(client, nora, alice):
    other = Organisation.objects.create(name="Other Reseller", kind="reseller")
    Organisation.objects.create(name="Other Shop", kind="customer", reseller=other)
    client.force_login(nora)
    response = client.get(URL, {"reseller": other.pk})
    assert "Other Shop" not in rows(response)
    client.force_login(alice)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("path", ["/claims/", "/billing/credits/"])
def test_lists_filter_by_end_customer(client, nora, cedar_granted, path):
    cedar = cedar_granted.account
    client.force_login(nora)
    response = client.get(path, {"account": cedar.pk})
    assert response.status_code == 200
    assert cedar_granted.reference in response.content.decode()
    other = Organisation.objects.filter(reseller=cedar.reseller).exclude(pk=cedar.pk).first()
    response = client.get(path, {"account": other.pk})
    assert cedar_granted.reference not in response.content.decode()


@pytest.mark.parametrize("path", ["/claims/", "/billing/credits/"])
@pytest.mark.parametrize("value", ["acme", "x", "999999"])
def test_an_account_outside_the_scope_is_a_clear_400(client, nora, cedar_granted, path, value):
    if value == "acme":
        value = str(Organisation.objects.get(name="Acme Dental").pk)
    client.force_login(nora)
    response = client.get(path, {"account": value})
    assert response.status_code == 400
    body = response.content.decode()
    assert UNKNOWN_ACCOUNT in body
    assert cedar_granted.reference not in body


def test_a_second_resellers_agent_sees_none_of_the_first(client, cedar_granted):
    other = Organisation.objects.create(name="Reseller Two", kind="reseller")
    agent = User.objects.create_user("two@reseller-two.example", PASSWORD)
    Membership.objects.create(user=agent, organisation=other, role=Role.RESELLER_AGENT)
    client.force_login(agent)
    response = client.get("/claims/", {"account": cedar_granted.account_id})
    assert response.status_code == 400
