"""API errors are JSON whatever happens: a database that is gone (503 with Retry-After), a bug
(500, logged), an unknown address (404), not logged in (401); impossible dates are 400 by field
and store nothing; DRF's 413 and 429 pass through unchanged."""

import logging

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from rest_framework import exceptions
from rest_framework.test import APIClient

from claims import services
from claims.api import exception_handler
from claims.models import Claim, Settlement
from portal import api
from tests.claims.conftest import END, START, upload
from tests.helpers import free_port

pytestmark = pytest.mark.django_db


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def claim_payload(subscription, **changes):
    return {
        "subscriptions": [subscription.pk],
        "period_start": "2026-03-10T12:00:00-07:00",
        "period_end": "2026-03-10T12:47:00-07:00",
        "basis": "Mail was down.",
        **changes,
    }


@pytest.mark.postgres_only
def test_lost_database_is_json_503_with_retry_after(transactional_db, customer):
    client = Client(raise_request_exception=False)
    client.force_login(customer)
    saved = dict(connection.settings_dict)
    connection.close()
    # Nothing listens there: every query of this request fails to connect.
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        response = client.get("/api/v1/claims/")
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": api.DATABASE_GONE}
    assert response["Retry-After"] == str(api.RETRY_AFTER_SECONDS)


def test_unhandled_error_is_json_500_and_logged(alice, acme_email, monkeypatch, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    draft = client.post("/api/v1/claims/", claim_payload(acme_email), "application/json").json()

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "submit_claim", broken)
    with caplog.at_level(logging.ERROR, logger="portal.api"):
        response = client.post(f"/api/v1/claims/{draft['id']}/submit/")
    assert response.status_code == 500
    assert response.json() == {"detail": api.SERVER_ERROR}
    assert "a bug" in caplog.text


def test_errors_outside_any_view_are_json_under_api():
    request = RequestFactory().get("/api/v1/claims/")
    try:
        raise OperationalError("the server closed the connection")
    except OperationalError:
        # Django calls handler500 while the exception is being handled, like this.
        gone = api.server_error(request)
    try:
        raise RuntimeError("a bug in a middleware")
    except RuntimeError:
        bug = api.server_error(request)
        page = api.server_error(RequestFactory().get("/claims/"))
    assert (gone.status_code, gone["Retry-After"]) == (503, str(api.RETRY_AFTER_SECONDS))
    assert bug.status_code == 500 and bug["Content-Type"] == "application/json"
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_unknown_api_address_is_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": api.NOT_FOUND}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_not_logged_in_is_401_with_a_challenge():
    response = APIClient().get("/api/v1/claims/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_refusal_to_the_wrong_side_is_403_with_its_message(alice, acme_email, reviewer_user):
    draft = api_for(alice).post("/api/v1/claims/", claim_payload(acme_email), format="json")
    response = api_for(reviewer_user).post(f"/api/v1/claims/{draft.json()['id']}/withdraw/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the account's own people can change its claim."}


@pytest.mark.parametrize(
    ("field", "value"),
    [("period_end", "2026-02-30T12:47:00-07:00"), ("period_start", "2026-03-10T12:99:00-07:00")],
)
def test_impossible_date_on_filing_is_400_naming_the_field(alice, acme_email, field, value):
    response = api_for(alice).post(
        "/api/v1/claims/", claim_payload(acme_email, **{field: value}), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "does not exist" in response.json()[field][0]
    assert Claim.objects.count() == 0


def test_impossible_date_on_settle_is_400_naming_the_field(alice, acme_email, reviewer_user):
    claim = services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(acme_email,),
            period_start=START,
            period_end=END,
            basis="Down.",
        ),
        uploads=[(upload(), "ping")],
    )
    response = api_for(reviewer_user).post(
        f"/api/v1/claims/{claim.pk}/settle/",
        {"intervals": [{"start": "2026-02-30T19:00:00Z", "end": "2026-03-10T19:30:00Z"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["intervals"]["0"]["start"][0]
    assert Settlement.objects.count() == 0


def test_throttled_and_too_large_pass_through_unchanged():
    class TooLarge(exceptions.APIException):
        status_code = 413
        default_detail = "The body is over 1 MB."

    throttled = exception_handler(exceptions.Throttled(wait=7), {})
    too_large = exception_handler(TooLarge(), {})
    assert (throttled.status_code, throttled["Retry-After"]) == (429, "7")
    assert (too_large.status_code, too_large.data) == (413, {"detail": "The body is over 1 MB."})
