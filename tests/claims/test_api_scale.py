"""The API's lists at size: keyset pages of a bounded size, a constant number of queries per page
whatever its size, and a claim that carries what was read from its proofs, not every probe."""

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from claims.api.pagination import CURSOR_REFUSED, PAGE_SIZE_REFUSED
from claims.evidence import read_evidence
from claims.filters import review_queue
from claims.models import Claim, ClaimLine, Decision, Message, MessageFile, Proof
from sla.models import Maintenance
from tests.claims.conftest import END, START, ping_log

pytestmark = pytest.mark.django_db

# Queries a list page may make whatever its size: the page, one per relation it shows, the
# credit status's ledger reads, and (for the claimant side) who of the authors are staff.
CLAIMS_PAGE_QUERIES = 13
QUEUE_PAGE_QUERIES = 12


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def long_log(lines=5000, host="mail.acme-dental.example", address="203.0.113.10"):
    """A `ping -D -O` log of `lines` probes a second apart, failing in runs of 4 out of every
    10: hundreds of failure episodes, the worst case for what a claim carries."""
    out = [f"PING {host} ({address}) 56(84) bytes of data."]
    at = START - dt.timedelta(minutes=30)
    for seq in range(lines):
        stamp = f"[{at.timestamp():.6f}]"
        if seq % 10 < 4:
            out.append(f"{stamp} no answer yet for icmp_seq={seq}")
        else:
            out.append(f"{stamp} 64 bytes from {address}: icmp_seq={seq} ttl=57 time=12.3 ms")
        at += dt.timedelta(seconds=1)
    return ("\n".join(out) + "\n").encode()


def make_claims(n, subscription, filed_by, *, reviewer, state="submitted", proofs=1, log=None):
    """`n` claims on `subscription`, each a day apart, with its line, proofs (raw evidence as
    stored before the compact form, every other one compact), a message and a staff note with
    a file each, and for approved ones a decision: every relation a claim shows."""
    evidence = read_evidence(log or ping_log())
    stored = [evidence.to_dict(), evidence.compact()]
    version = subscription.policy.versions.order_by("-effective_from").first()
    claims = []
    for i in range(n):
        start = START - dt.timedelta(days=i)
        claim = Claim.objects.create(
            account=subscription.organisation,
            filed_by=filed_by,
            policy_version=version,
            period_start=start,
            period_end=start + (END - START),
            basis="Down.",
            state=state,
            submitted_at=start + dt.timedelta(hours=2),
            decision_due_at=start + dt.timedelta(days=30),
        )
        ClaimLine.objects.create(
            claim=claim,
            subscription=subscription,
            period_start=claim.period_start,
            period_end=claim.period_end,
        )
        for k in range(proofs):
            Proof.objects.create(
                claim=claim,
                file=f"proofs/{claim.pk}-{k}.txt",
                display_name=f"ping-{k}.txt",
                content_type="text/plain",
                size=1000,
                sha256="0" * 64,
                kind="ping",
                read=True,
                evidence=stored[(i + k) % 2],
                uploaded_by=filed_by,
            )
        for kind, author, internal in (("message", filed_by, False), ("note", reviewer, True)):
            message = Message.objects.create(
                claim=claim, author=author, kind=kind, body="Seen.", internal=internal
            )
            MessageFile.objects.create(
                message=message,
                file=f"proofs/m{message.pk}.txt",
                display_name="trace.txt",
                content_type="text/plain",
                size=10,
                sha256="0" * 64,
            )
        if state == "approved":
            Decision.objects.create(
                claim=claim,
                sequence=1,
                kind="approve",
                amount=Decimal("1.00"),
                engine_amount=Decimal("1.00"),
                decided_by=reviewer,
            )
        claims.append(claim)
    return claims


def queries(api, url, bound, django_assert_max_num_queries):
    api.get(url)  # once first: what a process reads once (content types...) is not the page's
    with django_assert_max_num_queries(bound), CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def walk(api, url):
    """Every page from `url` on by its next links: (ids, pages)."""
    ids, pages = [], 0
    while url:
        body = api.get(url).json()
        ids += [row["id"] for row in body["results"]]
        pages += 1
        url = body["next"]
    return ids, pages


