"""Reviewing claims through the pages: the queue and its filters, the review page, settling
downtime with Exceptions, decisions, the conversation on both sides, and who may see what."""

import datetime as dt
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims import messages, services
from claims.models import Claim, ClaimState, Message, MessageFile
from portal.models import Organisation, User
from sla.models import Incident, Maintenance
from tests.claims.conftest import END, NOW, START, upload

pytestmark = pytest.mark.django_db
QUEUE = reverse("claims:review-queue")
API_QUEUE = "/api/v1/review-queue/"


def file(user, subscription, *, representation=False, proof=True, now=NOW):
    """File a claim for START-END (47 minutes) as the claimant would."""
    return services.file_claim(
        by=user,
        data=services.ClaimInput(
            subscriptions=(subscription,),
            period_start=START,
            period_end=END,
            basis="Mail was down; Outlook could not connect.",
            representation=representation,
        ),
        uploads=[(upload(), "ping")] if proof else [],
        now=now,
    )


@pytest.fixture
def acme_claim(alice, acme_email):
    return file(alice, acme_email)


@pytest.fixture
def cedar_claim(nora, cedar_exchange):
    # Filed two days later than Acme's: due two days later.
    return file(nora, cedar_exchange, representation=True, now=NOW + dt.timedelta(days=2))


def url(name, claim, *args):
    return reverse(f"claims:{name}", args=[claim.pk, *args])


def body(response):
    return unescape(response.content.decode())


def page(client, path, **params):
    response = client.get(path, params)
    return response, body(response)


def queue_refs(response):
    return [claim.reference for claim, _ in response.context["rows"]]


def settle_data(intervals, maintenance=(), reason=""):
    """The settle form as posted: intervals [(start, end, exception, reason)] in UTC."""
    data = {
        "interval-TOTAL_FORMS": str(len(intervals)),
        "interval-INITIAL_FORMS": "0",
        "interval-MIN_NUM_FORMS": "0",
        "interval-MAX_NUM_FORMS": "50",
        "maintenance-TOTAL_FORMS": str(len(maintenance)),
        "maintenance-INITIAL_FORMS": str(len(maintenance)),
        "maintenance-MIN_NUM_FORMS": "0",
        "maintenance-MAX_NUM_FORMS": "1000",
        "settle-reason": reason,
    }
    for index, (start, end, exception, why) in enumerate(intervals):
        data[f"interval-{index}-start"] = start
        data[f"interval-{index}-end"] = end
        data[f"interval-{index}-exception"] = exception
        data[f"interval-{index}-reason"] = why
    for index, (record, excused, why) in enumerate(maintenance):
        data[f"maintenance-{index}-maintenance_id"] = record
        data[f"maintenance-{index}-excused"] = excused
        data[f"maintenance-{index}-reason"] = why
    return data


# --- the queue --------------------------------------------------------------------------------


def test_queue_lists_claims_due_first_with_estimate_and_dates(
    client, reviewer_user, acme_claim, cedar_claim
):
    client.force_login(reviewer_user)
    response, html = page(client, QUEUE)
    assert response.status_code == 200
    assert queue_refs(response) == [acme_claim.reference, cedar_claim.reference]
    # Acme, OnePointSync: 47 minutes = 3 complete 15-minute blocks x 310.00 / 31 days = 30.00.
    # Cedar, groupSPARK: 47 minutes -> 1 started hour x 720.00 / 720 = 1.00.
    assert [str(estimate) for _, estimate in response.context["rows"]] == ["30.00", "1.00"]
    # Due 10 days after receipt; apply-by: the end of the next cycle (OnePointSync, received
    # 2026-03-20 MST) and of the second cycle after (groupSPARK, received 2026-03-22 EST).
    for text in ["2026-03-30 12:00", "2026-04-01 12:00", "2026-04-30", "2026-05-31"]:
        assert text in html
    assert "Acme Dental" in html and "Cedar Bakery" in html and "via Northwind IT" in html
    assert url("review", acme_claim) in html
    # Both decisions are long past due on the real clock: shown in red.
    assert html.count('<span class="badge overdue">overdue</span>') == 2


def api_queue_refs(api, params):
    response = api.get(API_QUEUE, params)
    assert response.status_code == 200, (params, response.json())
    return [claim["reference"] for claim in response.json()["results"]]


