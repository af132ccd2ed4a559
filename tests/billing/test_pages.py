"""The billing pages: an account's credits and invoices (and the invoice as a PDF) scoped to who
asks; the ledger and the month-end run for billing staff only; the admin's read-only ledger."""

import base64
import datetime as dt
import re
import shutil
import subprocess
import time
import zlib
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from kombu.exceptions import OperationalError as KombuOperationalError

from billing import services as billing
from billing.models import BillingAccount, CreditEntry, Invoice, InvoiceStatus
from billing.tasks import run_billing
from billing.views import BAD_CLAIM_REFERENCE, RUN_NOT_QUEUED, RUN_STARTED_KEY
from claims import services as claims
from portal.models import Organisation, User
from tests.claims.conftest import subscription
from tests.scenarios import approved

pytestmark = pytest.mark.django_db

# Filed, approved, granted and drafted at one instant, inside the claim window.
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
TAX_RATE = Decimal("0.0825")


# --- the scenario ------------------------------------------------------------------------------


def approved_claim(user, sub, reviewer, *, representation=False, proof=True):
    return approved(
        user, sub, reviewer=reviewer, representation=representation, proof=proof, now=NOW
    )


def credited_invoice(user, sub, reviewer, **options):
    """An approved claim's credit granted and applied to its payer's draft invoice of the
    cycle containing NOW. The tax rate is set before the invoice is drafted (its lines carry
    the tax)."""
    account = BillingAccount.for_account(sub.organisation)
    account.tax_rate = TAX_RATE
    account.save(update_fields=["tax_rate"])
    claim = approved_claim(user, sub, reviewer, **options)
    billing.grant_credit(claim.pk, now=NOW)
    invoice = billing.draft_invoice(account, NOW.date())
    billing.apply_credits(account.pk, now=NOW)
    return claim, invoice


@pytest.fixture
def alice_credit(alice, acme_email, reviewer_user):
    # 47 min on Acme's e-mail (310.00 a month): 3 complete blocks x 310.00 / 31 days = 30.00.
    return credited_invoice(alice, acme_email, reviewer_user)


@pytest.fixture
def cedar_credit(nora, cedar_exchange, reviewer_user):
    # 47 min on Cedar Bakery's Exchange (720.00): 1 started hour x 720.00 / 720 = 1.00,
    # billed to and credited on its reseller, Northwind IT.
    return credited_invoice(nora, cedar_exchange, reviewer_user, representation=True, proof=False)


@pytest.fixture
def billing_user(demo):
    return User.objects.get(email="billing@provider.example")


@pytest.fixture
def carl(demo):
    return User.objects.get(email="carl@cedar-bakery.example")


def page_as(client, user, url, **data):
    client.force_login(user)
    return client.get(url, data)


def text(response):
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def pdf_text(data):
    """The text a PDF shows: pdftotext where installed, else its page streams, inflated."""
    if shutil.which("pdftotext"):
        return subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\s*endstream", data, re.S):
        if stream.endswith(b"~>"):  # ReportLab's ASCII85 wrapping
            stream = base64.a85decode(re.sub(rb"\s", b"", stream[:-2]))
        try:
            found.append(zlib.decompress(stream))
        except zlib.error:
            found.append(stream)
    return b"\n".join(found).decode("latin-1")


# --- credits -----------------------------------------------------------------------------------


def test_customer_sees_her_credit_with_what_was_applied_and_where(client, alice, alice_credit):
    claim, invoice = alice_credit
    response = page_as(client, alice, "/billing/credits/")
    assert response.status_code == 200
    [grant] = response.context["page"]
    assert (grant.claim, grant.amount, grant.applied, grant.open) == (
        claim,
        Decimal("30.00"),
        Decimal("30.00"),
        Decimal("0.00"),
    )
    assert response.context["totals"]["amount"] == Decimal("30.00")
    page = text(response)
    # claim, account, service, month, granted, applied and where, carried, paid out, reversed,
    # open, apply-by (received 2026-03-20: by the end of the next cycle).
    assert (
        f"{claim.reference} Acme Dental Email March 2026 30.00 30.00 30.00 on Draft of 2026-03-01 "
        "0.00 0.00 0.00 0.00 2026-04-30" in page
    )
    html = response.content.decode()
    assert f'href="/claims/{claim.pk}/"' in html
    assert f'href="/billing/invoices/{invoice.pk}/"' in html


def test_other_customer_sees_none_of_her_credits(client, bob, alice_credit):
    claim, _ = alice_credit
    response = page_as(client, bob, "/billing/credits/")
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert claim.reference not in response.content.decode()
    assert "No credits yet" in text(response)


