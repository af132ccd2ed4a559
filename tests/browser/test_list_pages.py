"""The list pages in Chromium: a reviewer finds an account by typing two letters of its name
(the typeahead fills a <datalist>, choosing a name keeps its id) and pages through the queue by
its "next" link; a customer pages through her credits. Screenshots in test-artifacts/."""

import pytest
from playwright.sync_api import expect

from portal.models import Organisation, User
from tests.billing.test_list_pages import grants_for
from tests.browser.test_credits import log_in
from tests.claims.conftest import subscription
from tests.scenarios import many_claims

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_finds_an_account_by_typing_and_pages_the_queue(
    page, portal_url, live_demo, screenshot_dir
):
    many_claims(
        User.objects.get(email="alice@acme-dental.example"),
        subscription("Acme Dental", "email"),
        60,
    )
    many_claims(
        User.objects.get(email="nora@northwind-it.example"),
        subscription("Cedar Bakery", "hosted-exchange"),
        3,
    )
    log_in(page, portal_url, "reviewer1@provider.example")
    page.goto(f"{portal_url}/claims/review/")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(50)
    page.screenshot(path=screenshot_dir / "list-review-queue.png", full_page=True)
    first = rows.first.inner_text()
    page.get_by_test_id("next-page").click()
    expect(rows).to_have_count(13)
    assert rows.first.inner_text() != first

    page.goto(f"{portal_url}/claims/review/")
    account = page.locator("#id_account_name")
    account.press_sequentially("ced")
    option = page.locator("#account-choices option")
    expect(option).to_have_count(1)
    expect(option).to_have_attribute("value", "Cedar Bakery")
    account.fill("Cedar Bakery")
    cedar = Organisation.objects.get(name="Cedar Bakery")
    expect(page.locator("#id_account")).to_have_value(str(cedar.pk))
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(f"{portal_url}/claims/review/?{page.url.split('?')[1]}")
    assert f"account={cedar.pk}" in page.url
    expect(rows).to_have_count(3)
    page.screenshot(path=screenshot_dir / "list-review-queue-filtered.png", full_page=True)


def test_customer_pages_through_her_credits(page, portal_url, live_demo, screenshot_dir):
    alice = User.objects.get(email="alice@acme-dental.example")
    grants_for(alice, subscription("Acme Dental", "email"), 55)
    log_in(page, portal_url, "alice@acme-dental.example")
    page.goto(f"{portal_url}/billing/credits/")
    rows = page.get_by_test_id("credit-row")
    expect(rows).to_have_count(50)
    expect(page.get_by_test_id("credit-totals")).to_contain_text("(all pages)")
    page.screenshot(path=screenshot_dir / "list-credits.png", full_page=True)
    page.get_by_test_id("next-page").click()
    expect(rows).to_have_count(5)
    expect(page.get_by_test_id("first-page")).to_be_visible()
    page.screenshot(path=screenshot_dir / "list-credits-page-2.png", full_page=True)