# --- queries per page ------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_claims_page_costs_the_same_queries_at_10_and_100_rows(
    state, alice, reviewer_user, acme_email, django_assert_max_num_queries
):
    make_claims(100, acme_email, alice, reviewer=reviewer_user, state=state, proofs=2)
    for user in (reviewer_user, alice):
        api = api_as(user)
        small, body = queries(
            api, "/api/v1/claims/?page_size=10", CLAIMS_PAGE_QUERIES, django_assert_max_num_queries
        )
        assert len(body["results"]) == 10
        large, body = queries(
            api, "/api/v1/claims/?page_size=100", CLAIMS_PAGE_QUERIES, django_assert_max_num_queries
        )
        assert len(body["results"]) == 100
        assert small == large
        row = body["results"][0]
        assert len(row["proofs"]) == 2 and row["proofs"][0]["reading"]["failure_episodes"] == 1
        assert [m["kind"] for m in row["messages"]] == (
            ["message", "note"] if user == reviewer_user else ["message"]
        )
        assert row["messages"][0]["files"] == ["trace.txt"]
        assert len(row["decisions"]) == (1 if state == "approved" else 0)


def test_review_queue_page_costs_the_same_queries_at_10_and_100_rows(
    alice, reviewer_user, acme_email, cedar_exchange, nora, django_assert_max_num_queries
):
    make_claims(60, acme_email, alice, reviewer=reviewer_user)
    make_claims(50, cedar_exchange, nora, reviewer=reviewer_user)
    # Maintenance on one service, in the months of the first and of the last claims: the
    # estimates excuse it.
    for days in (0, 59):
        Maintenance.objects.create(
            service=acme_email.service,
            starts_at=START - dt.timedelta(days=days, minutes=30),
            ends_at=START - dt.timedelta(days=days) + dt.timedelta(minutes=20),
            notice_at=START - dt.timedelta(days=days + 10),
        )
    api = api_as(reviewer_user)
    small, _ = queries(
        api, "/api/v1/review-queue/?page_size=10", QUEUE_PAGE_QUERIES, django_assert_max_num_queries
    )
    large, body = queries(
        api,
        "/api/v1/review-queue/?page_size=100",
        QUEUE_PAGE_QUERIES,
        django_assert_max_num_queries,
    )
    assert small == large
    assert len(body["results"]) == 100
    # The page's estimates are what each claim's own estimate reads claim by claim.
    for row in body["results"][::7]:
        claim = Claim.objects.get(pk=row["id"])
        assert row["estimate"] == str(claim.estimate()[0])
    assert {row["estimate"] for row in body["results"]} != {"0.00"}


# --- pagination ------------------------------------------------------------------------------


