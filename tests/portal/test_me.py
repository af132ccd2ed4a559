"""GET /api/v1/me/: who the caller is, with its organisations and roles."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.tokens import create_token

pytestmark = pytest.mark.django_db


def test_me_names_the_reseller_agent_and_its_organisation(client, reseller, reseller_org):
    client.force_login(reseller)
    response = client.get(reverse("api-me"))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == reseller.email
    assert body["is_provider_staff"] is False
    assert body["memberships"] == [
        {
            "organisation": reseller_org.pk,
            "organisation_name": reseller_org.name,
            "organisation_kind": "reseller",
            "role": "reseller_agent",
        }
    ]


def test_me_says_a_reviewer_is_provider_staff(client, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("api-me")).json()
    assert body["is_provider_staff"] is True
    assert [m["role"] for m in body["memberships"]] == ["reviewer"]


def test_me_answers_a_token(client, customer, customer_org):
    _, secret = create_token(
        user=customer, name="me", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    response = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200
    assert response.json()["memberships"][0]["organisation"] == customer_org.pk


def test_me_refuses_the_anonymous(client):
    response = client.get(reverse("api-me"))
    assert response.status_code == 401
    assert "email" not in response.json()
