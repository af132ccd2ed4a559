"""A customer never reaches another account's claims or proof; a reseller agent reaches only
its own end customers'; staff see all. Pages and API alike."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from claims import services
from portal.models import User
from tests.claims.conftest import END, START, upload

pytestmark = pytest.mark.django_db


def file(user, subscription, *, representation=False):
    claim = services.save_draft(
        by=user,
        data=services.ClaimInput(
            subscriptions=(subscription,),
            period_start=START,
            period_end=END,
            basis="Down.",
            representation=representation,
        ),
    )
    proof = services.attach_proof(claim=claim, by=user, uploaded=upload(), declared_kind="ping")
    return claim, proof


@pytest.fixture
def acme_claim(alice, acme_email):
    return file(alice, acme_email)


@pytest.fixture
def cedar_claim(nora, cedar_exchange):
    return file(nora, cedar_exchange, representation=True)


def claim_urls(claim, proof):
    return [
        reverse("claims:detail", args=[claim.pk]),
        reverse("claims:edit", args=[claim.pk]),
        reverse("claims:proof-download", args=[claim.pk, proof.pk]),
        f"/api/v1/claims/{claim.pk}/",
        f"/api/v1/claims/{claim.pk}/proofs/{proof.pk}/",
    ]


def claim_posts(claim):
    return [
        reverse("claims:submit", args=[claim.pk]),
        reverse("claims:withdraw", args=[claim.pk]),
        reverse("claims:proof-upload", args=[claim.pk]),
        f"/api/v1/claims/{claim.pk}/submit/",
        f"/api/v1/claims/{claim.pk}/withdraw/",
        f"/api/v1/claims/{claim.pk}/proofs/",
    ]


def test_customer_cannot_reach_another_customers_claim(client, bob, acme_claim):
    claim, proof = acme_claim
    client.force_login(bob)
    for url in claim_urls(claim, proof) + claim_posts(claim):
        response = client.post(url) if url in claim_posts(claim) else client.get(url)
        assert response.status_code == 404, url
    listing = client.get(reverse("claims:list")).content.decode()
    assert claim.reference not in listing
    api = APIClient()
    api.force_authenticate(bob)
    assert api.get("/api/v1/claims/").json()["results"] == []
    claim.refresh_from_db()
    assert claim.state == "draft"


def test_reseller_reaches_only_its_end_customers(client, nora, acme_claim, cedar_claim):
    acme, acme_proof = acme_claim
    cedar, cedar_proof = cedar_claim
    client.force_login(nora)
    for url in claim_urls(acme, acme_proof):
        assert client.get(url).status_code == 404, url
    for url in claim_urls(cedar, cedar_proof):
        assert client.get(url).status_code == 200, url
    api = APIClient()
    api.force_authenticate(nora)
    assert [c["id"] for c in api.get("/api/v1/claims/").json()["results"]] == [cedar.pk]


def test_end_customer_member_sees_its_own_claim_filed_by_the_reseller(client, cedar_claim):
    cedar, _ = cedar_claim
    client.force_login(User.objects.get(email="carl@cedar-bakery.example"))
    assert client.get(reverse("claims:detail", args=[cedar.pk])).status_code == 200


def test_reviewer_sees_every_claim_but_cannot_act_as_claimant(
    client, reviewer_user, acme_claim, cedar_claim
):
    client.force_login(reviewer_user)
    listing = client.get(reverse("claims:list")).content.decode()
    assert acme_claim[0].reference in listing and cedar_claim[0].reference in listing
    response = client.post(reverse("claims:withdraw", args=[acme_claim[0].pk]))
    assert response.status_code == 403


def test_anonymous_is_refused(client, acme_claim):
    claim, proof = acme_claim
    for url in claim_urls(claim, proof)[:3]:
        assert client.get(url).status_code == 302
    assert APIClient().get("/api/v1/claims/").status_code in (401, 403)


def test_proof_is_served_only_as_a_private_download(client, alice, acme_claim):
    claim, proof = acme_claim
    client.force_login(alice)
    response = client.get(reverse("claims:proof-download", args=[claim.pk, proof.pk]))
    assert response["Content-Type"] == "text/plain"
    assert (
        response["Content-Disposition"]
        == "attachment; filename=\"ping.txt\"; filename*=UTF-8''ping.txt"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(ValueError, match="no public URL"):
        proof.file.url  # noqa: B018 - the property itself must refuse
