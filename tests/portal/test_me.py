"""GET /api/v1/me/: who the caller is, with its organisations and roles."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

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
    token = Token.objects.create(user=customer)
    response = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["memberships"][0]["organisation"] == customer_org.pk


def test_me_refuses_the_anonymous(client):
    response = client.get(reverse("api-me"))
    assert response.status_code in (401, 403)
    assert "email" not in response.json()