def test_queue_filters_on_the_page_and_the_api(client, reviewer_user, acme_claim, cedar_claim):
    services.request_info(claim=cedar_claim, by=reviewer_user, question="Which mailboxes?")
    services.start_review(claim=acme_claim, by=reviewer_user)
    client.force_login(reviewer_user)
    api = APIClient()
    api.force_authenticate(reviewer_user)
    northwind = Organisation.objects.get(name="Northwind IT")
    acme = Organisation.objects.get(name="Acme Dental")

    # Without a state the queue is what waits for a reviewer: not the claim waiting on Nora.
    assert queue_refs(client.get(QUEUE)) == [acme_claim.reference]
    assert api_queue_refs(api, {}) == [acme_claim.reference]
    cases = [
        ({"state": "under_review"}, [acme_claim]),
        ({"state": "info_requested"}, [cedar_claim]),
        ({"state": "submitted"}, []),
        ({"state": "info_requested", "policy": "groupspark"}, [cedar_claim]),
        ({"policy": "onepointsync"}, [acme_claim]),
        ({"policy": "groupspark"}, []),
        ({"state": "info_requested", "reseller": northwind.pk}, [cedar_claim]),
        ({"reseller": northwind.pk}, []),
        ({"account": acme.pk}, [acme_claim]),
        ({"state": "info_requested", "account": acme.pk}, []),
        # Acme's decision is due 2026-03-30 12:00 UTC.
        ({"due_before": "2026-03-31"}, [acme_claim]),
        ({"due_before": "2026-03-30"}, []),
    ]
    for params, expected in cases:
        response = client.get(QUEUE, params)
        assert response.status_code == 200, params
        assert queue_refs(response) == [c.reference for c in expected], params
        # The API lists the same claims for the same filters: one queue, one FilterSet.
        assert api_queue_refs(api, params) == [c.reference for c in expected], params


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"policy": "no-such-sla"}, "Agreement: Unknown agreement: choose one from the list."),
        ({"state": "approved"}, "State: Unknown state: choose one from the list."),
        ({"account": "999999"}, "Account: Unknown account: choose one from the list."),
        ({"reseller": "abc"}, "Reseller: Unknown reseller: choose one from the list."),
        ({"due_before": "next week"}, "Decision due before (UTC date): Enter the date like"),
    ],
)
def test_bad_filter_value_is_a_clear_error(client, reviewer_user, acme_claim, params, error):
    client.force_login(reviewer_user)
    response, html = page(client, QUEUE, **params)
    assert response.status_code == 400
    assert error in html
    # Never the unfiltered queue instead.
    assert response.context["rows"] == []
    assert acme_claim.reference not in html
    api = APIClient()
    api.force_authenticate(reviewer_user)
    refused = api.get(API_QUEUE, params)
    assert refused.status_code == 400
    [field] = params
    assert "Unknown" in refused.json()[field][0] or "Enter the date" in refused.json()[field][0]


def test_reseller_filter_accepts_only_resellers(client, reviewer_user, acme_claim):
    client.force_login(reviewer_user)
    acme = Organisation.objects.get(name="Acme Dental")
    response = client.get(QUEUE, {"reseller": acme.pk})
    assert response.status_code == 400


def test_staff_home_shows_the_claims_due_first(client, reviewer_user, acme_claim, cedar_claim):
    client.force_login(reviewer_user)
    home = body(client.get(reverse("home")))
    assert reverse("claims:review-queue-top") in home
    assert f'href="{QUEUE}"' in home  # the nav link and the link under the list
    response, html = page(client, reverse("claims:review-queue-top"))
    assert queue_refs(response) == [acme_claim.reference, cedar_claim.reference]
    assert "30.00" in html


# --- who may see what -------------------------------------------------------------------------


def review_posts(claim):
    return [
        url(name, claim)
        for name in [
            "review-start",
            "review-settle",
            "review-approve",
            "review-confirm",
            "review-reject",
            "review-request-info",
            "review-note",
        ]
    ]


def test_customer_gets_404_on_the_queue_and_review_pages(client, alice, acme_claim):
    client.force_login(alice)
    assert client.get(QUEUE).status_code == 404
    assert client.get(reverse("claims:review-queue-top")).status_code == 404
    # Even on the review page of a claim of their own: the page does not exist for them.
    assert client.get(url("review", acme_claim)).status_code == 404
    for post in review_posts(acme_claim):
        assert client.post(post, {"reject-reason": "x"}).status_code == 404, post
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.SUBMITTED


