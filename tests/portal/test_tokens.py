"""Personal API tokens: made on the account page, shown once, stored hashed, listed with last use,
revoked by their owner, dead on expiry, deactivation or a password change; and API throttles."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import ApiToken
from portal.tokens import create_token

pytestmark = pytest.mark.django_db

QUOTE = {"policy": "groupspark", "monthly_fee": "720.00", "downtime": []}


def api_with(secret, keyword="Token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


def make(user, days=30):
    return create_token(
        user=user, name="billing import", expires_at=timezone.now() + dt.timedelta(days=days)
    )


def test_token_is_created_on_the_account_page_and_shown_once(client, customer):
    client.force_login(customer)
    response = client.post("/account/tokens/", {"name": "billing import", "expires_in_days": "30"})
    assert response.status_code == 302
    page = client.get("/account/").content.decode()
    secret = re.search(r'data-testid="token-secret">([^<]+)<', page).group(1)
    token = ApiToken.objects.get(user=customer)
    # Only the SHA-256 is stored; the page shows the secret this once.
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.expires_at - token.created_at == dt.timedelta(days=30)
    assert secret not in client.get("/account/").content.decode()
    assert api_with(secret).post("/api/v1/quotes/", QUOTE, format="json").status_code == 200


def test_bad_token_form_is_a_field_error_storing_nothing(client, customer):
    client.force_login(customer)
    response = client.post("/account/tokens/", {"name": "", "expires_in_days": "9999"})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
    assert "At most 365 days" in response.content.decode()


def test_bearer_form_is_accepted_and_last_use_is_written_at_most_once_a_minute(customer):
    token, secret = make(customer)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert (
            api_with(secret, "Bearer").post("/api/v1/quotes/", QUOTE, format="json").status_code
            == 200
        )
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        api_with(secret).post("/api/v1/quotes/", QUOTE, format="json")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        api_with(secret).post("/api/v1/quotes/", QUOTE, format="json")
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(seconds=61)


def test_expired_token_is_refused(customer):
    token, secret = make(customer, days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = api_with(secret).post("/api/v1/quotes/", QUOTE, format="json")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_revoked_token_is_refused_and_only_its_owner_can_revoke(client, customer, other_customer):
    token, secret = make(customer)
    client.force_login(other_customer)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    client.force_login(customer)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_with(secret).post("/api/v1/quotes/", QUOTE, format="json").status_code == 401
    assert "revoked" in client.get("/account/").content.decode()


def test_password_change_and_deactivation_kill_tokens(customer, other_customer):
    _, secret = make(customer)
    customer.set_password("a-new-password-2026")
    customer.save()
    assert api_with(secret).post("/api/v1/quotes/", QUOTE, format="json").status_code == 401

    _, other_secret = make(other_customer)
    other_customer.is_active = False
    other_customer.save()
    assert api_with(other_secret).post("/api/v1/quotes/", QUOTE, format="json").status_code == 401


def test_unknown_token_and_malformed_header_are_401(customer):
    assert api_with("sla_nope").post("/api/v1/quotes/", QUOTE, format="json").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert client.post("/api/v1/quotes/", QUOTE, format="json").status_code == 401


def test_token_list_shows_last_use(client, customer):
    token, secret = make(customer)
    api_with(secret).post("/api/v1/quotes/", QUOTE, format="json")
    client.force_login(customer)
    page = client.get("/account/").content.decode()
    assert "billing import" in page
    assert token.prefix in page
    assert "never" not in page.split("billing import")[1].split("</tr>")[0]


# --- throttles ----------------------------------------------------------------------------------


def test_token_over_its_rate_gets_429_with_retry_after(settings, customer):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "3/min",
        },
    }
    _, secret = make(customer)
    _, second = make(customer)
    answers = [api_with(secret).post("/api/v1/quotes/", QUOTE, format="json") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    # Another token of the same person has its own budget.
    assert api_with(second).post("/api/v1/quotes/", QUOTE, format="json").status_code == 200


def test_user_rate_covers_all_of_a_persons_requests(settings, customer):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "2/min",
        },
    }
    client = APIClient()
    client.force_authenticate(customer)
    codes = [client.post("/api/v1/quotes/", QUOTE, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_anonymous_rate_is_per_client_address(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
        },
    }
    # Throttles run after the permission check: the open schema is what anonymous clients reach.
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    codes = [client.get("/api/v1/schema/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    # Without BEHIND_PROXY a forged X-Forwarded-For does not buy a new budget.
    forged = APIClient(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert forged.get("/api/v1/schema/").status_code == 429
    assert APIClient(REMOTE_ADDR="203.0.113.8").get("/api/v1/schema/").status_code == 200


def test_quote_scope_has_its_own_rate(settings, customer):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "quotes": "1/min",
        },
    }
    client = APIClient()
    client.force_authenticate(customer)
    assert client.post("/api/v1/quotes/", QUOTE, format="json").status_code == 200
    assert client.post("/api/v1/quotes/", QUOTE, format="json").status_code == 429
    assert client.get("/api/v1/claims/").status_code == 200
