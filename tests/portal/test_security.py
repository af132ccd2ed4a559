"""Login lockout on both logins, headers (CSP, no-store, HSTS in production), the client address
behind a proxy, the password-reset limit, session timeouts and body size."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from portal.auth import client_ip
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def fail_login(client, email, url="/accounts/login/", times=1):
    responses = []
    for _ in range(times):
        responses.append(client.post(url, {"username": email, "password": "wrong-password"}))
    return responses


# --- lockout ------------------------------------------------------------------------------------


def test_portal_login_locks_after_five_failures_and_says_until_when(client, customer, caplog):
    fail_login(client, customer.email, times=4)
    [locked] = fail_login(client, customer.email)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "You may try again at" in text and "UTC" in text
    # The right password does not help while locked.
    right = client.post("/accounts/login/", {"username": customer.email, "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert any("login failure" in r.getMessage().lower() for r in caplog.records)


def test_lockout_ends_after_the_cool_off(client, customer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_login(client, customer.email, times=5)
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        ok = client.post("/accounts/login/", {"username": customer.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_admin_login_is_locked_too(client, reviewer):
    responses = fail_login(client, reviewer.email, url="/admin/login/", times=5)
    assert responses[-1].status_code == 429
    right = client.post("/admin/login/", {"username": reviewer.email, "password": PASSWORD})
    assert right.status_code == 429


def test_one_address_is_locked_across_accounts(client, customer, other_customer):
    for n in range(5):
        client.post("/accounts/login/", {"username": f"nobody{n}@x.example", "password": "x"})
    right = client.post("/accounts/login/", {"username": customer.email, "password": PASSWORD})
    assert right.status_code == 429


def test_staff_unlock_by_deleting_the_attempts(client, customer):
    fail_login(client, customer.email, times=5)
    assert AccessAttempt.objects.filter(username=customer.email).exists()
    # What the admin's "Access attempts" delete action does.
    AccessAttempt.objects.filter(username=customer.email).delete()
    ok = client.post("/accounts/login/", {"username": customer.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_admin_lists_access_attempts_for_unlocking(client, customer, settings):
    from portal.models import User  # noqa: PLC0415

    admin = User.objects.create_superuser("root@provider.example", PASSWORD)
    fail_login(client, customer.email, times=5)
    client.force_login(admin)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert customer.email in page.content.decode()


# --- the client address ---------------------------------------------------------------------------


def test_client_address_ignores_forwarded_for_without_a_proxy(settings):
    settings.BEHIND_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.5"


def test_client_address_behind_a_proxy_is_what_the_proxy_saw(settings):
    settings.BEHIND_PROXY = True
    settings.PROXY_COUNT = 1
    # The client sent a forged first entry; the proxy appended the real address.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "203.0.113.9"


# --- headers ------------------------------------------------------------------------------------


def test_html_pages_carry_a_csp_without_unsafe_inline(client, customer):
    client.force_login(customer)
    for url in ["/", "/claims/", "/account/", "/sla/estimate/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        html = response.content.decode()
        # Nothing inline that the policy would block.
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        assert '"includeIndicatorStyles": false' in html


def test_authenticated_pages_are_no_store(client, customer):
    client.force_login(customer)
    assert "no-store" in client.get("/").get("Cache-Control", "")
    assert "no-store" in client.get("/claims/").get("Cache-Control", "")


def _subprocess(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3x-9Pq_Zr7vB2mW8nL4tY6uJ1hG5fD0sA-eC3oI7yT2rE9wQ8zX4",
    "ALLOWED_HOSTS": "credits.example.com",
    "DATABASE_URL": "sqlite:////tmp/portal-deploy-check.sqlite3",
}


def test_check_deploy_passes_with_production_settings():
    result = _subprocess("check", "--deploy", **PRODUCTION)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    # The one security warning left is a choice (HSTS preload), listed in README.
    assert re.findall(r"security\.W\d+", report) == ["security.W021"], report


@pytest.mark.parametrize(
    "key",
    ["dev-only-insecure-key-set-SECRET_KEY-in-production", "change-me-to-a-long-random-string"],
)
def test_production_refuses_published_keys(key):
    result = _subprocess("check", **{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]


def test_compose_refuses_to_start_without_a_secret_key():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${SECRET_KEY:?" in text
    assert "change-me-in-dot-env" not in text


def test_proxy_header_is_trusted_only_behind_a_proxy():
    shown = (
        "from django.conf import settings; "
        "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    alone = _subprocess("shell", "-c", shown, **PRODUCTION)
    assert alone.stdout.strip().splitlines()[-1] == "None", alone.stderr
    proxied = _subprocess("shell", "-c", shown, **PRODUCTION, BEHIND_PROXY="true")
    assert "HTTP_X_FORWARDED_PROTO" in proxied.stdout, proxied.stderr


# --- password reset -------------------------------------------------------------------------------


def test_password_reset_is_limited_per_address_asked_for(client, customer):
    answers = [
        client.post("/accounts/password_reset/", {"email": customer.email}) for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    assert "at most 3 an hour" in answers[-1].content.decode()


def test_password_reset_limit_does_not_reveal_accounts(client):
    answers = [
        client.post("/accounts/password_reset/", {"email": "nobody@x.example"}) for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert len(mail.outbox) == 0


def test_password_reset_is_limited_per_client_address(client, customer, other_customer):
    for n in range(3):
        client.post("/accounts/password_reset/", {"email": f"n{n}@x.example"})
    answer = client.post("/accounts/password_reset/", {"email": customer.email})
    assert answer.status_code == 429
    assert len(mail.outbox) == 0


# --- sessions -----------------------------------------------------------------------------------


def test_idle_session_is_logged_out(client, customer, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(customer)
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        assert client.get("/").status_code == 200  # activity moves the deadline on
    with time_machine.travel(start + dt.timedelta(minutes=45), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=80), tick=False):
        response = client.get("/claims/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_session_has_an_absolute_age(client, customer, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    settings.SESSION_MAX_AGE_HOURS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(customer)
    for minutes in range(20, 101, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=125), tick=False):
        assert client.get("/").status_code == 302


# --- body size ----------------------------------------------------------------------------------


def test_json_body_over_the_limit_is_413_on_any_api(client, customer):
    client.force_login(customer)
    response = client.post(
        "/api/v1/claims/", data=b"{" + b" " * (5 * 1024 * 1024), content_type="application/json"
    )
    assert response.status_code == 413
    assert "5,242,880 bytes" in response.json()["detail"]
