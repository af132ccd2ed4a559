"""TOTP second factor with recovery codes (required for staff, optional for customers) and the
recent re-authentication that approving a credit needs."""

import base64
import datetime as dt
import re
import time
from urllib.parse import unquote

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from claims import services
from portal.tokens import create_token
from tests.claims.conftest import END, START, upload
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_MFA_REQUIRED = True
    settings.RECENT_AUTH_MINUTES = 15


def code_for(secret_b32, at=None):
    key = base64.b32decode(secret_b32)
    # RFC 6238: HOTP of the 30-second step number, as any authenticator app computes it.
    return f"{hotp(key, int(at or time.time()) // 30):06d}"


def log_in(client, user):
    return client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})


def enrol(client):
    page = client.get("/accounts/mfa/enrol/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', page).group(1)
    response = client.post("/accounts/mfa/enrol/", {"code": code_for(secret)})
    assert response.status_code == 302, response.content.decode()[-800:]
    codes = re.findall(r"<li><code>([^<]+)</code></li>", client.get("/account/").content.decode())
    return secret, codes


def test_staff_without_a_second_factor_must_set_one_up(client, reviewer, mfa_on):
    log_in(client, reviewer)
    response = client.get("/claims/review/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/enrol/")
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/review-queue/").status_code == 403


def test_staff_rule_can_be_turned_off_for_trials(client, reviewer, settings):
    settings.STAFF_MFA_REQUIRED = False
    log_in(client, reviewer)
    assert client.get("/claims/review/").status_code == 200


def test_customer_may_work_without_one(client, customer, mfa_on):
    log_in(client, customer)
    assert client.get("/claims/").status_code == 200


def test_enrol_then_log_in_with_a_code(client, reviewer, mfa_on):
    log_in(client, reviewer)
    secret, codes = enrol(client)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=reviewer).confirmed
    assert client.get("/claims/review/").status_code == 200

    client.post("/accounts/logout/")
    log_in(client, reviewer)
    assert client.get("/claims/review/")["Location"].startswith("/accounts/mfa/verify/")
    wrong = client.post("/accounts/mfa/verify/", {"code": "000000"})
    assert wrong.status_code == 400
    # After django-otp's back-off for the wrong code, the next step's code (one the device has
    # not seen yet).
    later = time.time() + 5
    with time_machine.travel(later, tick=False):
        ok = client.post(
            "/accounts/mfa/verify/",
            {"code": code_for(secret, later + 30), "next": "/claims/review/"},
        )
    assert ok.status_code == 302 and ok["Location"] == "/claims/review/"
    assert client.get("/claims/review/").status_code == 200


def test_recovery_code_works_once(client, customer, mfa_on):
    log_in(client, customer)
    _, codes = enrol(client)
    for attempt in range(2):
        client.post("/accounts/logout/")
        log_in(client, customer)
        response = client.post("/accounts/mfa/verify/", {"code": codes[0]})
        assert response.status_code == (302 if attempt == 0 else 400)
    assert StaticToken.objects.filter(device__user=customer).count() == 9


def test_customer_can_turn_it_off_staff_cannot(client, customer, reviewer, mfa_on):
    log_in(client, customer)
    enrol(client)
    client.post("/account/mfa/disable/")
    assert not TOTPDevice.objects.filter(user=customer).exists()

    client.post("/accounts/logout/")
    log_in(client, reviewer)
    enrol(client)
    client.post("/account/mfa/disable/")
    assert TOTPDevice.objects.filter(user=reviewer).exists()


def test_open_redirect_is_refused_after_verify(client, customer, mfa_on):
    log_in(client, customer)
    secret, _ = enrol(client)
    client.post("/accounts/logout/")
    log_in(client, customer)
    response = client.post(
        "/accounts/mfa/verify/",
        {"code": code_for(secret, time.time() + 30), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


# --- recent re-authentication before approving money ---------------------------------------------


def test_needs_recent_auth_reads_the_session(rf, reviewer, settings):
    from portal.auth import needs_recent_auth  # noqa: PLC0415

    settings.RECENT_AUTH_MINUTES = 15
    request = rf.post("/")
    request.session = {}
    assert needs_recent_auth(request)
    request.session["auth_at"] = timezone.now().timestamp()
    assert not needs_recent_auth(request)
    request.session["auth_at"] = (timezone.now() - dt.timedelta(minutes=16)).timestamp()
    assert needs_recent_auth(request)


def test_approve_page_sends_a_stale_session_to_reauth_and_back(client, reviewer, mfa_on):
    log_in(client, reviewer)
    secret, _ = enrol(client)
    later = timezone.now() + dt.timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        response = client.post("/claims/1/review/approve/", {"approve-reason": "x"})
        assert response.status_code == 302
        assert unquote(response["Location"]) == "/accounts/reauth/?next=/claims/1/review/"
        page = client.get(response["Location"])
        assert "Code" in page.content.decode()
        missing_code = client.post(
            "/accounts/reauth/", {"password": PASSWORD, "next": "/claims/1/review/"}
        )
        assert missing_code.status_code == 400
        back = client.post(
            "/accounts/reauth/",
            {
                "password": PASSWORD,
                "code": code_for(secret, later.timestamp() + 30),
                "next": "/claims/1/review/",
            },
        )
        assert back.status_code == 302 and back["Location"] == "/claims/1/review/"
        assert client.session["auth_at"] == pytest.approx(later.timestamp())


def test_api_approve_needs_recent_auth_for_sessions_not_tokens(
    client, alice, acme_email, reviewer_user, settings
):
    settings.RECENT_AUTH_MINUTES = 15
    filed_at = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
    with time_machine.travel(filed_at, tick=False):
        claim = services.file_claim(
            by=alice,
            data=services.ClaimInput(
                subscriptions=(acme_email,),
                period_start=START,
                period_end=END,
                basis="Down.",
                representation=False,
            ),
            uploads=[(upload(), "ping")],
        )
        client.post(
            "/accounts/login/", {"username": reviewer_user.email, "password": "demo-credit-2026"}
        )
        _, secret = create_token(
            user=reviewer_user, name="ci", expires_at=filed_at + dt.timedelta(days=1)
        )
    url = f"/api/v1/claims/{claim.pk}/approve/"
    with time_machine.travel(filed_at + dt.timedelta(minutes=20), tick=False):
        stale = client.post(url, {}, content_type="application/json")
        assert stale.status_code == 403
        assert "Enter your password again" in stale.json()["detail"]
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        assert api.post(url, {}, format="json").status_code == 201


def test_token_creation_needs_recent_auth_and_staff_mfa(client, reviewer, mfa_on):
    log_in(client, reviewer)
    # Without a second factor the account page itself sends staff to enrol.
    assert client.post("/account/tokens/", {"name": "x", "expires_in_days": "5"})[
        "Location"
    ].startswith("/accounts/mfa/enrol/")
    enrol(client)
    later = timezone.now() + dt.timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        response = client.post("/account/tokens/", {"name": "x", "expires_in_days": "5"})
        assert response["Location"].startswith("/accounts/reauth/")
