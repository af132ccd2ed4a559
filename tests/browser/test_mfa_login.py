"""A reviewer enrols an authenticator in Chromium and logs in with a code computed from the
secret the page showed; no page on the way breaks the Content Security Policy."""

import base64
import time

import pytest
from django_otp.oath import hotp
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(secret, at):
    return f"{hotp(base64.b32decode(secret), int(at) // 30):06d}"


def test_reviewer_enrols_totp_and_logs_in_with_a_code(
    page, portal_url, live_demo, settings, screenshot_dir
):
    settings.STAFF_MFA_REQUIRED = True
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    page.goto(f"{portal_url}/claims/review/")
    page.get_by_label("E-mail").fill("reviewer1@provider.example")
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from your authenticator").fill(code_for(secret, time.time()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("recovery-codes")).to_be_visible()
    expect(page.get_by_test_id("mfa-state")).to_have_text("On")
    page.screenshot(path=screenshot_dir / "mfa-enrolled.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("E-mail").fill("reviewer1@provider.example")
    page.get_by_label("Password").fill("demo-credit-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    # The next 30-second step's code: the one just used at enrolment is not accepted twice.
    page.get_by_label("Code").fill(code_for(secret, time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review")
    expect(page.get_by_test_id("who")).to_contain_text("reviewer1@provider.example")
    page.goto(f"{portal_url}/claims/review/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations == []
