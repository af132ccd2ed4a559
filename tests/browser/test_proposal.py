"""A reviewer accepts the proposed settlement in one step in Chromium: the settlement is
exactly the proposal (its intervals, its credit), with the reason "accepted the proposal"."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from claims import services
from claims.models import Settlement
from portal.models import User
from tests.claims.conftest import END, START, ping_log, subscription, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT_FROM = START + dt.timedelta(minutes=5)
OUT_TO = START + dt.timedelta(minutes=25)


def log_in(page, portal_url, email):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()


def test_reviewer_accepts_the_proposal_in_one_step(page, portal_url, live_demo, screenshot_dir):
    alice = User.objects.get(email="alice@acme-dental.example")
    claim = services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(subscription("Acme Dental", "email"),),
            period_start=START,
            period_end=END,
            basis="Mail down; our ping log shows it.",
        ),
        uploads=[(upload("ping.txt", ping_log(start=OUT_FROM, end=OUT_TO)), "ping")],
    )
    proposed = services.proposal_for(claim)

    log_in(page, portal_url, "reviewer1@provider.example")
    page.goto(f"{portal_url}/claims/{claim.pk}/review/")
    proposal = page.get_by_test_id("proposal")
    expect(proposal.get_by_test_id("proposal-row")).to_have_count(1)
    expect(proposal.get_by_test_id("proposal-row")).to_contain_text("ping.txt, lines 6-45")
    expect(proposal.get_by_test_id("proposal-credit")).to_have_text(str(proposed.credit))
    page.screenshot(path=screenshot_dir / "review-proposal.png", full_page=True)

    page.get_by_test_id("accept-proposal").click()

    expect(page.locator(".messages")).to_contain_text("saved from the proposal")
    expect(page.get_by_test_id("engine-credit")).to_have_text(str(proposed.credit))
    settlement = Settlement.objects.get(claim=claim)
    assert settlement.reason == "accepted the proposal"
    assert [(i["start"], i["end"]) for i in settlement.intervals] == [
        (OUT_FROM.isoformat(), OUT_TO.isoformat())
    ]
    assert settlement.credit == proposed.credit
