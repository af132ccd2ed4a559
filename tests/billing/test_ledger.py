"""From approval to the credit on the invoice: exactly once, within the caps, tax untouched,
carried forward, paid out on termination; the ledger itself refuses rewriting."""

import datetime as dt
from decimal import Decimal
from functools import partial

import pytest
import time_machine
from django.db import connection, transaction

from billing import services
from billing.escalation import credit_not_applied
from billing.models import BillingAccount, CreditEntry, CreditKind, GrantOutcome, Invoice
from billing.services import grants as grants_module
from billing.tasks import run_billing_once
from claims import services as claims
from portal.models import Organisation, User
from sla.models import Subscription
from tests.claims.conftest import END, START, ping_log, upload
from tests.helpers import at_once
from tests.scenarios import approved

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _one_reviewer_approves(settings):
    """Large credits here need no second reviewer, except where a test says otherwise."""
    settings.APPROVAL_SECOND_REVIEWER_ABOVE = Decimal("100000.00")


def settled(claim):
    """Billing finished with the credit of the claim's decision in force."""
    outcome = GrantOutcome.objects.filter(decision__in=claim.decisions.in_force()).first()
    return outcome is not None and outcome.settled_at is not None


def grants(claim):
    return list(CreditEntry.objects.filter(claim=claim, kind=CreditKind.GRANTED))


def test_a_grant_is_written_once(alice, acme_email, reviewer_user):
    # 47 min -> 3 complete blocks x 310.00 / 31 = 30.00
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    first = services.grant_credit(claim.pk)
    assert [(g.amount, g.service_month) for g in first] == [(Decimal("30.00"), dt.date(2026, 3, 1))]
    assert services.grant_credit(claim.pk) == []
    assert len(grants(claim)) == 1
    assert grants(claim)[0].actor == reviewer_user


def test_a_large_approval_is_granted_only_once_confirmed(
    settings, alice, acme_email, reviewer_user
):
    settings.APPROVAL_SECOND_REVIEWER_ABOVE = Decimal("20.00")
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    assert services.grant_credit(claim.pk) == []  # waiting for the second reviewer
    second = User.objects.get(email="reviewer2@provider.example")
    claims.confirm_approval(claim=claim, by=second)
    [grant] = services.grant_credit(claim.pk)
    assert (grant.amount, grant.actor) == (Decimal("30.00"), second)


def test_a_claim_across_months_grants_each_month(nora, cedar_exchange, reviewer_user):
    # groupspark, policy time UTC-05:00: 2026-03-31 23:00 to 2026-04-01 01:00 EST.
    # March: 60 min -> 1 hour -> 720/720 = 1.00; April: 60 min -> 1.00.
    claim = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 4, 1, 4, tzinfo=UTC),
        dt.datetime(2026, 4, 1, 6, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    services.grant_credit(claim.pk)
    assert sorted((g.service_month, g.amount) for g in grants(claim)) == [
        (dt.date(2026, 3, 1), Decimal("1.00")),
        (dt.date(2026, 4, 1), Decimal("1.00")),
    ]
    # Northwind IT is invoiced for Cedar Bakery: the credit lands on the reseller's account.
    assert grants(claim)[0].billing_account.organisation.name == "Northwind IT"


def test_an_overridden_amount_is_spread_over_the_months(nora, cedar_exchange, reviewer_user):
    claim = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 4, 1, 4, tzinfo=UTC),
        dt.datetime(2026, 4, 1, 6, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
        amount=Decimal("3.01"),
        reason="Goodwill for the second hour.",
    )
    services.grant_credit(claim.pk)
    # 3.01 over two equal engine months: 1.51 (rounded half up) and the remaining 1.50.
    assert sorted(g.amount for g in grants(claim)) == [Decimal("1.50"), Decimal("1.51")]


