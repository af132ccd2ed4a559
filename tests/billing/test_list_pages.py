"""The billing list pages a page at a time: credits (totals over every visible grant from one
aggregate query, each row's balances grouped for the page), the ledger and invoices (totals
annotated, not read per invoice), the billing staff's home. Keyset pages: the "next" link
carries the last row's sort key; no row twice, none lost; queries per page do not grow with
its size; 150 KB at most at 50 rows."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest

from billing.models import BillingAccount, CreditEntry, CreditKind, Invoice, InvoiceLine, Payment
from claims.models import ClaimState
from portal.models import Organisation, User
from tests.claims.conftest import subscription
from tests.scenarios import many_claims

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
MAX_QUERIES = 14
MAX_PAGE_BYTES = 150_000
NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next"')


def walk(client, path, **params):
    """Follow the "next" links from the first page: the rows of every page."""
    pages = []
    response = client.get(path, params)
    while True:
        assert response.status_code == 200
        pages.append(list(response.context["page"]))
        link = NEXT_LINK.search(response.content.decode())
        if link is None:
            return pages
        response = client.get(path + unescape(link.group(1)))


def entry(kind, grant, amount, at, **extra):
    return CreditEntry.objects.create(
        kind=kind,
        key=f"{kind}-{grant.pk}-{at.isoformat()}-{amount}",
        claim=grant.claim,
        account=grant.account,
        billing_account=grant.billing_account,
        subscription=grant.subscription,
        service_month=grant.service_month,
        grant=grant,
        amount=Decimal(amount),
        at=at,
        reason="test",
        **extra,
    )


def grants_for(user, sub, count):
    """`count` grants on claims of `sub`, pairs of them written at one instant, with carried,
    paid-out and reversed movements on some."""
    billing_account = BillingAccount.for_account(sub.organisation)
    grants = []
    for n, claim in enumerate(many_claims(user, sub, count, state=ClaimState.APPROVED)):
        at = AT + dt.timedelta(minutes=n // 2)
        grant = CreditEntry.objects.create(
            kind=CreditKind.GRANTED,
            key=f"granted-{claim.pk}",
            claim=claim,
            account=sub.organisation,
            billing_account=billing_account,
            subscription=sub,
            service_month=dt.date(2026, 3, 1),
            amount=Decimal("10.00") + n,
            at=at,
            reason="test",
        )
        if n % 2:
            entry(CreditKind.CARRIED, grant, "4.00", at + dt.timedelta(hours=1))
            entry(CreditKind.CARRIED, grant, "3.00", at + dt.timedelta(hours=2))
        if n % 3 == 0:
            entry(CreditKind.PAID_OUT, grant, "2.50", at + dt.timedelta(hours=3))
        if n % 4 == 0:
            entry(CreditKind.REVERSED, grant, "1.25", at + dt.timedelta(hours=4))
        grants.append(grant)
    return grants


def expected_balances(grant):
    movements = CreditEntry.objects.filter(grant=grant)

    def total(kind):
        return sum((m.amount for m in movements if m.kind == kind), Decimal("0.00"))

    carried = movements.filter(kind=CreditKind.CARRIED).order_by("-at", "-pk").first()
    spent = total(CreditKind.APPLIED) + total(CreditKind.PAID_OUT) + total(CreditKind.REVERSED)
    return {
        "applied": total(CreditKind.APPLIED),
        "carried": carried.amount if carried else Decimal("0.00"),
        "paid_out": total(CreditKind.PAID_OUT),
        "reversed": total(CreditKind.REVERSED),
        "open": grant.amount - spent,
    }


@pytest.fixture
def acme_grants(alice, acme_email):
    return grants_for(alice, acme_email, 23)


@pytest.fixture
def cedar_grants(nora, cedar_exchange):
    return grants_for(nora, cedar_exchange, 7)


@pytest.fixture
def billing_user(demo):
    return User.objects.get(email="billing@provider.example")


# --- credits -----------------------------------------------------------------------------------


def test_credits_pages_show_every_grant_once_with_its_balances(client, alice, acme_grants):
    client.force_login(alice)
    pages = walk(client, "/billing/credits/", page_size=5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [grant for page in pages for grant in page]
    ordered = sorted(acme_grants, key=lambda g: (g.at, g.pk), reverse=True)
    assert [g.pk for g in seen] == [g.pk for g in ordered]
    for grant in seen:
        shown = {name: getattr(grant, name) for name in expected_balances(grant)}
        assert shown == expected_balances(grant), grant.pk


def test_credit_totals_cover_every_visible_grant_not_just_the_page(
    client, alice, nora, acme_grants, cedar_grants
):
    client.force_login(alice)
    totals = client.get("/billing/credits/", {"page_size": 3}).context["totals"]
    balances = [expected_balances(g) for g in acme_grants]
    assert totals == {
        "amount": sum(g.amount for g in acme_grants),
        **{name: sum(b[name] for b in balances) for name in balances[0]},
    }
    client.force_login(nora)
    totals = client.get("/billing/credits/").context["totals"]
    assert totals["amount"] == sum(g.amount for g in cedar_grants)


def test_reseller_pages_only_its_end_customers_credits(client, nora, acme_grants, cedar_grants):
    client.force_login(nora)
    seen = [g.pk for page in walk(client, "/billing/credits/", page_size=3) for g in page]
    assert sorted(seen) == sorted(g.pk for g in cedar_grants)


@pytest.mark.parametrize("size", [5, 20])
def test_credits_queries_do_not_grow_with_the_page(
    client, alice, acme_grants, size, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/billing/credits/", {"page_size": size})
    assert len(response.context["page"].rows) == size


def test_credits_page_of_fifty_is_under_150_kb(client, alice, acme_email):
    grants_for(alice, acme_email, 55)
    client.force_login(alice)
    response = client.get("/billing/credits/")
    assert len(response.context["page"].rows) == 50
    assert len(response.content) < MAX_PAGE_BYTES


def test_credits_refuse_a_broken_page_link(client, alice, acme_grants):
    client.force_login(alice)
    response = client.get("/billing/credits/", {"after": "garbage!"})
    assert response.status_code == 400
    assert "start again from the first page" in response.content.decode()


# --- the ledger --------------------------------------------------------------------------------


def test_ledger_pages_every_entry_once_newest_first(client, billing_user, acme_grants):
    client.force_login(billing_user)
    seen = [e.pk for page in walk(client, "/billing/ledger/", page_size=7) for e in page]
    expected = CreditEntry.objects.order_by("-at", "-pk").values_list("pk", flat=True)
    assert seen == list(expected)


@pytest.mark.parametrize("size", [5, 20])
def test_ledger_queries_do_not_grow_with_the_page(
    client, billing_user, acme_grants, size, django_assert_max_num_queries
):
    client.force_login(billing_user)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/billing/ledger/", {"page_size": size})
    assert len(response.context["page"].rows) == size


def test_ledger_searches_accounts_by_name_and_lists_none(
    client, billing_user, acme_grants, cedar_grants
):
    for n in range(30):
        Organisation.objects.create(name=f"Quiet customer {n}", kind=Organisation.Kind.CUSTOMER)
    client.force_login(billing_user)
    html = client.get("/billing/ledger/").content.decode()
    assert "Quiet customer" not in html
    cedar = [e.pk for page in walk(client, "/billing/ledger/", account_name="cedar") for e in page]
    assert set(cedar) == set(
        CreditEntry.objects.filter(account__name="Cedar Bakery").values_list("pk", flat=True)
    )
    # The reseller's name finds its end customers' entries, billed to it.
    northwind = client.get("/billing/ledger/", {"account_name": "northwind", "page_size": 100})
    assert {e.pk for e in northwind.context["page"]} == set(cedar)


def test_ledger_page_of_fifty_is_under_150_kb(client, billing_user, alice, acme_email):
    grants_for(alice, acme_email, 30)
    client.force_login(billing_user)
    response = client.get("/billing/ledger/")
    assert len(response.context["page"].rows) == 50
    assert len(response.content) < MAX_PAGE_BYTES


# --- invoices ----------------------------------------------------------------------------------


@pytest.fixture
def acme_invoices(demo, acme_grants):
    acme_email = subscription("Acme Dental", "email")
    account = BillingAccount.for_account(acme_email.organisation)
    invoices = []
    for n in range(12):
        start = dt.date(2025 + n // 12, n % 12 + 1, 1)
        end = dt.date(2025 + (n + 1) // 12, (n + 1) % 12 + 1, 1)
        invoice = Invoice.objects.create(billing_account=account, cycle_start=start, cycle_end=end)
        line = InvoiceLine.objects.create(
            invoice=invoice,
            subscription=acme_email,
            description="E-mail",
            amount=Decimal("310.00"),
            tax=Decimal("25.58"),
        )
        if n % 2:
            entry(
                CreditKind.APPLIED, acme_grants[n], "1.10", AT, invoice=invoice, invoice_line=line
            )
        if n % 3:
            Payment.objects.create(invoice=invoice, amount=Decimal("100.00"))
        invoices.append(invoice)
    return invoices


def test_invoices_page_with_the_totals_each_invoice_states(client, alice, acme_invoices):
    client.force_login(alice)
    seen = []
    response = client.get("/billing/invoices/", {"page_size": 5})
    while True:
        rows = response.context["rows"]
        for invoice, totals in rows:
            assert totals == Invoice.objects.get(pk=invoice.pk).totals()
        seen += [invoice.pk for invoice, _ in rows]
        link = NEXT_LINK.search(response.content.decode())
        if link is None:
            break
        response = client.get("/billing/invoices/" + unescape(link.group(1)))
    assert sorted(seen) == sorted(i.pk for i in acme_invoices)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("size", [3, 10])
def test_invoices_queries_do_not_grow_with_the_page(
    client, alice, acme_invoices, size, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/billing/invoices/", {"page_size": size})
    assert len(response.context["rows"]) == size


def test_other_customer_pages_none_of_acmes_invoices(client, bob, acme_invoices):
    client.force_login(bob)
    assert client.get("/billing/invoices/").context["rows"] == []


# --- the billing staff's home ------------------------------------------------------------------


def test_billing_home_lists_accounts_a_page_at_a_time(client, billing_user):
    for n in range(30):
        Organisation.objects.create(name=f"Account {n:02d}", kind=Organisation.Kind.CUSTOMER)
    client.force_login(billing_user)
    response = client.get("/")
    page = response.context["page"]
    assert len(page.rows) == 20 and page.next_cursor
    seen = [o.pk for o in walk(client, "/")[0]]
    assert len(seen) == 20
    customers = Organisation.objects.customers().count()
    total = sum(len(p) for p in walk(client, "/", page_size=7))
    assert total == customers