def test_billing_staff_reads_but_gets_403_on_actions(client, acme_claim):
    clerk = User.objects.get(email="billing@provider.example")
    client.force_login(clerk)
    assert client.get(QUEUE).status_code == 403
    response, html = page(client, url("review", acme_claim))
    assert response.status_code == 200
    assert messages.NOT_A_REVIEWER in html
    for post in [*review_posts(acme_claim), url("message-post", acme_claim)]:
        assert client.post(post, {"reject-reason": "x"}).status_code == 403, post
    assert acme_claim.events.count() == 3  # created, proof_added, submitted: nothing more


def test_other_customer_gets_404_on_alices_claim_pages(client, alice, bob, acme_claim):
    message = services.post_message(claim=acme_claim, by=alice, body="Hi", uploads=[(upload(), "")])
    attachment = message.files.get()
    client.force_login(bob)
    for path in [
        url("detail", acme_claim),
        url("review", acme_claim),
        url("message-file", acme_claim, message.pk, attachment.pk),
    ]:
        assert client.get(path).status_code == 404, path
    for path in [url("message-post", acme_claim), url("answer", acme_claim)]:
        assert client.post(path, {"message-body": "Let me in"}).status_code == 404, path
    assert Message.objects.count() == 1


# --- the review page --------------------------------------------------------------------------


def test_review_page_shows_claim_proofs_records_and_breakdown(
    client, reviewer_user, acme_claim, acme_email
):
    Incident.objects.create(
        service=acme_email.service,
        starts_at=START + dt.timedelta(minutes=5),
        ends_at=END,
        summary="Mail cluster lost its storage",
    )
    Maintenance.objects.create(
        service=acme_email.service,
        starts_at=dt.datetime(2026, 3, 14, 6, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 3, 14, 7, 0, tzinfo=dt.UTC),
        notice_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        summary="Mail server patching",
    )
    client.force_login(reviewer_user)
    response, html = page(client, url("review", acme_claim))
    assert response.status_code == 200
    proof = acme_claim.proofs.get()
    assert url("proof-download", acme_claim, proof.pk) in html
    assert proof.evidence_summary and proof.evidence_summary in html
    assert "Mail cluster lost its storage" in html
    assert "Mail server patching" in html
    # The period in UTC, in policy time (UTC-07:00), and in the reviewer's own (UTC here).
    assert "2026-03-10 19:00:00 – 2026-03-10 19:47:00" in html
    assert "2026-03-10 12:00:00 – 2026-03-10 12:47:00" in html
    assert 'data-testid="timeline"' in html
    # Not settled yet: the engine's breakdown of the whole claimed period.
    assert 'data-testid="engine-credit">30.00<' in html
    assert "47 min qualifying -> 3 complete 15-minute blocks x 310.00 / 31 days" in html
    assert "Times are <strong>UTC</strong>" in html
    # The maintenance record gets its "counts as maintenance" select.
    record = Maintenance.objects.get()
    assert f'name="maintenance-0-maintenance_id" value="{record.pk}"' in html
    # OnePointSync has no Exceptions clause: no Exception select.
    assert 'name="interval-0-exception"' not in html


def test_opening_the_review_page_changes_nothing_start_review_does(
    client, reviewer_user, acme_claim
):
    client.force_login(reviewer_user)
    html = body(client.get(url("review", acme_claim)))
    assert "Start review" in html
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.SUBMITTED
    response = client.post(url("review-start", acme_claim), follow=True)
    assert response.redirect_chain == [(url("review", acme_claim), 302)]
    assert f"Review of {acme_claim.reference} started." in body(response)
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.UNDER_REVIEW