def test_groupspark_service_month_cap(nora, cedar_exchange, reviewer_user):
    # Two 15-day outages in March on a 720.00 fee: each is 360 hours -> 360.00; and a third of
    # 1 day -> 24.00. Together 744.00 > the cap of 720.00: the third is cut to 0.00 left... so:
    # first 360.00, second 360.00, third cut to nothing (no entry).
    a = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 3, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 3, 16, 5, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    b = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 3, 16, 5, tzinfo=UTC),
        dt.datetime(2026, 3, 31, 5, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    c = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 3, 31, 5, tzinfo=UTC),
        dt.datetime(2026, 4, 1, 5, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    for claim in (a, b, c):
        services.grant_credit(claim.pk)
    assert [g.amount for g in grants(a)] == [Decimal("360.00")]
    assert [g.amount for g in grants(b)] == [Decimal("360.00")]
    assert grants(c) == []
    account = BillingAccount.for_account(cedar_exchange.organisation)
    assert services.granted_in(
        account, month=dt.date(2026, 3, 1), subscription=cedar_exchange
    ) == Decimal("720.00")


def test_onepointsync_account_month_cap_across_services(alice, acme_email, reviewer_user):
    # Acme's recurring charge: 310 + 450 + 93 = 853.00 a month (no invoice yet: the fees stand in).
    voip = Subscription.objects.get(organisation__name="Acme Dental", service__slug="voip")
    # VoIP down 2 days in March: 192 blocks x 450/31 = 2787.10, capped by the engine at 853.00.
    first = approved(
        alice,
        voip,
        dt.datetime(2026, 3, 2, tzinfo=UTC),
        dt.datetime(2026, 3, 4, tzinfo=UTC),
        reviewer=reviewer_user,
    )
    second = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    services.grant_credit(first.pk)
    services.grant_credit(second.pk)
    assert [g.amount for g in grants(first)] == [Decimal("853.00")]
    assert grants(second) == []  # nothing of the month's cap is left


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_ten_approvals_at_once_never_pass_the_cap(live_demo):
    nora = User.objects.get(email="nora@northwind-it.example")
    reviewer = User.objects.get(email="reviewer1@provider.example")
    cedar = Subscription.objects.get(
        organisation__name="Cedar Bakery", service__slug="hosted-exchange"
    )
    # Ten non-overlapping 3-day outages in March: 72 hours each -> 72.00 x 10 = 720.00, plus an
    # eleventh of 1 day (24.00): 744.00 claimed against a 720.00 cap.
    claims_ = []
    for n in range(11):
        start = dt.datetime(2026, 3, 1, 5, tzinfo=UTC) + dt.timedelta(days=3 * n)
        length = dt.timedelta(days=3 if n < 10 else 1)
        claims_.append(
            approved(nora, cedar, start, start + length, reviewer=reviewer, representation=True)
        )
    outcomes = at_once(*(partial(services.grant_credit, claim.pk) for claim in claims_))
    assert [repr(o) for o in outcomes if isinstance(o, Exception)] == []
    account = BillingAccount.for_account(cedar.organisation)
    assert services.granted_in(account, month=dt.date(2026, 3, 1), subscription=cedar) == Decimal(
        "720.00"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_runs_and_grant_tasks_at_once_leave_one_effect(live_demo):
    reviewer = User.objects.get(email="reviewer1@provider.example")
    alice = User.objects.get(email="alice@acme-dental.example")
    nora = User.objects.get(email="nora@northwind-it.example")
    acme = Subscription.objects.get(organisation__name="Acme Dental", service__slug="email")
    cedar = Subscription.objects.get(
        organisation__name="Cedar Bakery", service__slug="hosted-exchange"
    )
    claims_ = [
        approved(alice, acme, START, END, reviewer=reviewer),
        approved(nora, cedar, START, END, reviewer=reviewer, representation=True),
    ]
    now = dt.datetime(2026, 4, 2, 12, tzinfo=UTC)
    outcomes = at_once(
        *[partial(run_billing_once, now)] * 3,
        *(partial(services.grant_credit, claim.pk, now=now) for claim in claims_),
    )
    assert [repr(o) for o in outcomes if isinstance(o, Exception)] == []
    # One April draft per billed party, each claim granted once and applied once, in full.
    drafts = Invoice.objects.filter(cycle_start=dt.date(2026, 4, 1))
    assert sorted(drafts.values_list("billing_account__organisation__name", flat=True)) == [
        "Acme Dental",
        "Birch Legal",
        "Northwind IT",
    ]
    for claim in claims_:
        decision = claim.decisions.get()
        entries = CreditEntry.objects.filter(claim=claim)
        assert sorted(entries.values_list("kind", "amount")) == [
            ("applied", decision.amount),
            ("granted", decision.amount),
        ]
        assert entries.get(kind=CreditKind.APPLIED).invoice.cycle_start == dt.date(2026, 4, 1)
        assert claim.grant_outcomes.get().granted == decision.amount


def test_one_partys_bad_data_holds_back_only_that_party(
    alice, acme_email, nora, cedar_exchange, reviewer_user, monkeypatch, caplog
):
    acme = approved(alice, acme_email, START, END, reviewer=reviewer_user)
    cedar = approved(nora, cedar_exchange, START, END, reviewer=reviewer_user, representation=True)
    grant_key = grants_module.grant_key

    def broken_for_cedar(award):
        if award.claim_id == cedar.pk:
            raise ValueError("award cannot be read")
        return grant_key(award)

    monkeypatch.setattr(grants_module, "grant_key", broken_for_cedar)
    now = dt.datetime(2026, 4, 2, 12, tzinfo=UTC)
    run_billing_once(now)
    # Northwind IT (billed for Cedar Bakery) is left for the next run, and staff are told;
    # Acme Dental and Birch Legal, in the same chunk, are billed and credited.
    assert "billing account" in caplog.text and "award cannot be read" in caplog.text
    drafts = Invoice.objects.filter(cycle_start=dt.date(2026, 4, 1))
    assert sorted(drafts.values_list("billing_account__organisation__name", flat=True)) == [
        "Acme Dental",
        "Birch Legal",
    ]
    assert CreditEntry.objects.filter(claim=acme, kind=CreditKind.APPLIED).exists()
    assert not CreditEntry.objects.filter(claim=cedar).exists()

    monkeypatch.setattr(grants_module, "grant_key", grant_key)  # the data is mended
    run_billing_once(now)
    assert drafts.count() == 3
    assert CreditEntry.objects.filter(claim=cedar, kind=CreditKind.APPLIED).get().amount == (
        Decimal("1.00")
    )


def test_apply_puts_credit_on_the_impacted_line_and_leaves_tax_alone(
    alice, acme_email, reviewer_user
):
    account = BillingAccount.for_account(acme_email.organisation)
    BillingAccount.objects.filter(pk=account.pk).update(tax_rate=Decimal("0.0825"))
    account.refresh_from_db()
    invoice = services.draft_invoice(account, dt.date(2026, 4, 5))
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    services.grant_credit(claim.pk)
    services.apply_credits(account.pk)
    services.apply_credits(account.pk)  # twice: nothing more
    applied = CreditEntry.objects.get(kind=CreditKind.APPLIED)
    assert applied.invoice_line.subscription == acme_email
    totals = invoice.totals()
    # Fees 310 + 450 + 93 = 853.00; tax 8.25 % of each fee: 25.58 + 37.13 + 7.67 = 70.38
    # (unchanged by the credit); credit 30.00; total 853.00 + 70.38 - 30.00 = 893.38.
    assert totals == {
        "fees": Decimal("853.00"),
        "tax": Decimal("70.38"),
        "credits": Decimal("30.00"),
        "total": Decimal("893.38"),
        "paid": Decimal("0.00"),
        "balance": Decimal("893.38"),
    }


def test_carry_forward_then_apply_on_the_next_invoice(nora, cedar_exchange, reviewer_user):
    account = BillingAccount.for_account(cedar_exchange.organisation)
    # Two claims in two months, 720.00 each, against one 720.00 line per invoice.
    march = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 3, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 3, 31, 5, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    feb = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 2, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 3, 1, 5, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    services.grant_credit(march.pk)
    services.grant_credit(feb.pk)
    april = services.draft_invoice(account, dt.date(2026, 4, 5))
    services.apply_credits(account.pk)
    applied = CreditEntry.objects.filter(kind=CreditKind.APPLIED, invoice=april)
    carried = CreditEntry.objects.filter(kind=CreditKind.CARRIED, invoice=april)
    assert sum(e.amount for e in applied) == Decimal("720.00")  # the line's fee, no more
    assert sum(e.amount for e in carried) == Decimal("672.00")  # Feb: 672 hours -> 672.00
    services.issue_invoice(april, now=dt.datetime(2026, 5, 1, 6, tzinfo=UTC))
    may = services.draft_invoice(account, dt.date(2026, 5, 5))
    services.apply_credits(account.pk)
    assert sum(
        e.amount for e in CreditEntry.objects.filter(kind=CreditKind.APPLIED, invoice=may)
    ) == Decimal("672.00")
    for grant in CreditEntry.objects.filter(kind=CreditKind.GRANTED):
        assert services.open_amount(grant) == 0


def test_terminated_reseller_is_paid_out(nora, cedar_exchange, reviewer_user):
    claim = approved(
        nora,
        cedar_exchange,
        START,
        END,
        reviewer=reviewer_user,
        representation=True,
    )
    services.grant_credit(claim.pk)
    account = BillingAccount.for_account(cedar_exchange.organisation)
    assert services.pay_out_terminated(account.pk) == []  # still trading: credit only
    Organisation.objects.filter(name="Northwind IT").update(
        standing=Organisation.Standing.TERMINATED
    )
    [payout] = services.pay_out_terminated(account.pk)
    assert (payout.kind, payout.amount) == (CreditKind.PAID_OUT, Decimal("1.00"))
    assert services.pay_out_terminated(account.pk) == []


def test_onepointsync_credit_is_never_paid_out(alice, acme_email, reviewer_user):
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    services.grant_credit(claim.pk)
    Organisation.objects.filter(name="Acme Dental").update(
        standing=Organisation.Standing.TERMINATED
    )
    assert services.pay_out_terminated(BillingAccount.for_account(acme_email.organisation).pk) == []


def test_apply_by_request_on_the_last_day_of_a_cycle(nora, cedar_exchange, reviewer_user):
    # Received 2026-03-31 23:30 EST (04:30 UTC on 1 April): March's cycle; due by 31 May.
    received = dt.datetime(2026, 4, 1, 4, 30, tzinfo=UTC)
    with time_machine.travel(received, tick=False):
        claim = approved(
            nora,
            cedar_exchange,
            START,
            END,
            reviewer=reviewer_user,
            representation=True,
        )
    assert claim.apply_by == dt.date(2026, 5, 31)
    # The billing run on the days that follow: April's draft gets the credit, is issued at the
    # start of May; the credit is on an invoice long before the end of May.
    for day in (dt.datetime(2026, 4, 1, 6, tzinfo=UTC), dt.datetime(2026, 5, 1, 6, tzinfo=UTC)):
        run_billing_once(day)
    applied = CreditEntry.objects.get(claim=claim, kind=CreditKind.APPLIED)
    assert applied.invoice.cycle_start == dt.date(2026, 4, 1)
    assert applied.invoice.status == "issued"
    assert applied.invoice.issued_at.date() <= claim.apply_by


def test_a_resellers_anchor_day_sets_its_cycles_and_its_claims_apply_by(
    nora, cedar_exchange, reviewer_user
):
    Organisation.objects.filter(name="Northwind IT").update(billing_anchor_day=15)
    # Received 2026-03-20 EST: in Northwind's cycle 15 March - 14 April; two cycles after it
    # end on 14 June (not 31 May, as calendar months would have it).
    with time_machine.travel(dt.datetime(2026, 3, 20, 17, tzinfo=UTC), tick=False):
        claim = approved(
            nora, cedar_exchange, START, END, reviewer=reviewer_user, representation=True
        )
    assert claim.apply_by == dt.date(2026, 6, 14)
    run_billing_once(dt.datetime(2026, 4, 2, 12, tzinfo=UTC))
    applied = CreditEntry.objects.get(claim=claim, kind=CreditKind.APPLIED)
    cycle = (applied.invoice.cycle_start, applied.invoice.cycle_end)
    assert cycle == (dt.date(2026, 3, 15), dt.date(2026, 4, 15))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_the_ledger_refuses_raw_updates_and_deletes(alice, acme_email, reviewer_user):
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    services.grant_credit(claim.pk)
    for statement in (
        "UPDATE billing_creditentry SET amount = 999",
        "DELETE FROM billing_creditentry",
    ):
        with pytest.raises(Exception, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert CreditEntry.objects.get().amount == Decimal("30.00")


def test_overdue_invoice_takes_the_account_out_of_good_standing(acme_email):
    account = BillingAccount.for_account(acme_email.organisation)
    invoice = services.draft_invoice(account, dt.date(2026, 4, 5))
    services.issue_invoice(invoice, now=dt.datetime(2026, 5, 1, tzinfo=UTC))
    services.mark_overdue(dt.datetime(2026, 6, 15, tzinfo=UTC))
    acme = Organisation.objects.get(name="Acme Dental")
    assert acme.standing == Organisation.Standing.OVERDUE
    services.record_payment(Invoice.objects.get(pk=invoice.pk), invoice.totals()["total"])
    acme.refresh_from_db()
    assert acme.standing == Organisation.Standing.GOOD


def test_an_invoice_with_nothing_to_pay_is_paid_on_issue_and_never_overdue(acme_email):
    # A former customer: every subscription ended before April's cycle, so its April invoice
    # has no fee. Nothing is due, so it can never be paid by a payment, nor go overdue.
    Subscription.objects.filter(organisation=acme_email.organisation).update(
        ends_at=dt.datetime(2026, 3, 20, tzinfo=UTC)
    )
    account = BillingAccount.for_account(acme_email.organisation)
    invoice = services.draft_invoice(account, dt.date(2026, 4, 5))
    assert invoice.totals()["total"] == Decimal("0.00")
    invoice = services.issue_invoice(invoice, now=dt.datetime(2026, 5, 1, tzinfo=UTC))
    assert (invoice.status, invoice.number) == ("paid", f"INV-{account.pk:05d}-20260401")
    services.mark_overdue(dt.datetime(2026, 6, 15, tzinfo=UTC))
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert Organisation.objects.get(name="Acme Dental").standing == Organisation.Standing.GOOD


def test_a_correction_granting_a_new_month_reopens_the_claim_until_applied(
    nora, cedar_exchange, reviewer_user
):
    # groupSPARK, EST: 2026-03-31 23:00 to 2026-04-01 01:00. Settled first as March's hour only.
    start, end = dt.datetime(2026, 4, 1, 4, tzinfo=UTC), dt.datetime(2026, 4, 1, 6, tzinfo=UTC)
    claim = claims.file_claim(
        by=nora,
        data=claims.ClaimInput(
            subscriptions=(cedar_exchange,),
            period_start=start,
            period_end=end,
            basis="Down.",
            representation=True,
        ),
        uploads=[(upload(content=ping_log(start, end)), "ping")],
    )
    march_hour = [(start, start + dt.timedelta(hours=1))]
    claims.settle(claim=claim, by=reviewer_user, intervals=march_hour, maintenance=[])
    claims.approve(claim=claim, by=reviewer_user)
    account = BillingAccount.for_account(cedar_exchange.organisation)
    services.draft_invoice(account, dt.date(2026, 4, 5))
    services.grant_credit(claim.pk)
    services.apply_credits(account.pk)
    assert settled(claim)  # March's 1.00 is on the April invoice

    # The reviewer corrects: the whole period, so April's hour too -> a new grant (1.00).
    second = User.objects.get(email="reviewer2@provider.example")
    claims.settle(claim=claim, by=second, intervals=[(start, end)], maintenance=[])
    claims.approve(claim=claim, by=second, reason="April's hour counts too.")
    [april] = services.grant_credit(claim.pk)
    assert (april.service_month, april.amount) == (dt.date(2026, 4, 1), Decimal("1.00"))
    assert not settled(claim)  # open credit again: apply-by escalation resumes
    assert claim in credit_not_applied(type(claim).objects.all())
    services.apply_credits(account.pk)
    assert settled(claim)


def test_a_claim_cut_to_nothing_by_its_cap_is_done_not_retried(nora, cedar_exchange, reviewer_user):
    a = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 3, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 3, 31, 5, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    b = approved(
        nora,
        cedar_exchange,
        dt.datetime(2026, 3, 31, 5, tzinfo=UTC),
        dt.datetime(2026, 4, 1, 4, tzinfo=UTC),
        reviewer=reviewer_user,
        representation=True,
    )
    services.grant_credit(a.pk)  # 720 hours -> 720.00: the whole March cap
    assert services.grant_credit(b.pk) == []  # 23 hours -> 23.00, nothing left of the cap
    assert b.grant_outcomes.get().cut_by_caps == Decimal("23.00")
    assert list(services.claims_awaiting_grant()) == []


def test_onepointsync_waits_for_the_months_payment(alice, acme_email, reviewer_user):
    account = BillingAccount.for_account(acme_email.organisation)
    march = services.draft_invoice(account, dt.date(2026, 3, 5))
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    # March's recurring charge is not paid yet: the cap is unknown, the grant waits.
    assert services.grant_credit(claim.pk) == []
    assert list(services.claims_awaiting_grant()) == [claim]
    march = services.issue_invoice(march, now=dt.datetime(2026, 4, 1, tzinfo=UTC))
    services.record_payment(march, march.totals()["total"])
    [grant] = services.grant_credit(claim.pk)
    assert grant.amount == Decimal("30.00")
    assert list(services.claims_awaiting_grant()) == []


def test_a_correction_to_rejected_reverses_the_open_credit(alice, acme_email, reviewer_user):
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    [grant] = services.grant_credit(claim.pk)
    second = User.objects.get(email="reviewer2@provider.example")
    claims.reject(claim=claim, by=second, reason="Their own router failed.")
    run_billing_once(dt.datetime(2026, 4, 2, tzinfo=UTC))
    [reversal] = CreditEntry.objects.filter(kind=CreditKind.REVERSED)
    assert (reversal.grant, reversal.amount, reversal.actor) == (grant, Decimal("30.00"), second)
    assert services.open_amount(grant) == 0
    run_billing_once(dt.datetime(2026, 4, 3, tzinfo=UTC))
    assert CreditEntry.objects.filter(kind=CreditKind.REVERSED).count() == 1


def test_a_correction_to_less_reverses_the_difference(alice, acme_email, reviewer_user):
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    [grant] = services.grant_credit(claim.pk)
    second = User.objects.get(email="reviewer2@provider.example")
    claims.approve(
        claim=claim, by=second, amount=Decimal("10.00"), reason="Only 15 minutes proven."
    )
    [reversal] = services.grant_credit(claim.pk)
    assert (reversal.kind, reversal.amount, reversal.grant) == (
        CreditKind.REVERSED,
        Decimal("20.00"),
        grant,
    )
    assert services.open_amount(grant) == Decimal("10.00")
    assert services.grant_credit(claim.pk) == []
    assert list(services.claims_awaiting_grant()) == []


def test_a_claim_is_settled_once_its_credit_is_on_an_invoice(alice, acme_email, reviewer_user):
    account = BillingAccount.for_account(acme_email.organisation)
    claim = approved(
        alice,
        acme_email,
        START,
        END,
        reviewer=reviewer_user,
    )
    services.grant_credit(claim.pk)
    assert claim in credit_not_applied(type(claim).objects.all())  # granted, not applied
    services.draft_invoice(account, dt.date(2026, 4, 5))
    services.apply_credits(account.pk)
    assert settled(claim)
    assert claim not in credit_not_applied(type(claim).objects.all())


def test_a_correction_to_more_is_recorded_not_granted_twice(alice, acme_email, reviewer_user):
    claim = approved(alice, acme_email, START, END, reviewer=reviewer_user)
    [grant] = services.grant_credit(claim.pk)
    second = User.objects.get(email="reviewer2@provider.example")
    decision = claims.approve(claim=claim, by=second, amount=Decimal("45.00"), reason="Goodwill.")
    assert services.grant_credit(claim.pk) == []
    outcome = decision.grant_outcome
    assert (outcome.granted, outcome.cut_by_caps) == (Decimal("30.00"), Decimal("15.00"))
    assert CreditEntry.objects.filter(kind=CreditKind.GRANTED).get() == grant
