"""A reseller agent opens the overview of its end customers in Chromium, sorts it by open
credit, and follows an end customer's row to its claims and its credits, filtered to it, with
no Content Security Policy violation on the way."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from billing import services as billing
from portal.models import User
from tests.claims.conftest import subscription
from tests.scenarios import approved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)


def log_in(page, portal_url, email):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()


def test_reseller_overview_and_end_customer_filter(page, portal_url, live_demo, screenshot_dir):
    claim = approved(
        User.objects.get(email="nora@northwind-it.example"),
        subscription("Cedar Bakery", "hosted-exchange"),
        reviewer=User.objects.get(email="reviewer1@provider.example"),
        representation=True,
        proof=False,
        now=NOW,
    )
    billing.grant_credit(claim.pk, now=NOW)
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message),
    )

    log_in(page, portal_url, "nora@northwind-it.example")
    page.goto(f"{portal_url}/billing/resellers/overview/")
    expect(page.get_by_role("heading", level=1)).to_have_text("End customers of Northwind IT")
    page.get_by_role("link", name="open credit, largest first").click()
    first = page.get_by_test_id("overview-row").first
    expect(first.get_by_test_id("name")).to_have_text("Cedar Bakery")
    expect(first.get_by_test_id("approved")).to_have_text("1.00")
    expect(first.get_by_test_id("open")).to_have_text("1.00")
    expect(first.get_by_test_id("apply-by")).to_have_text(claim.apply_by.isoformat())
    page.screenshot(path=screenshot_dir / "reseller-overview.png", full_page=True)

    first.get_by_test_id("claims-link").click()
    expect(page).to_have_url(f"{portal_url}/claims/?account={claim.account_id}")
    rows = page.get_by_test_id("claim-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(claim.reference)

    page.go_back()
    page.get_by_test_id("overview-row").first.get_by_test_id("credits-link").click()
    expect(page.get_by_test_id("credit-row")).to_have_count(1)
    expect(page.get_by_test_id("credit-row").first).to_contain_text("Cedar Bakery")

    page.goto(f"{portal_url}/claims/?account=999999")
    expect(page.get_by_test_id("filter-error")).to_contain_text("Unknown account")
    assert violations == []