def test_settle_with_an_exception_on_the_whole_interval_credits_nothing(
    client, reviewer_user, cedar_claim
):
    client.force_login(reviewer_user)
    html = body(client.get(url("review", cedar_claim)))
    assert 'name="interval-0-exception"' in html and "customer-circuit" in html
    assert 'value="2026-03-10T19:00:00"' in html  # the claimed period, prefilled in UTC
    response = client.post(
        url("review-settle", cedar_claim),
        settle_data(
            [
                (
                    "2026-03-10T19:00:00",
                    "2026-03-10T19:47:00",
                    "customer-circuit",
                    "The customer's own circuit failed (carrier ticket 4411).",
                ),
                ("", "", "", ""),  # an extra row left empty is ignored
            ],
            reason="Carrier confirmed the customer circuit.",
        ),
        follow=True,
    )
    assert response.redirect_chain == [(url("review", cedar_claim), 302)]
    settlement = cedar_claim.settlements.get()
    # groupSPARK drops an Exception interval before merging: no qualifying downtime is left,
    # the month's availability is 100 % >= 99.999 %, so the commitment is met: credit 0.00
    # (it was 1 started hour x 720.00 / 720 = 1.00 before the tag).
    assert settlement.credit == Decimal("0.00")
    assert settlement.intervals[0]["exception"] == "customer-circuit"
    html = body(response)
    assert "Settlement 1 saved: the engine's credit is now 0.00." in html
    assert 'data-testid="engine-credit">0.00<' in html
    # The form now shows what was settled.
    assert '<option value="customer-circuit" selected>' in html


def test_settle_recomputes_the_credit_for_part_of_the_period(client, reviewer_user, acme_claim):
    client.force_login(reviewer_user)
    response = client.post(
        url("review-settle", acme_claim),
        settle_data([("2026-03-10T19:00:00", "2026-03-10T19:31:00", "", "Logs end at 19:31")]),
    )
    assert response.status_code == 302
    # 31 minutes: 2 complete 15-minute blocks x 310.00 / 31 days = 20.00.
    assert acme_claim.settlements.get().credit == Decimal("20.00")
    html = body(client.get(url("review", acme_claim)))
    assert 'data-testid="engine-credit">20.00<' in html
    assert "31 min qualifying -> 2 complete 15-minute blocks x 310.00 / 31 days" in html
    assert 'name="approve-amount" value="20.00"' in html


def test_settle_refusals_are_shown_next_to_the_fields(client, reviewer_user, cedar_claim):
    client.force_login(reviewer_user)
    response = client.post(
        url("review-settle", cedar_claim),
        settle_data(
            [
                ("2026-03-10T19:47:00", "2026-03-10T19:00:00", "", ""),
                ("2026-03-10T20:00:00", "2026-03-10T20:30:00", "dns-issue", ""),
            ]
        ),
    )
    assert response.status_code == 400
    html = body(response)
    assert messages.INTERVAL_ORDER.format(number=1) in html
    assert messages.EXCEPTION_NEEDS_REASON.format(number=2) in html
    # What was typed stays in the form.
    assert 'value="2026-03-10T20:30:00"' in html
    half = client.post(
        url("review-settle", cedar_claim),
        settle_data([("2026-03-10T19:00:00", "", "", "")]),
    )
    assert "Enter both the start and the end, or clear the row." in body(half)
    assert not cedar_claim.settlements.exists()


def test_maintenance_can_be_ruled_out_with_a_reason(
    client, reviewer_user, cedar_claim, cedar_exchange
):
    # Maintenance recorded over the whole outage: groupSPARK excuses all maintenance.
    record = Maintenance.objects.create(
        service=cedar_exchange.service,
        starts_at=START,
        ends_at=END,
        notice_at=None,
        scheduled=False,
        summary="Emergency Exchange restart",
    )
    client.force_login(reviewer_user)
    interval = [("2026-03-10T19:00:00", "2026-03-10T19:47:00", "", "")]
    client.post(url("review-settle", cedar_claim), settle_data(interval, [(record.pk, "yes", "")]))
    assert cedar_claim.settlements.get(number=1).credit == Decimal("0.00")
    refused = client.post(
        url("review-settle", cedar_claim), settle_data(interval, [(record.pk, "no", "")])
    )
    assert refused.status_code == 400
    assert messages.MAINTENANCE_NEEDS_REASON.format(id=record.pk) in body(refused)
    client.post(
        url("review-settle", cedar_claim),
        settle_data(interval, [(record.pk, "no", "The restart was the outage itself.")]),
    )
    # Not maintenance after all: 1 started hour x 720.00 / 720 = 1.00.
    assert cedar_claim.settlements.get(number=2).credit == Decimal("1.00")


# --- decisions --------------------------------------------------------------------------------


