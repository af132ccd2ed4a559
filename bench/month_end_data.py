"""Month-end data for bench.bench_month_end, written straight into PostgreSQL with COPY.

`accounts` customer accounts: half direct customers (OnePointSync: email, VoIP, remote
desktop), half end customers of resellers (groupSPARK: hosted Exchange, email, backup), ten to a
reseller. Each account has three subscriptions and ten incident intervals in March 2026 (policy
time); a fifth of them have an approved claim on one or two subscriptions for March, with the
settlement, approval decision and award rows the review would have written (decision amount =
settlement credit = the engine's per-month credits in `settlement.quotes` = the awards). Each
credit is under the subscription's fee and its cap, so the run grants it whole and applies it
whole. March has been invoiced already (issued 1 April and paid), as on a portal that has
billed before.

Rows are written as review and billing never write them (no services, no audit events): the
benchmark measures the month-end run, not the data's making. Django must be set up first.
"""

import datetime as dt
import io
import json
import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection

from billing.models import BillingAccount, Invoice, InvoiceLine, Payment
from claims.models import Award, CapBasis, Claim, ClaimLine, Decision, Settlement
from portal.models import Organisation, User
from sla.models import Incident, PolicyVersion, Service, Subscription

# The run's instant: mid-April 2026, so the April cycle is drafted and March's credits applied.
NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
END_CUSTOMERS_PER_RESELLER = 10
INCIDENTS_PER_ACCOUNT = 10
CLAIM_SHARE = 0.2
SUBSCRIBED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
MARCH_MONTH = dt.date(2026, 3, 1)  # the service month every claim is awarded for
# March 2026 in OnePointSync's policy time (UTC-07:00) lies inside these UTC bounds for both
# policies (groupSPARK is UTC-05:00); incidents and claims stay within it.
MARCH = (dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC), dt.datetime(2026, 3, 31, 20, tzinfo=dt.UTC))
PLANS = {
    # policy slug: (services, fee range in cents, apply-by date)
    "onepointsync": (("email", "voip", "remote-desktop"), (2_000, 30_000), dt.date(2026, 5, 31)),
    "groupspark": (
        ("hosted-exchange", "email", "data-backup"),
        (1_000, 12_000),
        dt.date(2026, 6, 30),
    ),
}


@dataclass
class Loaded:
    accounts: int
    billed: int  # billing accounts: direct customers and resellers
    subscriptions: int
    incidents: int
    claims: int
    grants: int  # one per claimed subscription and month
    credit: Decimal  # the sum of approved credit
    history: int  # rows of March's invoices, lines and payments

    def rows(self):
        return self.accounts + self.billed + self.subscriptions + 2 * self.incidents + self.history


