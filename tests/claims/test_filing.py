"""Filing a claim through the pages and the API: what works, and each refusal, with nothing
stored when refused."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from claims import messages
from claims.models import Claim, ClaimEvent, ClaimState, Proof
from portal.models import Organisation
from tests.claims.conftest import END, START, ping_log, stored_files, subscription, upload

pytestmark = pytest.mark.django_db
NEW = reverse("claims:new")


def form_data(
    subscriptions,
    *,
    start="2026-03-10T12:00",
    end="2026-03-10T12:47",
    tz="America/Phoenix",
    basis="Mail was down; Outlook could not connect.",
    representation=False,
    files=(),
    submit=True,
):
    data = {
        "subscriptions": [s.pk for s in subscriptions],
        "timezone": tz,
        "period_start": start,
        "period_end": end,
        "basis": basis,
        "proof-TOTAL_FORMS": "3",
        "proof-INITIAL_FORMS": "0",
        "proof-MIN_NUM_FORMS": "0",
        "proof-MAX_NUM_FORMS": "10",
    }
    if representation:
        data["representation"] = "on"
    for index, (file, kind) in enumerate(files):
        data[f"proof-{index}-file"] = file
        data[f"proof-{index}-kind"] = kind
    data["submit" if submit else "draft"] = "1"
    return data


def test_customer_files_a_claim_with_proof(client, alice, acme_email, mailoutbox):
    client.force_login(alice)
    # America/Phoenix is UTC-07:00 all year: 12:00-12:47 there is 19:00-19:47 UTC.
    response = client.post(NEW, form_data([acme_email], files=[(upload(), "")]))
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:detail", args=[claim.pk])
    assert claim.state == ClaimState.SUBMITTED
    assert (claim.period_start, claim.period_end) == (START, END)
    assert claim.entered_timezone == "America/Phoenix"
    assert claim.policy_version.policy.slug == "onepointsync"
    assert list(claim.lines.values_list("subscription", "live")) == [(acme_email.pk, True)]
    proof = claim.proofs.get()
    assert proof.kind == "ping" and proof.read
    assert proof.file.name.startswith("proofs/") and "ping" not in proof.file.name
    assert [e.action for e in claim.events.all()] == ["created", "proof_added", "submitted"]
    assert stored_files() == [proof.file.name]


def test_draft_is_saved_and_finished_later(client, alice, acme_email):
    client.force_login(alice)
    client.post(NEW, form_data([acme_email], submit=False))
    claim = Claim.objects.get()
    assert claim.state == ClaimState.DRAFT
    assert not claim.lines.get().live
    edit = reverse("claims:edit", args=[claim.pk])
    page = client.get(edit)
    assert page.context["form"].initial["period_start"] == dt.datetime(2026, 3, 10, 12, 0)
    response = client.post(edit, form_data([acme_email], files=[(upload(), "ping")]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED
    assert claim.proofs.count() == 1


def test_reseller_files_for_an_end_customer(client, nora, cedar_exchange):
    client.force_login(nora)
    response = client.post(
        NEW,
        form_data(
            [cedar_exchange],
            tz="UTC",
            start="2026-03-10T19:00",
            end="2026-03-10T19:47",
            representation=True,
        ),
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.account.name == "Cedar Bakery"
    assert claim.filed_by == nora
    assert claim.state == ClaimState.SUBMITTED


def refused_by_form(client, user, data, field, message):
    client.force_login(user)
    claims, events, proofs = (
        Claim.objects.count(),
        ClaimEvent.objects.count(),
        Proof.objects.count(),
    )
    response = client.post(NEW, data)
    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors.get(field, []) if field else form.non_field_errors()
    assert message in errors or message in response.context["proof_errors"], form.errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert (Claim.objects.count(), ClaimEvent.objects.count(), Proof.objects.count()) == (
        claims,
        events,
        proofs,
    )
    assert stored_files() == []


def test_account_not_in_good_standing_is_refused(client, alice, acme_email):
    Organisation.objects.filter(name="Acme Dental").update(standing=Organisation.Standing.OVERDUE)
    message = messages.NOT_IN_GOOD_STANDING.format(
        account="Acme Dental", standing="overdue", policy="OnePointSync SLA"
    )
    refused_by_form(client, alice, form_data([acme_email], files=[(upload(), "")]), None, message)


def test_overlap_with_a_live_claim_is_refused(client, alice, acme_email):
    client.force_login(alice)
    client.post(NEW, form_data([acme_email], files=[(upload(), "")]))
    first = Claim.objects.get()
    stored = stored_files()
    message = messages.OVERLAP.format(
        subscription="Email",
        other=first.reference,
        start="2026-03-10 19:00 UTC",
        end="2026-03-10 19:47 UTC",
    )
    client.force_login(alice)
    response = client.post(
        NEW,
        form_data(
            [acme_email], start="2026-03-10T12:30", end="2026-03-10T13:30", files=[(upload(), "")]
        ),
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors["period_start"]
    assert Claim.objects.count() == 1
    assert stored_files() == stored


def test_overlap_with_a_withdrawn_claim_is_allowed(client, alice, acme_email):
    client.force_login(alice)
    client.post(NEW, form_data([acme_email], files=[(upload(), "")]))
    first = Claim.objects.get()
    client.post(reverse("claims:withdraw", args=[first.pk]), {"reason": "Filed twice"})
    response = client.post(NEW, form_data([acme_email], files=[(upload(), "")]))
    assert response.status_code == 302
    assert Claim.objects.filter(state=ClaimState.SUBMITTED).count() == 1


def test_touching_periods_do_not_overlap(client, alice, acme_email):
    client.force_login(alice)
    client.post(NEW, form_data([acme_email], files=[(upload(), "")]))
    response = client.post(
        NEW,
        form_data(
            [acme_email], start="2026-03-10T12:47", end="2026-03-10T13:10", files=[(upload(), "")]
        ),
    )
    assert response.status_code == 302
    assert Claim.objects.count() == 2


def test_future_period_is_refused(client, alice, acme_email):
    refused_by_form(
        client,
        alice,
        form_data(
            [acme_email], start="2030-01-01T10:00", end="2030-01-01T11:00", files=[(upload(), "")]
        ),
        "period_end",
        messages.PERIOD_IN_FUTURE,
    )


def test_outside_the_claim_window_is_refused(client, alice, acme_email):
    version = acme_email.policy.versions.get()
    type(version).objects.filter(pk=version.pk).update(claim_window_days=30)
    message = messages.OUTSIDE_CLAIM_WINDOW.format(
        policy="OnePointSync SLA", days=30, ended="2025-01-10"
    )
    refused_by_form(
        client,
        alice,
        form_data(
            [acme_email], start="2025-01-10T10:00", end="2025-01-10T11:00", files=[(upload(), "")]
        ),
        "period_start",
        message,
    )


def test_missing_representation_is_refused(client, nora, cedar_exchange):
    message = messages.REPRESENTATION_MISSING.format(policy="groupSPARK Reseller SLA")
    refused_by_form(client, nora, form_data([cedar_exchange]), "representation", message)


def test_missing_proof_is_refused(client, alice, acme_email):
    message = messages.PROOF_MISSING.format(policy="OnePointSync SLA")
    refused_by_form(client, alice, form_data([acme_email]), None, message)


def test_proof_that_is_not_a_network_test_does_not_count(client, alice, acme_email):
    message = messages.PROOF_MISSING.format(policy="OnePointSync SLA")
    note = upload("note.txt", b"We could not read our mail all afternoon.\n")
    refused_by_form(client, alice, form_data([acme_email], files=[(note, "")]), None, message)


def test_end_before_start_is_refused(client, alice, acme_email):
    refused_by_form(
        client,
        alice,
        form_data([acme_email], start="2026-03-10T13:00", end="2026-03-10T12:00"),
        "period_end",
        messages.PERIOD_ORDER,
    )


@pytest.mark.parametrize(
    ("field", "changes"),
    [("period_end", {"end": "2026-02-30T12:47"}), ("period_start", {"start": "2026-03-10T12:99"})],
)
def test_impossible_date_is_a_field_error(client, alice, acme_email, field, changes):
    refused_by_form(
        client,
        alice,
        form_data([acme_email], **changes),
        field,
        "Enter a date and time like 2026-03-10 14:" + ("47." if field == "period_end" else "00."),
    )


def test_subscriptions_of_two_accounts_are_refused(client, nora, cedar_exchange):
    delta = subscription("Delta Logistics", "hosted-exchange")
    refused_by_form(
        client,
        nora,
        form_data([cedar_exchange, delta], representation=True),
        "subscriptions",
        messages.MIXED_ACCOUNTS,
    )


def test_another_accounts_subscription_cannot_be_chosen(client, alice):
    birch = subscription("Birch Legal", "email")
    client.force_login(alice)
    response = client.post(NEW, form_data([birch], files=[(upload(), "")]))
    assert response.status_code == 400
    assert "Select a valid choice" in str(response.context["form"].errors["subscriptions"])
    assert Claim.objects.count() == 0


def test_bad_proof_file_is_refused_and_nothing_stored(client, alice, acme_email):
    client.force_login(alice)
    program = upload("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "application/pdf")
    response = client.post(NEW, form_data([acme_email], files=[(program, "")]))
    assert response.status_code == 400
    assert "This file is a program, not a proof" in response.content.decode()
    assert Claim.objects.count() == 0
    assert stored_files() == []


# --- API ---------------------------------------------------------------------------------------


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_payload(subscriptions, **changes):
    payload = {
        "subscriptions": [s.pk for s in subscriptions],
        "period_start": "2026-03-10T12:00:00-07:00",
        "period_end": "2026-03-10T12:47:00-07:00",
        "basis": "Mail was down.",
        "representation": False,
        "submit": False,
    }
    payload.update(changes)
    return payload


def test_api_files_a_claim_in_three_steps(alice, acme_email):
    api = api_for(alice)
    created = api.post("/api/v1/claims/", api_payload([acme_email]), format="json")
    assert created.status_code == 201, created.json()
    claim_id = created.json()["id"]
    assert created.json()["state"] == "draft"
    uploaded = api.post(
        f"/api/v1/claims/{claim_id}/proofs/", {"file": upload(), "kind": "ping"}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.json()
    assert uploaded.json()["read"] is True
    submitted = api.post(f"/api/v1/claims/{claim_id}/submit/")
    assert submitted.status_code == 200, submitted.json()
    body = submitted.json()
    assert body["state"] == "submitted"
    assert body["period_start"] == "2026-03-10T19:00:00Z"
    download = api.get(body["proofs"][0]["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == ping_log()
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_api_refusals_are_field_errors(alice, acme_email):
    api = api_for(alice)
    naive = api.post(
        "/api/v1/claims/",
        api_payload([acme_email], period_start="2026-03-10T12:00:00"),
        format="json",
    )
    assert naive.status_code == 400
    assert "no UTC offset" in naive.json()["period_start"][0]
    no_proof = api.post("/api/v1/claims/", api_payload([acme_email], submit=True), format="json")
    assert no_proof.status_code == 400
    assert no_proof.json() == {"proofs": [messages.PROOF_MISSING.format(policy="OnePointSync SLA")]}
    assert Claim.objects.count() == 0


def test_api_overlap_is_409(alice, acme_email):
    api = api_for(alice)
    first = api.post("/api/v1/claims/", api_payload([acme_email]), format="json").json()
    api.post(f"/api/v1/claims/{first['id']}/proofs/", {"file": upload()}, format="multipart")
    assert api.post(f"/api/v1/claims/{first['id']}/submit/").status_code == 200
    second = api.post("/api/v1/claims/", api_payload([acme_email]), format="json").json()
    api.post(f"/api/v1/claims/{second['id']}/proofs/", {"file": upload()}, format="multipart")
    response = api.post(f"/api/v1/claims/{second['id']}/submit/")
    assert response.status_code == 409
    assert "Multiple requests are not granted" in response.json()["period_start"][0]
    assert Claim.objects.get(pk=second["id"]).state == ClaimState.DRAFT


def test_api_representation_and_standing(nora, cedar_exchange):
    api = api_for(nora)
    response = api.post(
        "/api/v1/claims/",
        api_payload(
            [cedar_exchange],
            submit=True,
            period_start="2026-03-10T14:00:00-05:00",
            period_end="2026-03-10T14:47:00-05:00",
        ),
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["representation"]
    ok = api.post(
        "/api/v1/claims/",
        api_payload([cedar_exchange], submit=True, representation=True),
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["state"] == "submitted"


def test_api_withdraw_records_the_reason(alice, acme_email):
    api = api_for(alice)
    created = api.post("/api/v1/claims/", api_payload([acme_email]), format="json").json()
    response = api.post(f"/api/v1/claims/{created['id']}/withdraw/", {"reason": "Resolved"})
    assert response.json()["state"] == "withdrawn"
    event = ClaimEvent.objects.filter(action="withdrawn").get()
    assert (event.actor, event.reason, event.from_state) == (alice, "Resolved", "draft")
    again = api.post(f"/api/v1/claims/{created['id']}/withdraw/")
    assert again.status_code == 409


def test_claims_are_in_the_openapi_schema(alice):
    schema = json.loads(api_for(alice).get("/api/v1/schema/?format=json").content)
    for path in (
        "/api/v1/claims/",
        "/api/v1/claims/{id}/",
        "/api/v1/claims/{id}/proofs/",
        "/api/v1/claims/{id}/submit/",
        "/api/v1/claims/{id}/withdraw/",
    ):
        assert path in schema["paths"], path
