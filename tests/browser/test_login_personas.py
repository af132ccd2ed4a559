"""Each demo persona logs in through the real login page in Chromium and lands home."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSONAS = [
    ("admin@provider.example", "Administration"),
    ("reviewer1@provider.example", "Review"),
    ("billing@provider.example", "Billing"),
    ("alice@acme-dental.example", "Your account"),
    ("nora@northwind-it.example", "Northwind IT: your end customers"),
]


def test_each_persona_logs_in_and_sees_its_home(page, portal_url, live_demo, screenshot_dir):
    for email, heading in PERSONAS:
        page.goto(f"{portal_url}/")
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill("demo-credit-2026")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_test_id("who")).to_contain_text(email)
        page.screenshot(path=screenshot_dir / f"home-{email.split('@')[0]}.png", full_page=True)
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_wrong_password_shows_an_error(page, portal_url, live_demo):
    page.goto(f"{portal_url}/accounts/login/")
    page.get_by_label("E-mail").fill("alice@acme-dental.example")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_contain_text("correct email and password")