def test_approve_and_the_claimant_sees_the_decision_and_reason(
    client, reviewer_user, alice, acme_claim
):
    client.force_login(reviewer_user)
    services.start_review(claim=acme_claim, by=reviewer_user)
    different = client.post(
        url("review-approve", acme_claim), {"approve-amount": "25.00", "approve-reason": ""}
    )
    assert different.status_code == 400
    assert messages.OVERRIDE_NEEDS_REASON.format(engine="30.00") in body(different)
    response = client.post(
        url("review-approve", acme_claim),
        {"approve-amount": "30.00", "approve-reason": "Our own incident log confirms it."},
        follow=True,
    )
    assert f"Claim {acme_claim.reference} approved: credit 30.00." in body(response)
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.APPROVED
    decision = acme_claim.decisions.get()
    assert (decision.amount, decision.engine_amount) == (Decimal("30.00"), Decimal("30.00"))

    client.force_login(alice)
    html = body(client.get(url("detail", acme_claim)))
    assert "<strong>Approved</strong>" in html
    assert 'data-testid="decision-amount">30.00<' in html
    assert "Our own incident log confirms it." in html


def test_a_large_approval_waits_for_a_second_reviewer(client, settings, reviewer_user, acme_claim):
    settings.APPROVAL_SECOND_REVIEWER_ABOVE = Decimal("10.00")
    second = User.objects.get(email="reviewer2@provider.example")
    client.force_login(reviewer_user)
    client.post(url("review-approve", acme_claim), {"approve-amount": "30.00"})
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.AWAITING_SECOND
    html = body(client.get(url("review", acme_claim)))
    assert "Confirm approval" not in html
    assert "You approved it: another reviewer must confirm." in html
    refused = client.post(url("review-confirm", acme_claim), follow=True)
    assert messages.FOUR_EYES in body(refused)

    client.force_login(second)
    assert "Confirm approval" in body(client.get(url("review", acme_claim)))
    response = client.post(url("review-confirm", acme_claim), follow=True)
    assert "Approval of 30.00 confirmed." in body(response)
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.APPROVED


def test_reject_requires_a_reason(client, reviewer_user, alice, acme_claim):
    client.force_login(reviewer_user)
    response = client.post(url("review-reject", acme_claim), {"reject-reason": ""})
    assert response.status_code == 400
    assert messages.REJECTION_NEEDS_REASON in body(response)
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.SUBMITTED

    client.post(url("review-reject", acme_claim), {"reject-reason": "The outage was planned."})
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.REJECTED
    client.force_login(alice)
    html = body(client.get(url("detail", acme_claim)))
    assert "<strong>Rejected</strong>" in html and "The outage was planned." in html


def test_a_decided_claim_is_corrected_with_a_reason(client, reviewer_user, alice, acme_claim):
    client.force_login(reviewer_user)
    client.post(url("review-reject", acme_claim), {"reject-reason": "No proof."})
    html = body(client.get(url("review", acme_claim)))
    assert "Correct the decision" in html and "Correct: approve" in html
    refused = client.post(url("review-approve", acme_claim), {"approve-amount": "30.00"})
    assert refused.status_code == 400
    assert messages.CORRECTION_NEEDS_REASON in body(refused)
    client.post(
        url("review-approve", acme_claim),
        {"approve-amount": "30.00", "approve-reason": "The ping log was overlooked."},
    )
    acme_claim.refresh_from_db()
    assert acme_claim.state == ClaimState.APPROVED
    correction = acme_claim.decisions.get(sequence=2)
    assert correction.corrects.sequence == 1
    client.force_login(alice)
    html = body(client.get(url("detail", acme_claim)))
    assert "<strong>Approved</strong>" in html and "a correction of an earlier decision" in html
    assert "The ping log was overlooked." in html


# --- the conversation -------------------------------------------------------------------------


