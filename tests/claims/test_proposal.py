"""The proposed settlement: the claimed period intersected with the proofs' failure episodes
and the provider's incidents, each stretch citing its source, priced by the engine's settle
path; accepted in one step on the page or the API; and what the claimant sees of it."""

import datetime as dt
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims import messages, services
from claims.models import Claim, Settlement
from sla.models import Incident
from tests.claims.conftest import END, NOW, START, ping_log, upload

pytestmark = pytest.mark.django_db

# The proof's outage: 19:05:00-19:25:00 UTC, one complete 15-minute block for OnePointSync.
OUT_FROM = START + dt.timedelta(minutes=5)
OUT_TO = START + dt.timedelta(minutes=25)


def outage_log(start=OUT_FROM, end=OUT_TO):
    # Probes every 30 s from 2 min before to 2 min after: line 1 the header, 19:03:00 line 2,
    # the first timeout (19:05:00) line 6, the last (19:24:30) line 45, the reply line 46.
    return ping_log(start=start, end=end)


def file(user, subscription, log=None, *, submit=True):
    return services.file_claim(
        by=user,
        data=services.ClaimInput(
            subscriptions=(subscription,), period_start=START, period_end=END, basis="Down."
        ),
        uploads=[(upload("ping.txt", log or outage_log()), "ping")],
        submit=submit,
        now=NOW,
    )


@pytest.fixture
def claim(alice, acme_email):
    return file(alice, acme_email)


@pytest.fixture
def reviewer_client(reviewer_user):
    client = Client()
    client.force_login(reviewer_user)
    return client


@pytest.fixture
def reviewer_api(reviewer_user):
    client = APIClient()
    client.force_authenticate(reviewer_user)
    return client


def html(response):
    return unescape(response.content.decode())


def test_the_proposal_is_the_proofs_failure_inside_the_period_citing_its_lines(claim):
    proposed = services.proposal_for(claim)

    assert [(s.start, s.end) for s in proposed.proposal.downtime] == [(OUT_FROM, OUT_TO)]
    (source,) = proposed.proposal.downtime[0].sources
    assert source.describe() == "ping.txt, lines 6-45"
    assert source.until_line == 46
    # Answering before and after the outage, inside the period.
    assert [(s.start, s.end) for s in proposed.proposal.answering] == [
        (OUT_FROM - dt.timedelta(minutes=2), OUT_FROM),
        (OUT_TO, OUT_TO + dt.timedelta(minutes=1, seconds=30)),
    ]
    assert proposed.proposal.covers_none is False


def test_the_proposals_credit_is_what_settling_its_intervals_gives(claim, reviewer_user):
    proposed = services.proposal_for(claim)
    whole, _ = claim.estimate()

    settled = services.settle(
        claim=claim,
        by=reviewer_user,
        intervals=[services.SettledInterval(OUT_FROM, OUT_TO)],
        maintenance=[],
    )

    assert proposed.credit == settled.credit
    assert Decimal("0") < proposed.credit <= whole


def test_an_incident_is_part_of_the_proposal_and_cited(claim, acme_email):
    incident = Incident.objects.create(
        service=acme_email.service,
        starts_at=START + dt.timedelta(minutes=30),
        ends_at=END + dt.timedelta(hours=1),
        summary="Mail cluster failover",
        affects_all=True,
    )

    downtime = services.proposal_for(claim).proposal.downtime

    assert [(s.start, s.end) for s in downtime] == [
        (OUT_FROM, OUT_TO),
        (START + dt.timedelta(minutes=30), END),  # clipped to the claimed period
    ]
    assert downtime[1].sources[0].describe() == f"incident {incident.pk}"


def test_the_review_page_shows_the_proposal_and_accepting_it_settles_exactly_it(
    claim, reviewer_client
):
    proposed = services.proposal_for(claim)
    page = html(reviewer_client.get(reverse("claims:review", args=[claim.pk])))
    assert 'data-testid="proposal"' in page
    assert "ping.txt, lines 6-45 (answering again at line 46)" in page
    assert "2026-03-10 19:05:00" in page and "2026-03-10 19:25:00" in page
    assert f'data-testid="proposal-credit">{proposed.credit}<' in page

    response = reviewer_client.post(
        reverse("claims:review-accept-proposal", args=[claim.pk]), {"proposal": proposed.digest}
    )

    assert response.status_code == 302
    settlement = Settlement.objects.get(claim=claim)
    assert settlement.reason == services.ACCEPTED_PROPOSAL == "accepted the proposal"
    assert [(i["start"], i["end"]) for i in settlement.intervals] == [
        (OUT_FROM.isoformat(), OUT_TO.isoformat())
    ]
    assert settlement.intervals[0]["reason"] == "ping.txt, lines 6-45"
    assert settlement.credit == proposed.credit
    assert claim.events.filter(action="settled", reason="accepted the proposal").exists()


