"""A reviewer settles a groupSPARK claim with an Exception on part of it and approves it in
Chromium; the reseller agent who filed it sees the decision and its reason."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from claims import services
from portal.models import User
from tests.claims.conftest import subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "The customer's own circuit was down 19:00-20:00 UTC (an Exception); the rest counts."


def log_in(page, portal_url, email):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()


def test_reviewer_tags_an_exception_and_approves(page, portal_url, live_demo, screenshot_dir):
    nora = User.objects.get(email="nora@northwind-it.example")
    claim = services.file_claim(
        by=nora,
        data=services.ClaimInput(
            subscriptions=(subscription("Cedar Bakery", "hosted-exchange"),),
            period_start=dt.datetime(2026, 3, 10, 19, 0, tzinfo=dt.UTC),
            period_end=dt.datetime(2026, 3, 10, 21, 30, tzinfo=dt.UTC),
            basis="Exchange unreachable for all Cedar Bakery mailboxes.",
            representation=True,
        ),
    )

    log_in(page, portal_url, "reviewer1@provider.example")
    # The home page loads the claims due first.
    expect(page.get_by_test_id("queue-top")).to_contain_text(claim.reference)
    page.get_by_role("navigation").get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    row = page.get_by_test_id("queue-row").filter(has_text=claim.reference)
    # 2 h 30 min of downtime: 3 started hours x 720.00 / 720 = 3.00.
    expect(row.get_by_test_id("queue-estimate")).to_have_text("3.00")
    page.screenshot(path=screenshot_dir / "review-queue.png", full_page=True)
    row.get_by_role("link", name=claim.reference).click()

    expect(page.get_by_test_id("claim-state")).to_have_text("Submitted")
    expect(page.get_by_test_id("engine-credit")).to_have_text("3.00")
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_test_id("claim-state")).to_have_text("Under review")

    # Split the claimed period: the first hour was the customer's circuit (an Exception).
    page.get_by_label("Interval 1 end (UTC)", exact=True).fill("2026-03-10T20:00:00")
    page.get_by_label("Interval 1 Exception", exact=True).select_option("customer-circuit")
    page.get_by_label("Interval 1 reason", exact=True).fill("Carrier ticket 4411: CPE down.")
    page.get_by_label("Interval 2 start (UTC)", exact=True).fill("2026-03-10T20:00:00")
    page.get_by_label("Interval 2 end (UTC)", exact=True).fill("2026-03-10T21:30:00")
    page.get_by_label("Why this settlement").fill("Carrier confirmed the circuit fault.")
    page.screenshot(path=screenshot_dir / "review-settle.png", full_page=True)
    page.get_by_role("button", name="Settle and recompute").click()

    # Left: 20:00-21:30 = 1 h 30 min, 2 started hours x 720.00 / 720 = 2.00.
    expect(page.get_by_test_id("engine-credit")).to_have_text("2.00")
    expect(page.locator(".messages")).to_contain_text("the engine's credit is now 2.00")
    expect(page.get_by_label("Credit to approve")).to_have_value("2.00")
    page.get_by_label("Reason (required when the amount differs").fill(REASON)
    page.get_by_role("button", name="Approve", exact=True).click()

    expect(page.get_by_test_id("claim-state")).to_have_text("Approved")
    expect(page.get_by_test_id("decisions")).to_contain_text(REASON)
    page.screenshot(path=screenshot_dir / "review-approved.png", full_page=True)
    page.get_by_role("button", name="Log out").click()

    log_in(page, portal_url, "nora@northwind-it.example")
    page.goto(f"{portal_url}/claims/{claim.pk}/")
    expect(page.get_by_test_id("claim-state")).to_have_text("Approved")
    expect(page.get_by_test_id("decision")).to_contain_text("Approved")
    expect(page.get_by_test_id("decision-amount")).to_have_text("2.00")
    expect(page.get_by_test_id("decision-reason")).to_have_text(REASON)
    page.screenshot(path=screenshot_dir / "review-claimant-sees-decision.png", full_page=True)
