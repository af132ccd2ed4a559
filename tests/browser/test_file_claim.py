"""A customer files a claim with a proof file in Chromium and sees it submitted."""

import pytest
from playwright.sync_api import expect

from tests.claims.conftest import ping_log

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, portal_url, email):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()


def test_customer_files_a_claim_with_proof(
    page, portal_url, live_demo, screenshot_dir, tmp_path, settings
):
    log = tmp_path / "ping-acme.txt"
    log.write_bytes(ping_log())
    log_in(page, portal_url, "alice@acme-dental.example")
    page.get_by_role("navigation").get_by_role("link", name="File a claim").click()
    page.get_by_label("Acme Dental - Email (OnePointSync SLA, 310.00 USD)").check()
    page.get_by_label("Timezone of the times you enter").select_option("America/Phoenix")
    page.get_by_label("Outage start").fill("2026-03-10T12:00")
    page.get_by_label("Outage end").fill("2026-03-10T12:47")
    # The live estimate: 47 min -> 3 complete 15-minute blocks x 310.00 / 31 days = 30.00
    expect(page.get_by_test_id("estimate-total")).to_have_text("30.00")
    page.get_by_label("What happened").fill("Outlook could not connect; webmail timed out.")
    page.get_by_label("Proof file 1").set_input_files(str(log))
    page.screenshot(path=screenshot_dir / "claim-form.png", full_page=True)
    page.get_by_role("button", name="Submit claim").click()

    expect(page.get_by_test_id("claim-state")).to_have_text("Submitted")
    expect(page.get_by_test_id("period-policy")).to_contain_text("2026-03-10 12:00:00")
    expect(page.get_by_test_id("evidence")).to_contain_text("ping")
    expect(page.get_by_test_id("timeline")).to_be_visible()
    page.screenshot(path=screenshot_dir / "claim-submitted.png", full_page=True)

    page.get_by_role("navigation").get_by_role("link", name="Claims").click()
    expect(page.get_by_test_id("claim-row")).to_contain_text("Submitted")


def test_refusal_is_shown_next_to_the_field(page, portal_url, live_demo):
    log_in(page, portal_url, "nora@northwind-it.example")
    page.get_by_role("navigation").get_by_role("link", name="File a claim").click()
    page.get_by_label(
        "Cedar Bakery - Hosted MS Exchange (groupSPARK Reseller SLA, 720.00 USD)"
    ).check()
    page.get_by_label("Outage start").fill("2026-03-10T19:00")
    page.get_by_label("Outage end").fill("2026-03-10T19:47")
    page.get_by_label("What happened").fill("Exchange down.")
    page.get_by_role("button", name="Submit claim").click()
    expect(page.locator(".errorlist")).to_contain_text("Tick the representation")
