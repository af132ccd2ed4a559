"""/api/v1/credits/ and /api/v1/invoices/ (with the PDF): scoped per persona, filtered by end
customer and state, in the schema."""

import pytest

from portal.models import User
from tests.billing.test_pages import credited_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_credit(alice, acme_email, reviewer_user):
    return credited_invoice(alice, acme_email, reviewer_user)  # 30.00 on Acme's invoice


@pytest.fixture
def cedar_credit(nora, cedar_exchange, reviewer_user):
    return credited_invoice(nora, cedar_exchange, reviewer_user, representation=True, proof=False)


@pytest.fixture
def billing_user(demo):
    return User.objects.get(email="billing@provider.example")


@pytest.fixture
def carl(demo):
    return User.objects.get(email="carl@cedar-bakery.example")


def rows(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_credits_are_scoped_per_persona(
    client, alice, bob, nora, carl, billing_user, alice_credit, cedar_credit
):
    alice_claim, _ = alice_credit
    cedar_claim, _ = cedar_credit
    assert [r["claim"] for r in rows(client, alice, "/api/v1/credits/")] == [alice_claim.pk]
    assert rows(client, bob, "/api/v1/credits/") == []
    assert [r["claim"] for r in rows(client, nora, "/api/v1/credits/")] == [cedar_claim.pk]
    assert [r["claim"] for r in rows(client, carl, "/api/v1/credits/")] == [cedar_claim.pk]
    assert {r["claim"] for r in rows(client, billing_user, "/api/v1/credits/")} == {
        alice_claim.pk,
        cedar_claim.pk,
    }
    [row] = rows(client, alice, "/api/v1/credits/")
    assert (row["granted"], row["applied"], row["open"], row["status"]) == (
        "30.00",
        "30.00",
        "0.00",
        "applied",
    )


def test_credits_filter_by_end_customer_and_state(
    client, nora, billing_user, alice_credit, cedar_credit
):
    cedar_claim, _ = cedar_credit
    cedar = cedar_claim.account_id
    assert [r["claim"] for r in rows(client, nora, "/api/v1/credits/", account=cedar)] == [
        cedar_claim.pk
    ]
    assert rows(client, billing_user, "/api/v1/credits/", state="granted") == []
    assert len(rows(client, billing_user, "/api/v1/credits/", state="applied")) == 2
    # Another party's account, or a state that does not exist: 400 by field.
    alice_claim, _ = alice_credit
    response = client.get("/api/v1/credits/", {"account": alice_claim.account_id})
    assert response.status_code == 200  # billing staff see every account
    client.force_login(nora)
    response = client.get("/api/v1/credits/", {"account": alice_claim.account_id})
    assert response.status_code == 400 and "account" in response.json()
    response = client.get("/api/v1/credits/", {"state": "lost"})
    assert response.status_code == 400 and "state" in response.json()


def test_invoices_are_scoped_and_the_pdf_is_a_pdf(
    client, alice, bob, nora, billing_user, alice_credit, cedar_credit
):
    _, alice_invoice = alice_credit
    _, cedar_invoice = cedar_credit
    [mine] = rows(client, alice, "/api/v1/invoices/")
    assert (mine["id"], mine["credits"]) == (alice_invoice.pk, "30.00")
    assert [r["id"] for r in rows(client, nora, "/api/v1/invoices/")] == [cedar_invoice.pk]
    assert rows(client, bob, "/api/v1/invoices/") == []
    assert len(rows(client, billing_user, "/api/v1/invoices/")) == 2
    assert [
        r["id"]
        for r in rows(
            client,
            nora,
            "/api/v1/invoices/",
            account=cedar_invoice.lines.first().subscription.organisation_id,
        )
    ] == [cedar_invoice.pk]

    client.force_login(alice)
    response = client.get(mine["pdf_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.force_login(bob)
    assert client.get(mine["pdf_url"]).status_code == 404
    assert client.get(f"/api/v1/invoices/{alice_invoice.pk}/").status_code == 404


def test_credits_and_invoices_are_in_the_schema(client, alice):
    client.force_login(alice)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/credits/", "/api/v1/invoices/", "/api/v1/invoices/{id}/pdf/"):
        assert path in schema["paths"]
    assert "400" in schema["paths"]["/api/v1/credits/"]["get"]["responses"]
    claim = schema["components"]["schemas"]["Claim"]["properties"]
    assert "credit_status" in claim