def test_reseller_agent_sees_end_customers_credit_on_its_billing(client, nora, cedar_credit):
    claim, invoice = cedar_credit
    assert invoice.billing_account.organisation.name == "Northwind IT"
    response = page_as(client, nora, "/billing/credits/")
    [grant] = response.context["page"]
    assert (grant.claim, grant.account.name, grant.amount, grant.applied) == (
        claim,
        "Cedar Bakery",
        Decimal("1.00"),
        Decimal("1.00"),
    )
    assert f'href="/billing/invoices/{invoice.pk}/"' in response.content.decode()
    assert page_as(client, nora, f"/billing/invoices/{invoice.pk}/").status_code == 200


def test_end_customer_sees_its_credit_but_not_its_resellers_invoice(client, carl, cedar_credit):
    claim, invoice = cedar_credit
    response = page_as(client, carl, "/billing/credits/")
    assert [grant.claim for grant in response.context["page"]] == [claim]
    assert "1.00 on Northwind IT's invoice" in text(response)
    assert f'href="/billing/invoices/{invoice.pk}/"' not in response.content.decode()
    assert page_as(client, carl, f"/billing/invoices/{invoice.pk}/").status_code == 404


def test_credit_carried_past_a_small_fee_stays_open(client, alice, alice_credit, acme_email):
    claim, invoice = alice_credit
    # A further 300.00 on the same e-mail line: only 310.00 - 30.00 = 280.00 fits the fee.
    grant = CreditEntry.objects.get(claim=claim, kind=CreditEntry.Kind.GRANTED)
    bigger = CreditEntry.objects.create(
        kind=CreditEntry.Kind.GRANTED,
        key="grant:test-carried",
        claim=claim,
        account=grant.account,
        billing_account=grant.billing_account,
        subscription=acme_email,
        service_month=dt.date(2026, 2, 1),
        amount=Decimal("300.00"),
        at=NOW,
        reason="Test grant",
    )
    billing.apply_credits(invoice.billing_account_id, now=NOW)
    response = page_as(client, alice, "/billing/credits/")
    rows = {row.pk: row for row in response.context["page"]}
    assert (rows[bigger.pk].applied, rows[bigger.pk].carried, rows[bigger.pk].open) == (
        Decimal("280.00"),
        Decimal("20.00"),
        Decimal("20.00"),
    )
    assert response.context["totals"]["open"] == Decimal("20.00")
    detail = text(page_as(client, alice, f"/billing/invoices/{invoice.pk}/"))
    assert f"20.00 of the credit for {claim.reference} did not fit this invoice" in detail


# --- invoices ----------------------------------------------------------------------------------


def test_invoice_shows_fee_tax_before_credit_credit_and_total(client, alice, alice_credit):
    claim, invoice = alice_credit
    listing = page_as(client, alice, "/billing/invoices/")
    assert [row[0] for row in listing.context["rows"]] == [invoice]
    response = page_as(client, alice, f"/billing/invoices/{invoice.pk}/")
    assert response.status_code == 200
    page = text(response)
    # Acme's fees: e-mail 310.00, VoIP 450.00, backup 93.00 = 853.00. Tax at 8.25 % on each fee
    # before credit: 25.575 -> 25.58, 37.125 -> 37.13, 7.6725 -> 7.67 = 70.38. The 30.00 credit
    # comes off the e-mail fee only: 310.00 + 25.58 - 30.00 = 305.58 on that line; the invoice
    # is 853.00 + 70.38 - 30.00 = 893.38.
    assert f"Email - Acme Dental 310.00 25.58 -30.00 for {claim.reference} 305.58" in page
    assert "VoIP - Acme Dental 450.00 37.13 — 487.13" in page
    assert (
        "Fees 853.00 Tax (on the fees before credit) 70.38 Credits applied -30.00 "
        "Total 893.38 Paid 0.00 Balance due 893.38" in page
    )
    assert f"{claim.reference} Acme Dental Email March 2026 30.00 Total credit 30.00" in page
    assert invoice.totals()["total"] == Decimal("893.38")