def _text(value):
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def copy_rows(model, fields, rows):
    """COPY `rows` (tuples in the order of `fields`, model field names) into `model`'s table."""
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
    )
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(value) for value in row))
        buffer.write("\n")
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def _cents(value):
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def load(accounts, *, seed=2026):
    """Write the month-end data for `accounts` customer accounts into an empty, migrated
    database (the shipped services and policies only). Returns what was written."""
    rng = random.Random(seed)
    services = dict(Service.objects.values_list("slug", "pk"))
    service_names = dict(Service.objects.values_list("pk", "name"))
    versions = {
        version.policy.slug: version
        for version in PolicyVersion.objects.select_related("policy").filter(policy__slug__in=PLANS)
    }
    nobody = make_password(None)  # nobody logs in as these
    reviewer = User.objects.create(email="bench-reviewer@provider.example", password=nobody)
    claimant = User.objects.create(email="bench-claimant@customer.example", password=nobody)

    end_customers = accounts // 2
    direct = accounts - end_customers
    resellers = math.ceil(end_customers / END_CUSTOMERS_PER_RESELLER)
    organisations, billing_accounts = [], []
    # (organisation id, policy slug) of every customer account
    customers = []
    next_id = 1
    for index in range(resellers):
        organisations.append((next_id, f"Bench reseller {index:06d}", "reseller", None))
        billing_accounts.append((len(billing_accounts) + 1, next_id, Decimal("0.0825"), 30))
        next_id += 1
    for index in range(direct):
        organisations.append((next_id, f"Bench customer {index:06d}", "customer", None))
        billing_accounts.append((len(billing_accounts) + 1, next_id, Decimal("0"), 30))
        customers.append((next_id, "onepointsync"))
        next_id += 1
    for index in range(end_customers):
        reseller = 1 + index // END_CUSTOMERS_PER_RESELLER
        organisations.append((next_id, f"Bench end customer {index:06d}", "customer", reseller))
        customers.append((next_id, "groupspark"))
        next_id += 1
    # organisation -> (its billing account, tax rate); end customers are billed to their reseller
    payer = {row[1]: (row[0], row[2]) for row in billing_accounts}
    names = {row[0]: row[1] for row in organisations}
    for org_id, _, _, reseller in organisations:
        if reseller is not None:
            payer[org_id] = payer[reseller]
    created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    copy_rows(
        Organisation,
        (
            "id",
            "name",
            "kind",
            "reseller",
            "standing",
            "billing_email",
            "billing_anchor_day",
            "created_at",
        ),
        ((*row, "good", "", 1, created) for row in organisations),
    )
    copy_rows(
        BillingAccount,
        ("id", "organisation", "tax_rate", "payment_terms_days"),
        billing_accounts,
    )

    subscriptions, incidents, affected = [], [], []
    claims, lines, settlements, decisions, awards = [], [], [], [], []
    claimed = set(rng.sample(range(len(customers)), round(len(customers) * CLAIM_SHARE)))
    grants, credit = 0, Decimal("0.00")
    billed = defaultdict(list)  # billing account -> its lines (subscription, description, fee, tax)
    span = (MARCH[1] - MARCH[0]).total_seconds() - 4 * 3600
    for index, (organisation, policy) in enumerate(customers):
        plan_services, (low, high), apply_by = PLANS[policy]
        own = []
        for slug in plan_services:
            subscription_id = len(subscriptions) + 1
            fee = _cents(rng.randint(low, high))
            subscriptions.append(
                (
                    subscription_id,
                    organisation,
                    services[slug],
                    versions[policy].policy_id,
                    fee,
                    "USD",
                    SUBSCRIBED,
                    None,
                )
            )
            own.append((subscription_id, services[slug], fee))
            billing_account, tax_rate = payer[organisation]
            billed[billing_account].append(
                (
                    subscription_id,
                    f"{service_names[services[slug]]} - {names[organisation]}",
                    fee,
                    (fee * tax_rate).quantize(Decimal("0.01"), ROUND_HALF_UP),
                )
            )
        outages = []
        for _ in range(INCIDENTS_PER_ACCOUNT):
            start = MARCH[0] + dt.timedelta(seconds=rng.randrange(int(span)))
            end = start + dt.timedelta(minutes=rng.choice((5, 15, 30, 60, 120, 240)))
            subscription_id, service, _ = rng.choice(own)
            incident_id = len(incidents) + 1
            incidents.append((incident_id, service, start, end, False, "Outage", start))
            affected.append((incident_id, organisation))
            outages.append((subscription_id, start, end))
        if index not in claimed:
            continue
        claim_id = len(claims) + 1
        _, start, end = outages[0]
        hit = rng.sample(own, rng.choice((1, 1, 2)))
        quotes, total = [], Decimal("0.00")
        for subscription_id, _, fee in hit:
            amount = _cents(rng.randint(100, min(3_000, int(fee * 50))))
            quotes.append(
                {
                    "subscription": subscription_id,
                    "credit": str(amount),
                    "months": [{"month": "2026-03", "credit": str(amount)}],
                }
            )
            lines.append((claim_id, subscription_id, start, end, True))
            awards.append((claim_id, claim_id, subscription_id, MARCH_MONTH, amount, policy))
            total += amount
            grants += 1
        credit += total
        received = dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)
        claims.append(
            (
                claim_id,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                organisation,
                claimant.pk,
                versions[policy].pk,
                start,
                end,
                "UTC",
                "The service was down.",
                policy == "groupspark",
                "approved",
                received,
                received + dt.timedelta(days=3),
                received,
                received + dt.timedelta(days=10),
                apply_by,
            )
        )
        interval = {"start": start.isoformat(), "end": end.isoformat(), "exception": None}
        settlements.append(
            (claim_id, claim_id, 1, [interval], [], total, quotes, "", reviewer.pk, received)
        )
        decisions.append(
            (claim_id, claim_id, 1, "approve", total, total, "", claim_id, reviewer.pk, received)
        )

    copy_rows(
        Subscription,
        (
            "id",
            "organisation",
            "service",
            "policy",
            "monthly_fee",
            "currency",
            "starts_at",
            "ends_at",
        ),
        subscriptions,
    )
    copy_rows(
        Incident,
        ("id", "service", "starts_at", "ends_at", "affects_all", "summary", "created_at"),
        incidents,
    )
    copy_rows(Incident.organisations.through, ("incident", "organisation"), affected)
    copy_rows(
        Claim,
        (
            "id",
            "public_id",
            "account",
            "filed_by",
            "policy_version",
            "period_start",
            "period_end",
            "entered_timezone",
            "basis",
            "representation",
            "state",
            "created_at",
            "updated_at",
            "submitted_at",
            "decision_due_at",
            "apply_by",
        ),
        claims,
    )
    copy_rows(ClaimLine, ("claim", "subscription", "period_start", "period_end", "live"), lines)
    copy_rows(
        Settlement,
        (
            "id",
            "claim",
            "number",
            "intervals",
            "maintenance",
            "credit",
            "quotes",
            "reason",
            "created_by",
            "created_at",
        ),
        settlements,
    )
    copy_rows(
        Decision,
        (
            "id",
            "claim",
            "sequence",
            "kind",
            "amount",
            "engine_amount",
            "reason",
            "settlement",
            "decided_by",
            "decided_at",
        ),
        decisions,
    )
    cap_basis = {"onepointsync": CapBasis.MRC_PAID, "groupspark": CapBasis.SERVICE_FEE}
    received = dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)
    copy_rows(
        Award,
        ("decision", "claim", "subscription", "service_month", "amount", "cap_basis", "created_at"),
        ((*row[:5], cap_basis[row[5]], received) for row in awards),
    )
    history = _march_invoices(billed)
    models = [
        Organisation,
        BillingAccount,
        Subscription,
        Incident,
        Incident.organisations.through,
        Claim,
        ClaimLine,
        Settlement,
        Decision,
        Award,
        Invoice,
        InvoiceLine,
        Payment,
    ]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    return Loaded(
        accounts=accounts,
        billed=len(billing_accounts),
        subscriptions=len(subscriptions),
        incidents=len(incidents),
        claims=len(claims),
        grants=grants,
        credit=credit,
        history=history,
    )