def test_edit_it_prefills_the_settle_form_with_the_proposed_intervals(claim, reviewer_client):
    page = html(
        reviewer_client.get(reverse("claims:review", args=[claim.pk]), {"edit": "proposal"})
    )
    assert 'data-testid="editing-proposal"' in page
    assert 'value="2026-03-10T19:05:00"' in page and 'value="2026-03-10T19:25:00"' in page


def test_a_proposal_that_changed_since_it_was_shown_is_not_accepted(claim, reviewer_user):
    shown = services.proposal_for(claim).digest
    Incident.objects.create(
        service=claim.lines.get().subscription.service,
        starts_at=START,
        ends_at=START + dt.timedelta(minutes=5),
        summary="Blip",
        affects_all=True,
    )
    with pytest.raises(services.ClaimRefused) as refused:
        services.accept_proposal(claim=claim, by=reviewer_user, digest=shown)
    assert refused.value.conflict
    assert refused.value.errors == {"__all__": [messages.PROPOSAL_CHANGED]}
    assert not Settlement.objects.filter(claim=claim).exists()


def test_an_empty_proposal_is_refused_not_settled_as_zero(alice, acme_email, reviewer_user):
    day_before = outage_log(START - dt.timedelta(days=1), END - dt.timedelta(days=1))
    claim = file(alice, acme_email, day_before)
    assert services.proposal_for(claim).proposal.covers_none
    with pytest.raises(services.ClaimRefused) as refused:
        services.accept_proposal(claim=claim, by=reviewer_user)
    assert refused.value.errors == {"__all__": [messages.PROPOSAL_EMPTY]}


def test_the_api_shows_the_proposal_to_reviewers_only(claim, reviewer_api, alice):
    response = reviewer_api.get(f"/api/v1/claims/{claim.pk}/proposal/")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["downtime"] == [
        {
            "start": "2026-03-10T19:05:00Z",
            "end": "2026-03-10T19:25:00Z",
            "seconds": 1200,
            "sources": [{"file": "ping.txt", "lines": [6, 45], "until_line": 46}],
        }
    ]
    assert data["downtime_seconds"] == 1200
    assert data["covers_none"] is False
    assert Decimal(data["credit"]) == services.proposal_for(claim).credit

    claimant = APIClient()
    claimant.force_authenticate(alice)
    assert claimant.get(f"/api/v1/claims/{claim.pk}/proposal/").status_code == 404


def test_the_api_accepts_the_proposal_and_refuses_a_stale_one(claim, reviewer_api):
    path = f"/api/v1/claims/{claim.pk}/accept-proposal/"
    stale = reviewer_api.post(path, {"proposal": "0" * 16}, format="json")
    assert stale.status_code == 409
    assert not Settlement.objects.filter(claim=claim).exists()

    digest = reviewer_api.get(f"/api/v1/claims/{claim.pk}/proposal/").json()["digest"]
    response = reviewer_api.post(path, {"proposal": digest}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["reason"] == "accepted the proposal"
    assert response.json()["intervals"][0]["start"] == OUT_FROM.isoformat()


def test_the_claimant_sees_what_the_proof_shows_and_its_estimate(claim, alice):
    client = Client()
    client.force_login(alice)
    page = html(client.get(reverse("claims:detail", args=[claim.pk])))
    shown = services.proof_shows(claim)

    assert (
        "Your proof shows failures from 2026-03-10 19:05:00 to 2026-03-10 19:25:00 UTC"
        " (1200 s inside the claimed period)." in page
    )
    assert f'data-testid="proof-estimate">{shown.credit}<' in page


def test_a_draft_whose_proof_covers_none_of_its_period_says_so_and_can_be_submitted(
    alice, acme_email
):
    day_before = outage_log(START - dt.timedelta(days=1), END - dt.timedelta(days=1))
    draft = file(alice, acme_email, day_before, submit=False)
    client = Client()
    client.force_login(alice)
    warning = messages.PROOF_COVERS_NONE.format(policy=draft.policy_version.policy.name)

    assert warning in html(client.get(reverse("claims:detail", args=[draft.pk])))
    assert warning in html(client.get(reverse("claims:edit", args=[draft.pk])))

    services.submit_claim(claim=draft, by=alice, now=NOW)
    assert Claim.objects.get(pk=draft.pk).state == "submitted"
