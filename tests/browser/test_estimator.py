"""A customer types an outage and watches the estimate update, without submitting."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_estimate_updates_while_typing(page, portal_url, live_demo, screenshot_dir):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill("alice@acme-dental.example")
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation").get_by_role("link", name="Credit estimator").click()

    page.get_by_label("Subscription").select_option(
        label="Acme Dental - Email (OnePointSync SLA, 310.00 USD)"
    )
    outage = page.get_by_test_id("outage-1")
    outage.get_by_label("Start").fill("2026-03-10T12:00")
    outage.get_by_label("End").fill("2026-03-10T12:47")
    # 47 min -> 3 complete 15-minute blocks x 310.00 / 31 days = 30.00
    expect(page.get_by_test_id("credit")).to_have_text("30.00 USD")
    expect(page.get_by_test_id("breakdown")).to_contain_text("3 complete 15-minute blocks")
    page.screenshot(path=screenshot_dir / "estimator.png", full_page=True)

    outage.get_by_label("End").fill("2026-03-10T11:00")
    expect(page.get_by_test_id("estimate")).to_contain_text("The end must be after the start.")