def test_request_info_and_the_answer_returns_the_claim_to_the_queue(
    client, reviewer_user, nora, cedar_claim
):
    client.force_login(reviewer_user)
    question = "Which mailboxes were affected, and do you have a ping log?"
    client.post(url("review-request-info", cedar_claim), {"info-question": question})
    cedar_claim.refresh_from_db()
    assert cedar_claim.state == ClaimState.INFO_REQUESTED
    assert cedar_claim.reference not in queue_refs(client.get(QUEUE))

    client.force_login(nora)
    html = body(client.get(url("detail", cedar_claim)))
    assert 'data-testid="open-question"' in html and question in html
    assert 'data-testid="answer-form"' in html
    response = client.post(
        url("answer", cedar_claim),
        {
            "answer-body": "All 12 mailboxes; ping log attached.",
            "answer-file-TOTAL_FORMS": "3",
            "answer-file-INITIAL_FORMS": "0",
            "answer-file-MIN_NUM_FORMS": "0",
            "answer-file-MAX_NUM_FORMS": "3",
            "answer-file-0-file": upload("cedar-ping.txt"),
            "answer-file-0-kind": "ping",
        },
        follow=True,
    )
    html = body(response)
    assert "Answer sent: the claim is back with the reviewers." in html
    assert "All 12 mailboxes; ping log attached." in html
    assert 'data-testid="open-question"' not in html
    cedar_claim.refresh_from_db()
    assert cedar_claim.state == ClaimState.SUBMITTED
    assert list(cedar_claim.proofs.values_list("display_name", "kind")) == [
        ("ping.txt", "ping"),
        ("cedar-ping.txt", "ping"),
    ]

    client.force_login(reviewer_user)
    assert cedar_claim.reference in queue_refs(client.get(QUEUE))
    assert "cedar-ping.txt" in body(client.get(url("review", cedar_claim)))


def test_an_empty_answer_is_refused(client, reviewer_user, nora, cedar_claim):
    services.request_info(claim=cedar_claim, by=reviewer_user, question="Which mailboxes?")
    client.force_login(nora)
    response = client.post(
        url("answer", cedar_claim),
        {"answer-body": "", "answer-file-TOTAL_FORMS": "3", "answer-file-INITIAL_FORMS": "0"},
        follow=True,
    )
    assert messages.ANSWER_EMPTY in body(response)
    cedar_claim.refresh_from_db()
    assert cedar_claim.state == ClaimState.INFO_REQUESTED


def test_claimant_never_sees_an_internal_note(client, reviewer_user, alice, acme_claim):
    note = "Acme is a known serial claimant; check the ping host carefully."
    client.force_login(reviewer_user)
    client.post(url("review-note", acme_claim), {"note-body": note})
    client.post(url("message-post", acme_claim), {"message-body": "We are looking into it."})
    html = body(client.get(url("review", acme_claim)))
    assert note in html and "Internal note — staff only" in html

    client.force_login(alice)
    html = body(client.get(url("detail", acme_claim)))
    assert "We are looking into it." in html
    assert note not in html
    assert "Internal note" not in html
    assert [m.body for m in Message.objects.visible_to(alice)] == ["We are looking into it."]


def test_messages_with_attachments_both_ways(client, reviewer_user, alice, acme_claim):
    client.force_login(alice)
    response = client.post(
        url("message-post", acme_claim),
        {"message-body": "Here is a second log.", "message-file": upload("second.txt")},
        follow=True,
    )
    assert response.redirect_chain == [(url("detail", acme_claim), 302)]
    assert "Message sent." in body(response)
    attachment = MessageFile.objects.get()
    assert attachment.display_name == "second.txt"

    empty = client.post(url("message-post", acme_claim), {"message-body": ""}, follow=True)
    assert messages.MESSAGE_EMPTY in body(empty)

    client.force_login(reviewer_user)
    html = body(client.get(url("review", acme_claim)))
    download = url("message-file", acme_claim, attachment.message_id, attachment.pk)
    assert "Here is a second log." in html and download in html
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="second.txt"')
    reply = client.post(url("message-post", acme_claim), {"message-body": "Thanks, received."})
    assert reply["Location"] == url("review", acme_claim)
    assert Claim.objects.get(pk=acme_claim.pk).state == ClaimState.SUBMITTED


def test_queue_is_paginated_and_keeps_its_filters(
    client, monkeypatch, reviewer_user, acme_claim, cedar_claim
):
    client.force_login(reviewer_user)
    response, html = page(client, QUEUE, due_before="2027-01-01", page_size=1)
    assert queue_refs(response) == [acme_claim.reference]
    cursor = response.context["page"].next_cursor
    link = f'href="?due_before=2027-01-01&amp;page_size=1&amp;after={cursor}"'
    assert link in response.content.decode()
    second = client.get(QUEUE, {"due_before": "2027-01-01", "page_size": 1, "after": cursor})
    assert queue_refs(second) == [cedar_claim.reference]


def test_posts_with_files_still_check_csrf(alice, acme_claim):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for path in [url("message-post", acme_claim), url("answer", acme_claim)]:
        response = client.post(path, {"message-body": "Forged", "answer-body": "Forged"})
        assert response.status_code == 403, path
    assert not Message.objects.exists()