def test_claims_pages_walk_every_claim_once_newest_first(alice, reviewer_user, acme_email):
    claims = make_claims(23, acme_email, alice, reviewer=reviewer_user)
    # Several filed at the same instant: the id breaks the tie, nothing is lost or repeated.
    same = claims[0].created_at
    Claim.objects.filter(pk__in=[c.pk for c in claims[5:12]]).update(created_at=same)
    expected = list(Claim.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    ids, pages = walk(api_as(alice), "/api/v1/claims/?page_size=5")
    assert ids == expected
    assert pages == 5


def test_previous_link_goes_back_to_the_page_before(alice, reviewer_user, acme_email):
    make_claims(12, acme_email, alice, reviewer=reviewer_user)
    api = api_as(alice)
    first = api.get("/api/v1/claims/?page_size=5").json()
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert "page_size=5" in first["next"]
    back = api.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert back["previous"] is None
    assert api.get(back["next"]).json()["results"] == second["results"]
    last = api.get(api.get(second["next"]).json()["previous"]).json()
    assert [r["id"] for r in last["results"]] == [r["id"] for r in second["results"]]
    third = api.get(second["next"]).json()
    assert len(third["results"]) == 2 and third["next"] is None


def test_claims_pages_keep_their_filters(alice, reviewer_user, acme_email):
    make_claims(6, acme_email, alice, reviewer=reviewer_user, state="approved")
    make_claims(6, acme_email, alice, reviewer=reviewer_user)
    ids, _ = walk(api_as(reviewer_user), "/api/v1/claims/?state=approved&page_size=4")
    assert len(ids) == 6
    assert set(Claim.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"approved"}


def test_review_queue_pages_walk_the_queue_in_its_order(
    alice, nora, reviewer_user, acme_email, cedar_exchange
):
    make_claims(9, acme_email, alice, reviewer=reviewer_user)
    make_claims(8, cedar_exchange, nora, reviewer=reviewer_user)
    make_claims(3, acme_email, alice, reviewer=reviewer_user, state="approved")
    expected = list(review_queue().awaiting_review().values_list("pk", flat=True))
    ids, pages = walk(api_as(reviewer_user), "/api/v1/review-queue/?page_size=4")
    assert ids == expected and len(ids) == 17
    assert pages == 5


@pytest.mark.parametrize("url", ["/api/v1/claims/", "/api/v1/review-queue/"])
@pytest.mark.parametrize("size", ["101", "0", "-3", "ten", "1e2"])
def test_page_size_beyond_the_bound_is_refused(url, size, reviewer_user):
    response = api_as(reviewer_user).get(f"{url}?page_size={size}")
    assert response.status_code == 400
    assert response.json() == {"page_size": [PAGE_SIZE_REFUSED]}


@pytest.mark.parametrize("url", ["/api/v1/claims/", "/api/v1/review-queue/"])
def test_default_page_is_50_and_100_is_allowed(url, alice, reviewer_user, acme_email):
    make_claims(101, acme_email, alice, reviewer=reviewer_user)
    api = api_as(reviewer_user)
    assert len(api.get(url).json()["results"]) == 50
    body = api.get(f"{url}?page_size=100").json()
    assert len(body["results"]) == 100 and body["next"]


def forged(payload):
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%%%",
        forged({"p": ["2026-03-10T19:00:00+00:00"], "b": False}),
        forged({"p": ["yesterday", 4], "b": False}),
        forged({"p": ["2026-03-10T19:00:00", 4], "b": False}),
        forged({"p": [None, 4], "b": False}),
        forged({"p": ["2026-03-10T19:00:00+00:00", 4], "b": "no"}),
        forged(["2026-03-10T19:00:00+00:00", 4]),
    ],
)
def test_a_cursor_the_list_did_not_give_out_is_refused(cursor, reviewer_user):
    response = api_as(reviewer_user).get("/api/v1/claims/", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"cursor": [CURSOR_REFUSED]}


# --- what a claim carries --------------------------------------------------------------------


def test_a_claim_with_20_long_proofs_is_small_on_detail_and_list(alice, reviewer_user, acme_email):
    log = long_log()
    assert len(log) > 300_000
    (claim,) = make_claims(1, acme_email, alice, reviewer=reviewer_user, proofs=20, log=log)
    api = api_as(alice)
    detail = api.get(f"/api/v1/claims/{claim.pk}/")
    assert detail.status_code == 200
    assert len(detail.content) < 100_000
    proofs = detail.json()["proofs"]
    assert len(proofs) == 20
    proof = proofs[0]
    assert "evidence" not in proof
    assert proof["download_url"] == f"/api/v1/claims/{claim.pk}/proofs/{proof['id']}/"
    reading = proof["reading"]
    assert reading["failure_episodes"] == 500 and reading["episodes"] == 1000
    assert reading["counts"] == {"reply": 3000, "timeout": 2000}
    assert len(reading["failures"]) == 5
    # Those touching the claimed period first.
    assert all(e["start"] >= START.isoformat().replace("+00:00", "") for e in reading["failures"])
    assert reading["failures"][0]["lines"][0] > 0 and reading["failures"][0]["probes"] == 4
    assert "failing" in proof["evidence_summary"]

    listing = api.get("/api/v1/claims/")
    assert len(listing.content) < 60_000
    listed = listing.json()["results"][0]["proofs"][0]
    assert "failures" not in listed["reading"]
    assert listed["reading"]["failure_episodes"] == 500
    assert listed["evidence_summary"] == proof["evidence_summary"]


def test_a_proof_nothing_was_read_from_has_no_reading(alice, reviewer_user, acme_email):
    (claim,) = make_claims(1, acme_email, alice, reviewer=reviewer_user)
    Proof.objects.filter(claim=claim).update(evidence=None, read=False)
    (proof,) = api_as(alice).get(f"/api/v1/claims/{claim.pk}/").json()["proofs"]
    assert proof["reading"] is None and proof["evidence_summary"] == ""
