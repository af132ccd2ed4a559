"""The capped claim end to end: approved 580.65, cut by the account-month cap to 93.52 because
759.48 of Acme's 853.00 March cap was granted to another claim. The claim page, the mails and
the API show one credit status that names the cut; the estimator read the cap's use from the
ledger; statuses for a page of claims cost a constant number of queries."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services as billing
from billing.models import BillingAccount
from claims import services as claims
from claims import status
from claims.models import Claim, Notification
from portal.models import User
from sla.models import Subscription
from tests.scenarios import approved

pytestmark = pytest.mark.django_db
UTC = dt.UTC
SITE = "http://portal.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def reviewer2(demo):
    return User.objects.get(email="reviewer2@provider.example")


@pytest.fixture
def voip(demo):
    return Subscription.objects.get(organisation__name="Acme Dental", service__slug="voip")


def text(response):
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


def mails(claim, prefix=""):
    return Notification.objects.filter(subject__startswith=f"Claim {claim.reference}: {prefix}")


@pytest.fixture
def capped(alice, acme_email, voip, reviewer_user, reviewer2):
    """March: 759.48 granted to a VoIP claim, then an e-mail claim approved at 580.65 (both
    above the second-reviewer threshold of 500.00, so each waits for reviewer2)."""
    first = approved(
        alice,
        voip,
        dt.datetime(2026, 3, 2, tzinfo=UTC),
        dt.datetime(2026, 3, 3, tzinfo=UTC),
        reviewer=reviewer_user,
        amount="759.48",
        reason="Agreed with the customer.",
    )
    claims.confirm_approval(claim=first, by=reviewer2)
    billing.grant_credit(first.pk)
    second = approved(
        alice,
        acme_email,
        reviewer=reviewer_user,
        amount="580.65",
        reason="The whole outage, as agreed.",
    )
    return first, second


def test_the_estimate_reads_the_cap_left_from_the_ledger(capped, acme_email):
    first, second = capped
    _, [(_, quote, _)] = second.estimate()
    assert quote.months[0].cap_left == Decimal("93.52")  # 853.00 less the 759.48 granted
    # A claim's own grant does not count against its own estimate.
    _, [(_, own, _)] = first.estimate()
    assert own.months[0].cap_left == Decimal("853.00")


def test_the_second_reviewer_is_told_an_approval_waits(capped, reviewer_user, reviewer2):
    _, second = capped
    [mail] = mails(second, "an approval of 580.65 USD waits")
    assert mail.recipient == reviewer2.email  # not the reviewer who approved it
    assert f"{SITE}/claims/{second.pk}/review/" in mail.body


def test_capped_claim_page_mails_and_api_agree_on_the_grant_and_name_the_cut(
    client, alice, capped, reviewer2
):
    first, second = capped
    claims.confirm_approval(claim=second, by=reviewer2)
    second.refresh_from_db()
    before = status.status_for(second)
    assert (before.stage, before.approved, before.granted) == (
        status.Stage.APPROVED,
        Decimal("580.65"),
        None,
    )
    [approval_mail] = mails(second, "Approved")
    assert "Credit approved: 580.65 USD, being granted" in approval_mail.body
    assert f"See the claim: {SITE}/claims/{second.pk}/" in approval_mail.body

    [grant] = billing.grant_credit(second.pk)
    assert grant.amount == Decimal("93.52")
    credit = status.status_for(Claim.objects.get(pk=second.pk))
    assert (credit.stage, credit.approved, credit.granted, credit.cut) == (
        status.Stage.GRANTED,
        Decimal("580.65"),
        Decimal("93.52"),
        Decimal("487.13"),
    )
    [reason] = credit.cut_reasons
    assert reason == (
        "2026-03: 487.13 USD cut by the cap on Acme Dental's credits for the month (the monthly "
        "recurring charge paid, 853.00 USD); 759.48 USD of it was already granted to "
        f"{first.reference}, leaving 93.52 USD."
    )
    assert credit.headline == (
        "Granted: 93.52 USD granted of 580.65 USD approved (487.13 USD cut by a cap)"
    )

    # The mail
    [granted_mail] = mails(second, "93.52 USD granted")
    assert granted_mail.subject == (
        f"Claim {second.reference}: 93.52 USD granted, 487.13 USD cut by a cap"
    )
    assert credit.headline in granted_mail.body and reason in granted_mail.body
    assert f"{SITE}/claims/{second.pk}/" in granted_mail.body

    # The claim page
    client.force_login(alice)
    page = text(client.get(f"/claims/{second.pk}/"))
    assert credit.headline in page and reason in page
    assert "a credit of 580.65" not in page
    assert f"What happens next: {credit.next_step}" in page

    # The API
    data = client.get(f"/api/v1/claims/{second.pk}/").json()["credit_status"]
    assert data == credit.as_dict()
    assert (data["granted"], data["cut"], data["cut_reasons"]) == ("93.52", "487.13", [reason])
    listed = {row["id"]: row for row in client.get("/api/v1/claims/").json()["results"]}
    assert listed[second.pk]["credit_status"] == data
    credits = client.get("/api/v1/credits/", {"account": second.account_id}).json()["results"]
    assert {(row["claim"], row["granted"]) for row in credits} == {
        (first.pk, "759.48"),
        (second.pk, "93.52"),
    }


def test_applied_then_the_status_names_the_invoice(alice, capped, reviewer2):
    _, second = capped
    claims.confirm_approval(claim=second, by=reviewer2)
    billing.grant_credit(second.pk)
    account = BillingAccount.for_account(second.account)
    invoice = billing.draft_invoice(account, dt.date(2026, 4, 5))
    billing.apply_credits(account.pk)
    credit = status.status_for(Claim.objects.get(pk=second.pk))
    assert credit.stage == status.Stage.APPLIED
    [applied] = credit.invoices
    assert (applied.invoice_id, applied.amount) == (invoice.pk, Decimal("93.52"))
    assert credit.open == Decimal("0.00")
    assert credit.next_step == status.NEXT[status.Stage.APPLIED]


def test_a_rejected_claim_says_so_not_that_staff_settle_it(
    client, alice, acme_email, reviewer_user
):
    claim = approved(alice, acme_email, reviewer=reviewer_user)
    claims.reject(claim=claim, by=reviewer_user, reason="Duplicate of a ticket.")
    client.force_login(alice)
    page = text(client.get(f"/claims/{claim.pk}/"))
    assert "Staff settle the final amount in review." not in page
    assert status.NEXT[status.Stage.REJECTED] in page


def test_statuses_for_a_page_cost_the_same_queries_for_one_claim_or_many(
    alice, acme_email, voip, reviewer_user, capped, reviewer2
):
    _, second = capped
    claims.confirm_approval(claim=second, by=reviewer2)
    billing.grant_credit(second.pk)
    page = Claim.objects.prefetch_related("lines__subscription")

    def queries(claims_):
        with CaptureQueriesContext(connection) as captured:
            status.statuses_for(claims_)
        return len(captured)

    one = list(page.filter(pk=second.pk))
    many = list(page.all())
    assert len(many) > 1
    assert queries(one) == queries(many)