def _march_invoices(billed):
    """March's invoices, issued on 1 April and paid: the portal has billed before, so the run
    meets tables of the size (and statistics) a month-end really finds. Returns the rows."""
    invoices, lines, payments = [], [], []
    issued = dt.datetime(2026, 4, 1, 6, tzinfo=dt.UTC)
    for billing_account, rows in sorted(billed.items()):
        invoice_id = len(invoices) + 1
        invoices.append(
            (
                invoice_id,
                billing_account,
                f"INV-{billing_account:05d}-20260301",
                dt.date(2026, 3, 1),
                dt.date(2026, 4, 1),
                "paid",
                issued,
                dt.date(2026, 5, 1),
                dt.datetime(2026, 3, 1, 6, tzinfo=dt.UTC),
            )
        )
        for subscription_id, description, fee, tax in rows:
            lines.append((len(lines) + 1, invoice_id, subscription_id, description, fee, tax))
        total = sum(fee + tax for _, _, fee, tax in rows)
        payments.append((invoice_id, invoice_id, total, issued + dt.timedelta(days=5), "bench"))
    copy_rows(
        Invoice,
        (
            "id",
            "billing_account",
            "number",
            "cycle_start",
            "cycle_end",
            "status",
            "issued_at",
            "due_on",
            "created_at",
        ),
        invoices,
    )
    copy_rows(InvoiceLine, ("id", "invoice", "subscription", "description", "amount", "tax"), lines)
    copy_rows(Payment, ("id", "invoice", "amount", "received_at", "reference"), payments)
    return len(invoices) + len(lines) + len(payments)
