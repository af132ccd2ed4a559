"""A customer opens Credits in Chromium, sees the credit granted for her approved claim and
follows it to the invoice it was applied to."""

import pytest
from playwright.sync_api import expect

from portal.models import User
from tests.billing.test_pages import credited_invoice
from tests.claims.conftest import subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, portal_url, email):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()


def test_customer_follows_her_credit_to_its_invoice(page, portal_url, live_demo, screenshot_dir):
    claim, invoice = credited_invoice(
        User.objects.get(email="alice@acme-dental.example"),
        subscription("Acme Dental", "email"),
        User.objects.get(email="reviewer1@provider.example"),
    )

    log_in(page, portal_url, "alice@acme-dental.example")
    page.get_by_role("navigation").get_by_role("link", name="Credits").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Credits")
    row = page.get_by_test_id("credit-row").filter(has_text=claim.reference)
    # 47 min on the e-mail service: 3 complete blocks x 310.00 / 31 days = 30.00, all applied.
    expect(row.get_by_test_id("granted")).to_have_text("30.00")
    expect(row.get_by_test_id("applied")).to_contain_text("30.00 on")
    expect(row.get_by_test_id("open")).to_have_text("0.00")
    page.screenshot(path=screenshot_dir / "credits.png", full_page=True)

    row.get_by_role("link", name="Draft of 2026-03-01").click()
    expect(page).to_have_url(f"{portal_url}/billing/invoices/{invoice.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft invoice")
    email_line = page.get_by_test_id("invoice-line").filter(has_text="Email - Acme Dental")
    expect(email_line.get_by_test_id("line-tax")).to_have_text("25.58")
    expect(email_line.get_by_test_id("line-credits")).to_contain_text(
        f"-30.00 for {claim.reference}"
    )
    # 853.00 fees + 70.38 tax on them - 30.00 credit.
    expect(page.get_by_test_id("total")).to_have_text("893.38")
    page.screenshot(path=screenshot_dir / "credit-invoice.png", full_page=True)