def test_invoice_pdf_is_an_attachment_with_its_credit_note(client, alice, alice_credit):
    claim, invoice = alice_credit
    response = page_as(client, alice, f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="draft-invoice-{invoice.billing_account_id:05d}-20260301.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    shown = pdf_text(response.content)
    assert claim.reference in shown
    assert "Credit note" in shown
    assert "893.38" in shown and "70.38" in shown


def test_issued_invoice_pdf_is_named_by_its_number(client, alice, alice_credit):
    _, invoice = alice_credit
    invoice = billing.issue_invoice(invoice, now=NOW)
    response = page_as(client, alice, f"/billing/invoices/{invoice.pk}/pdf/")
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert invoice.number in pdf_text(response.content)


def test_other_customer_gets_404_on_her_invoice_and_its_pdf(client, bob, alice_credit):
    _, invoice = alice_credit
    client.force_login(bob)
    assert client.get(f"/billing/invoices/{invoice.pk}/").status_code == 404
    assert client.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 404
    assert client.get("/billing/invoices/").context["rows"] == []


def test_billing_pages_need_a_login(client):
    response = client.get("/billing/credits/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- the ledger (billing staff) ----------------------------------------------------------------


def test_billing_staff_read_the_whole_ledger_newest_first(
    client, billing_user, alice_credit, cedar_credit
):
    alice_claim, _ = alice_credit
    cedar_claim, _ = cedar_credit
    response = page_as(client, billing_user, "/billing/ledger/")
    assert response.status_code == 200
    entries = list(response.context["page"])
    assert entries == list(CreditEntry.objects.order_by("-at", "-pk"))
    assert [(e.claim, e.kind) for e in entries] == [
        (cedar_claim, "applied"),
        (cedar_claim, "granted"),
        (alice_claim, "applied"),
        (alice_claim, "granted"),
    ]


def test_ledger_filters_by_kind_account_and_claim(client, billing_user, alice_credit, cedar_credit):
    alice_claim, _ = alice_credit
    cedar_claim, _ = cedar_credit
    client.force_login(billing_user)

    def shown(**query):
        return [(e.claim, e.kind) for e in client.get("/billing/ledger/", query).context["page"]]

    assert shown(kind="granted") == [(cedar_claim, "granted"), (alice_claim, "granted")]
    northwind = Organisation.objects.get(name="Northwind IT")
    # A reseller's entries are its end customers' credits on its billing.
    assert shown(account=northwind.pk) == [(cedar_claim, "applied"), (cedar_claim, "granted")]
    assert shown(claim=alice_claim.reference, kind="applied") == [(alice_claim, "applied")]
    assert shown(claim=str(alice_claim.pk)) == [(alice_claim, "applied"), (alice_claim, "granted")]


def test_ledger_says_when_nothing_matches(client, billing_user, alice_credit):
    response = page_as(client, billing_user, "/billing/ledger/", kind="paid_out")
    assert list(response.context["page"]) == []
    assert "No ledger entries match the filter." in text(response)


def test_ledger_refuses_a_filter_it_cannot_read(client, billing_user, alice_credit):
    response = page_as(client, billing_user, "/billing/ledger/", claim="the big one")
    assert response.status_code == 400
    assert response.context["page"] is None
    assert BAD_CLAIM_REFERENCE in response.content.decode()


def test_ledger_pages(client, billing_user, alice_credit):
    first = page_as(client, billing_user, "/billing/ledger/", kind="", page_size=1)
    cursor = first.context["page"].next_cursor
    assert cursor
    response = page_as(client, billing_user, "/billing/ledger/", kind="", page_size=1, after=cursor)
    assert [e.pk for e in response.context["page"]] != [e.pk for e in first.context["page"]]
    assert response.context["page"].next_cursor is None
    assert "First page" in text(response)


# --- the month-end run (billing staff) ---------------------------------------------------------


def test_billing_staff_start_the_run_after_commit(
    client, billing_user, django_capture_on_commit_callbacks
):
    client.force_login(billing_user)
    with mock.patch.object(run_billing, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post("/billing/run/")
        assert response.status_code == 302
        delay.assert_not_called()  # not before the transaction commits
        assert len(callbacks) == 1
        callbacks[0]()  # the commit
        delay.assert_called_once_with()
    assert client.session[RUN_STARTED_KEY]
    page = text(client.get("/billing/run/"))
    assert "Month-end billing run started at" in page
    assert "You started a run at" in page


@pytest.mark.django_db(transaction=True)
def test_run_that_cannot_be_queued_says_so(client, billing_clerk):
    client.force_login(billing_clerk)
    with mock.patch.object(run_billing, "delay", side_effect=KombuOperationalError("down")):
        response = client.post("/billing/run/", follow=True)
    assert RUN_NOT_QUEUED in text(response)
    assert RUN_STARTED_KEY not in client.session


def test_run_progress_reports_counts_from_the_data(
    client, billing_user, alice_credit, bob, reviewer_user
):
    # An approval whose grant has not been written yet: what the run must still do.
    approved_claim(bob, subscription("Birch Legal", "email"), reviewer_user)
    response = page_as(client, billing_user, "/billing/run/progress/")
    assert response.status_code == 200
    progress = response.context["progress"]
    assert progress["invoices"] == [
        ("Draft", "draft", 1),
        ("Issued", "issued", 0),
        ("Paid", "paid", 0),
        ("Overdue", "overdue", 0),
    ]
    assert (
        progress["grants"],
        progress["open_credit"],
        progress["applied_credit"],
        progress["awaiting_grant"],
    ) == (1, Decimal("0.00"), Decimal("30.00"), 1)
    page = page_as(client, billing_user, "/billing/run/")
    assert "Approved claims awaiting a grant 1" in text(page)
    assert 'hx-trigger="every 2s"' in page.content.decode()


def test_run_page_lists_a_correction_to_more_for_staff_to_credit(
    client, billing_user, alice_credit, settings
):
    response = page_as(client, billing_user, "/billing/run/")
    assert re.search(r"<title>Billing run[^<]*</title>", response.content.decode())
    assert "Every approval so far was granted in full." in text(response)
    settings.APPROVAL_SECOND_REVIEWER_ABOVE = Decimal("1000.00")
    claim = CreditEntry.objects.get(kind="granted").claim
    second = User.objects.get(email="reviewer2@provider.example")
    claims.approve(claim=claim, by=second, amount=Decimal("45.00"), reason="Goodwill.")
    billing.grant_credit(claim.pk)  # 30.00 stays granted: one grant per claim and month
    page = text(page_as(client, billing_user, "/billing/run/"))
    assert f"{claim.reference} Acme Dental 2 (a correction) 45.00 30.00 15.00" in page


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (make test sets it)")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_run_started_from_the_page_runs_on_a_worker(client, live_demo, celery_worker):
    alice = User.objects.get(email="alice@acme-dental.example")
    reviewer = User.objects.get(email="reviewer1@provider.example")
    clerk = User.objects.get(email="billing@provider.example")
    claim = approved_claim(alice, subscription("Acme Dental", "email"), reviewer)
    client.force_login(clerk)
    assert client.post("/billing/run/").status_code == 302

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = client.get("/billing/run/progress/").context["progress"]
        if progress["applied_credit"] == Decimal("30.00"):
            break
        time.sleep(0.5)
    # The worker granted the claim and put it on Acme's draft invoice of the current cycle.
    assert progress["applied_credit"] == Decimal("30.00")
    assert (progress["grants"], progress["awaiting_grant"]) == (1, 0)
    invoice = Invoice.objects.get(billing_account__organisation__name="Acme Dental")
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.totals()["credits"] == Decimal("30.00")
    assert CreditEntry.objects.filter(claim=claim).count() == 2


@pytest.mark.parametrize(
    "url", ["/billing/ledger/", "/billing/run/", "/billing/run/progress/"], ids=str
)
def test_customer_and_reviewer_get_404_on_staff_pages(client, alice, reviewer_user, url):
    for user in (alice, reviewer_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    with mock.patch.object(run_billing, "delay") as delay:
        assert client.post("/billing/run/").status_code == 404
    delay.assert_not_called()


# --- navigation and admin ----------------------------------------------------------------------


def test_navigation_names_the_billing_pages_per_role(client, alice, nora, billing_user):
    for user, shown, hidden in [
        (alice, ["Credits", "Invoices"], ["Ledger", "Billing run"]),
        (nora, ["Credits", "Invoices"], ["Ledger", "Billing run"]),
        (billing_user, ["Ledger", "Billing run"], ["Credits"]),
    ]:
        client.force_login(user)
        home = client.get("/").content.decode()
        nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', home, re.S).group(1)
        links = re.findall(r">([^<]+)</a>", nav)
        assert set(shown) <= set(links), (user, links)
        assert not set(hidden) & set(links), (user, links)


def test_admin_ledger_is_read_only(client, alice_credit):
    admin = User.objects.get(email="admin@provider.example")
    client.force_login(admin)
    entry = CreditEntry.objects.get(kind=CreditEntry.Kind.GRANTED)
    assert client.get("/admin/billing/creditentry/").status_code == 200
    assert client.get("/admin/billing/creditentry/add/").status_code == 403
    change = client.get(f"/admin/billing/creditentry/{entry.pk}/change/")
    assert change.status_code == 200
    assert 'name="amount"' not in change.content.decode()  # shown, not editable
    assert client.get(f"/admin/billing/creditentry/{entry.pk}/delete/").status_code == 403


def test_admin_records_a_payment_through_the_service(client, alice_credit):
    _, invoice = alice_credit
    invoice = billing.issue_invoice(invoice, now=NOW)
    client.force_login(User.objects.get(email="admin@provider.example"))
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 200
    response = client.post(
        "/admin/billing/payment/add/",
        {
            "invoice": invoice.pk,
            "amount": "893.38",
            "received_at_0": "2026-04-02",
            "received_at_1": "10:00:00",
            "reference": "Bank transfer 7781",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert [(p.amount, p.reference) for p in invoice.payments.all()] == [
        (Decimal("893.38"), "Bank transfer 7781")
    ]
