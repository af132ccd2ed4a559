"""A provider's portal at size, for `manage.py load_scale` and bench.bench_web: deterministic
generated data of realistic shape, written with COPY (bench.month_end_data.copy_rows).

- `accounts` customer accounts: half direct OnePointSync customers (email, VoIP, remote desktop,
  backup), half end customers of resellers on groupSPARK (hosted Exchange, email, backup): one
  large reseller with LARGE_RESELLER_CUSTOMERS of them, the rest ten to a reseller.
- `claims` claims, LARGE_RESELLER_SHARE of them at the large reseller, in every state (draft,
  submitted, under review, information requested, awaiting a second reviewer, approved,
  rejected, withdrawn), with corrections (approval lowered, approval turned into a rejection),
  settlements, decisions, awards, messages and internal notes, incidents over a part of them,
  short ping proofs on some, and `long_logs` claims with LONG_PROOFS proofs of LONG_LINES lines
  of iputils `ping -D` output each (attached through claims.services.attach_proof).
- Two paid cycles of invoice history, then the real billing run at NOW: it grants the awards,
  drafts the current cycle and applies or carries the credit (the ledger is what billing wrote).

Rows are what the services write (states, live lines, audit events, decisions, the engine's
quotes and the awards allocated from them) except the outbox: no mail is queued for history.
Times are fixed (NOW), so two loads of the same sizes are the same data.
"""

import datetime as dt
import hashlib
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from bench.month_end_data import copy_rows
from billing.models import BillingAccount, Invoice, InvoiceLine, Payment
from claims import deadlines
from claims.evidence import read_evidence
from claims.models import (
    Award,
    CapBasis,
    Claim,
    ClaimEvent,
    ClaimLine,
    Decision,
    Message,
    Proof,
    Settlement,
)
from claims.models.proof import proof_storage
from claims.services import attach_proof
from claims.services.awards import allocate, month_of
from claims.uploads import server_name
from portal.models import Membership, Organisation, Role, User
from portal.staff_groups import group_name, sync_staff_groups
from sla import engine
from sla.management.commands.load_demo import DEMO_PASSWORD, PROVIDER
from sla.models import Incident, Policy, Service, Subscription

NOW = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
FIRST_DAY = dt.date(2025, 11, 20)  # claimed periods fall between this day and RECENT's end
RECENT = 30  # days before NOW in which claims still waiting for review were filed
LARGE_RESELLER_CUSTOMERS = 300
LARGE_RESELLER_SHARE = 0.05  # of the claims
END_CUSTOMERS_PER_RESELLER = 10
LONG_PROOFS = 20
LONG_LINES = 5_000
SHORT_PROOF_SHARE = 0.05  # of the filed claims
CORRECTED_SHARE = 0.05  # of the approved and of the rejected claims
# The claims' states, in shares that sum to 1: ~0.8 ledger entries per claim at 100,000.
STATES = (
    (Claim.State.APPROVED, 0.30),
    (Claim.State.REJECTED, 0.25),
    (Claim.State.WITHDRAWN, 0.15),
    (Claim.State.DRAFT, 0.05),
    (Claim.State.SUBMITTED, 0.09),
    (Claim.State.UNDER_REVIEW, 0.08),
    (Claim.State.INFO_REQUESTED, 0.05),
    (Claim.State.AWAITING_SECOND, 0.03),
)
WAITING = {
    Claim.State.DRAFT,
    Claim.State.SUBMITTED,
    Claim.State.UNDER_REVIEW,
    Claim.State.INFO_REQUESTED,
    Claim.State.AWAITING_SECOND,
}
PLANS = {
    # policy slug: (services, fee range in cents)
    "onepointsync": (("email", "voip", "remote-desktop", "data-backup"), (4_000, 60_000)),
    "groupspark": (("hosted-exchange", "email", "data-backup"), (7_200, 144_000)),
}
SUBSCRIBED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DURATIONS = (20, 35, 50, 75, 120, 180, 300)  # minutes of a claimed outage
HISTORY_CYCLES = (dt.date(2026, 9, 1), dt.date(2026, 10, 1))  # invoiced before, and paid
LARGE_RESELLER = "Scale reseller (large)"
# The personas, printed at the end: (email, full name, role, organisation or None: the provider)
PERSONAS = (
    ("scale-reviewer1@provider.example", "Sam Scale-Reviewer", Role.REVIEWER, None),
    ("scale-reviewer2@provider.example", "Sasha Scale-Reviewer", Role.REVIEWER, None),
    ("scale-billing@provider.example", "Sid Scale-Billing", Role.BILLING, None),
    ("agent@scale-reseller-large.example", "Lena Large", Role.RESELLER_AGENT, LARGE_RESELLER),
    ("customer@scale-customer-000000.example", "Cody Customer", Role.CUSTOMER_MEMBER, 0),
)
BASES = (
    "Users could not log in from {start} for about {minutes} minutes; our ping tests failed.",
    "Outage of {service}: every connection timed out from {start} ({minutes} minutes).",
    "{service} unreachable from all offices from {start}, {minutes} minutes. Pings attached.",
)
MESSAGES = (
    "We have checked our monitoring for the period and see the same outage.",
    "Thank you, we are looking at the provider records for that window.",
    "Could this have been the scheduled maintenance announced that week?",
)
NOTES = ("Matches incident in the NOC log.", "Customer was told on the phone; waiting on NOC.")
HOSTS = (
    "mail",
    "owa",
    "autodiscover",
    "smtp",
    "imap",
    "voip",
    "sip",
    "rdp",
    "backup",
    "vpn",
    "portal",
    "api",
    "mx1",
    "mx2",
    "ns1",
    "ns2",
    "gw",
    "files",
    "sync",
    "exchange",
)


class NotEmpty(Exception):
    """The database already holds claims or scale data."""


@dataclass
class Loaded:
    accounts: int = 0
    organisations: int = 0
    subscriptions: int = 0
    claims: int = 0
    states: dict = field(default_factory=dict)
    proofs: int = 0
    messages: int = 0
    ledger: int = 0
    invoices: int = 0
    logins: list = field(default_factory=list)


def refuse_unless_empty():
    """Scale data goes into a database with no claims and no scale data yet (a fresh migrate,
    or `make run`'s demo): its rows take ids after the ones there, and names must not clash."""
    if Claim.objects.exists():
        raise NotEmpty("the database already holds claims")
    if Organisation.objects.filter(name__startswith="Scale ").exists():
        raise NotEmpty("the database already holds scale data")


def _next_id(model):
    return (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1


def _cents(value):
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


class _Generator:
    def __init__(self, accounts, claims, long_logs, seed):
        self.rng = random.Random(seed)
        self.accounts = accounts
        self.claims = claims
        self.long_logs = long_logs
        self.services = {s.slug: s for s in Service.objects.all()}
        self.policies = {p.slug: p for p in Policy.objects.filter(slug__in=PLANS)}
        self.terms = {slug: policy.terms_for() for slug, policy in self.policies.items()}
        self.versions = {}
        self.rows = {}

    def reserve_ids(self):
        """The next free id of every table written with explicit ids, after the rows there."""
        self.ids = {
            model: _next_id(model)
            for model in (
                Organisation,
                User,
                Subscription,
                Claim,
                Settlement,
                Decision,
                Message,
                Incident,
                BillingAccount,
                Invoice,
                InvoiceLine,
                Payment,
                Proof,
            )
        }

    def new_id(self, model):
        value = self.ids[model]
        self.ids[model] += 1
        return value

    def add(self, model, row):
        self.rows.setdefault(model, []).append(row)

    # --- people and accounts ----------------------------------------------------------------

    def people(self):
        sync_staff_groups()
        self.provider, _ = Organisation.objects.get_or_create(
            name=PROVIDER, defaults={"kind": Organisation.Kind.PROVIDER}
        )
        self.demo_hash = make_password(DEMO_PASSWORD)
        self.nobody = make_password(None)  # the generated claimants do not log in
        self.staff = {}
        for email, name, role, organisation in PERSONAS:
            if organisation is not None:
                continue
            user = User.objects.create(
                email=email, full_name=name, password=self.demo_hash, is_staff=True
            )
            user.groups.add(Group.objects.get(name=group_name(role)))
            Membership.objects.create(user=user, organisation=self.provider, role=role)
            self.staff[email] = user
        self.reviewers = [self.staff[PERSONAS[0][0]], self.staff[PERSONAS[1][0]]]

    def organisations(self):
        end_customers = self.accounts // 2
        direct = self.accounts - end_customers
        large = min(LARGE_RESELLER_CUSTOMERS, end_customers // 2)
        resellers = [(LARGE_RESELLER, large)]
        rest = end_customers - large
        for index in range(math.ceil(rest / END_CUSTOMERS_PER_RESELLER)):
            count = min(END_CUSTOMERS_PER_RESELLER, rest - index * END_CUSTOMERS_PER_RESELLER)
            resellers.append((f"Scale reseller {index:05d}", count))
        created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        self.customers = []  # (organisation id, policy slug, reseller id or None, name)
        self.filer = {}  # organisation id -> the user who files its claims
        self.billing_account = {}  # organisation id -> its payer's billing account id
        self.large_customers = []
        users = []
        for index in range(direct):
            org = self.new_id(Organisation)
            name = f"Scale customer {index:06d}"
            self.add(Organisation, (org, name, "customer", None, created))
            self.customers.append((org, "onepointsync", None, name))
            account = self.new_id(BillingAccount)
            self.add(BillingAccount, (account, org, Decimal("0"), 30))
            self.billing_account[org] = account
            persona = index == 0
            email = PERSONAS[4][0] if persona else f"it@scale-customer-{index:06d}.example"
            users.append(
                (email, PERSONAS[4][1] if persona else "", persona, org, "customer_member")
            )
        number = 0
        for reseller_name, count in resellers:
            reseller = self.new_id(Organisation)
            self.add(Organisation, (reseller, reseller_name, "reseller", None, created))
            account = self.new_id(BillingAccount)
            self.add(BillingAccount, (account, reseller, Decimal("0.0825"), 30))
            large = reseller_name == LARGE_RESELLER
            slug = reseller_name.lower().replace(" ", "-").replace("(", "").replace(")", "")
            email = PERSONAS[3][0] if large else f"agent@{slug}.example"
            users.append((email, PERSONAS[3][1] if large else "", large, reseller, "reseller"))
            for _ in range(count):
                org = self.new_id(Organisation)
                name = f"Scale end customer {number:06d}"
                number += 1
                self.add(Organisation, (org, name, "customer", reseller, created))
                self.customers.append((org, "groupspark", reseller, name))
                self.billing_account[org] = account
                if large:
                    self.large_customers.append(org)
        agents = {}
        for email, full_name, persona, org, kind in users:
            user = self.new_id(User)
            self.add(User, (user, email, full_name, self.demo_hash if persona else self.nobody))
            role = Role.RESELLER_AGENT if kind == "reseller" else Role.CUSTOMER_MEMBER
            self.add(Membership, (user, org, role, created))
            if kind == "reseller":
                agents[org] = user
            else:
                self.filer[org] = user
        for org, _, reseller, _ in self.customers:
            if reseller is not None:
                self.filer[org] = agents[reseller]

    def subscriptions(self):
        self.owned = {}  # organisation id -> [(subscription id, service slug, fee)]
        self.fees = {}  # organisation id -> the account's monthly recurring charge
        for org, policy, _, _ in self.customers:
            services, (low, high) = PLANS[policy]
            chosen = [services[0], *self.rng.sample(services[1:], self.rng.choice((1, 1, 2)))]
            own = []
            for slug in chosen:
                subscription = self.new_id(Subscription)
                fee = _cents(self.rng.randint(low, high))
                self.add(
                    Subscription,
                    (
                        subscription,
                        org,
                        self.services[slug].pk,
                        self.policies[policy].pk,
                        fee,
                        "USD",
                        SUBSCRIBED,
                        None,
                    ),
                )
                own.append((subscription, slug, fee))
            self.owned[org] = own
            self.fees[org] = sum(fee for _, _, fee in own)

    # --- claims -----------------------------------------------------------------------------

    def claim_plan(self):
        """(account, state) for every claim: the states in their shares (at least one of each),
        the large reseller's share of claims on its end customers, the rest spread."""
        states = []
        for state, share in STATES:
            states += [state] * max(1, round(self.claims * share))
        while len(states) > self.claims and len(states) > len(STATES):
            states.remove(Claim.State.APPROVED)
        self.rng.shuffle(states)
        large = round(len(states) * LARGE_RESELLER_SHARE) if self.large_customers else 0
        large_set = set(self.large_customers)
        others = [org for org, _, _, _ in self.customers if org not in large_set]
        plan = []
        for index, state in enumerate(states):
            pool = self.large_customers if index < large else others
            plan.append((self.rng.choice(pool), state))
        return plan

    def version(self, policy, instant):
        key = (policy, instant.date())
        if key not in self.versions:
            self.versions[key] = self.policies[policy].version_at(instant) or (
                self.policies[policy].versions.order_by("effective_from").first()
            )
        return self.versions[key]

    def claims_and_reviews(self):
        days_used = {}
        span = (NOW.date() - dt.timedelta(days=RECENT) - FIRST_DAY).days
        self.states = {}
        self.queue_claims = []  # (claim id, account) waiting for review, for long proofs
        for account, state in self.claim_plan():
            used = days_used.setdefault(account, set())
            if state in WAITING:
                low, count = NOW.date() - dt.timedelta(days=RECENT), RECENT - 6
            else:
                low, count = FIRST_DAY, span
            for _ in range(50):
                day = low + dt.timedelta(days=self.rng.randrange(count))
                if day not in used:
                    break
            else:
                continue  # this account is full: the claim goes elsewhere (fewer claims)
            used.add(day)
            self.states[state] = self.states.get(state, 0) + 1
            self.claim(account, state, day)

    def claim(self, account, state, day):
        rng = self.rng
        _, policy, _, _ = self._customer(account)
        claim_id = self.new_id(Claim)
        start = dt.datetime.combine(day, dt.time(rng.randrange(1, 18)), tzinfo=dt.UTC)
        start += dt.timedelta(minutes=rng.randrange(60))
        minutes = rng.choice(DURATIONS)
        end = start + dt.timedelta(minutes=minutes)
        own = self.owned[account]
        hit = [own[0]] if len(own) == 1 or rng.random() < 0.7 else rng.sample(own, 2)
        version = self.version(policy, start)
        filer = self.filer[account]
        created = end + dt.timedelta(hours=rng.randrange(2, 40))
        submitted = None if state == Claim.State.DRAFT else created + dt.timedelta(minutes=7)
        if state == Claim.State.WITHDRAWN and rng.random() < 0.3:
            submitted = None  # a draft withdrawn before filing was never received
        live = state in (
            Claim.State.SUBMITTED,
            Claim.State.UNDER_REVIEW,
            Claim.State.INFO_REQUESTED,
            Claim.State.AWAITING_SECOND,
            Claim.State.APPROVED,
        )
        service = self.services[hit[0][1]].name
        basis = rng.choice(BASES).format(
            start=f"{start:%Y-%m-%d %H:%M} UTC", minutes=minutes, service=service
        )
        events = [(created, filer, "created", "", "draft", "", {})]
        if submitted:
            events.append((submitted, filer, "submitted", "draft", "submitted", "", {}))
        for subscription, _, _ in hit:
            self.add(ClaimLine, (claim_id, subscription, start, end, live))
        if rng.random() < 0.5:  # the provider recorded the outage too
            incident = self.new_id(Incident)
            began = start + dt.timedelta(minutes=rng.randrange(0, 10))
            self.add(
                Incident,
                (
                    incident,
                    self.services[hit[0][1]].pk,
                    began,
                    began + dt.timedelta(minutes=max(5, minutes - 10)),
                    False,
                    f"{service} outage",
                    began,
                ),
            )
            self.add(Incident.organisations.through, (incident, account))
        at = (submitted or created) + dt.timedelta(hours=rng.randrange(4, 30))
        reviewer, second = rng.sample(self.reviewers, 2)
        if state not in (Claim.State.DRAFT, Claim.State.SUBMITTED, Claim.State.WITHDRAWN):
            events.append((at, reviewer, "review_started", "submitted", "under_review", "", {}))
        elif state == Claim.State.WITHDRAWN:
            events.append(
                (
                    at,
                    filer,
                    "withdrawn",
                    "submitted" if submitted else "draft",
                    "withdrawn",
                    "Resolved with the provider directly.",
                    {},
                )
            )
        if state == Claim.State.INFO_REQUESTED:
            question = "Please attach a ping test that covers the whole claimed period."
            at += dt.timedelta(hours=2)
            self.message(claim_id, reviewer, "info_request", question, at)
            events.append(
                (at, reviewer, "info_requested", "under_review", "info_requested", question, {})
            )
        decided = state in (Claim.State.APPROVED, Claim.State.REJECTED, Claim.State.AWAITING_SECOND)
        if decided or (state == Claim.State.UNDER_REVIEW and rng.random() < 0.4):
            at += dt.timedelta(hours=3)
            self.decide(
                claim_id, account, policy, state, hit, start, end, reviewer, second, at, events
            )
        if submitted and rng.random() < 0.25:
            body = rng.choice(MESSAGES)
            message = self.message(claim_id, reviewer, "message", body, at + dt.timedelta(hours=1))
            events.append(
                (
                    at + dt.timedelta(hours=1),
                    reviewer,
                    "message_posted",
                    "",
                    "",
                    "",
                    {"message": message},
                )
            )
        if submitted and rng.random() < 0.1:
            note = self.message(claim_id, reviewer, "note", rng.choice(NOTES), at, internal=True)
            events.append((at, reviewer, "note_added", "", "", "", {"message": note}))
        tz = engine.parse_timezone(self.policies[policy].timezone)
        anchor = 1
        self.add(
            Claim,
            (
                claim_id,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                account,
                filer.pk if isinstance(filer, User) else filer,
                version.pk,
                start,
                end,
                "UTC",
                basis,
                policy == "groupspark",
                state,
                created,
                max(e[0] for e in events),
                submitted,
                deadlines.decision_due(submitted, version.decision_days) if submitted else None,
                deadlines.apply_by(submitted, version.apply_by_cycles, tz, anchor)
                if submitted
                else None,
            ),
        )
        for at, actor, action, before, after, reason, data in events:
            actor_id = actor.pk if isinstance(actor, User) else actor
            self.add(ClaimEvent, (claim_id, actor_id, at, action, before, after, reason, data))
        if submitted and rng.random() < SHORT_PROOF_SHARE:
            self.short_proof(claim_id, filer, start, end, hit[0][1])
        if state == Claim.State.SUBMITTED:
            self.queue_claims.append((claim_id, account))

    def _customer(self, account):
        if not hasattr(self, "_by_org"):
            self._by_org = {c[0]: c for c in self.customers}
        return self._by_org[account]

    def message(self, claim_id, author, kind, body, at, internal=False):
        message = self.new_id(Message)
        author_id = author.pk if isinstance(author, User) else author
        self.add(Message, (message, claim_id, author_id, kind, body, internal, at))
        return message

    def decide(
        self, claim_id, account, policy, state, hit, start, end, reviewer, second, at, events
    ):
        """The settlement, the decisions and their awards, as review would have written them."""
        shared = self.version(policy, start).cap_basis == CapBasis.MRC_PAID
        total, quotes, credits = Decimal("0.00"), [], []
        for subscription, slug, fee in hit:
            request = engine.QuoteRequest(
                policy=policy,
                monthly_fee=fee,
                downtime=(engine.Downtime(start, end, None),),
                mrc_paid=self.fees[account],
                already_credited=total if shared else Decimal("0"),
            )
            quote = engine.quote(self.terms[policy], request)
            total += quote.credit
            quotes.append(
                {
                    "subscription": subscription,
                    "service": self.services[slug].name,
                    **engine.render(quote, breakdown=True),
                }
            )
            credits += [(subscription, month_of(m.month), m.credit) for m in quote.months]
        settlement = self.new_id(Settlement)
        interval = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "exception": None,
            "reason": "",
        }
        self.add(
            Settlement,
            (settlement, claim_id, 1, [interval], [], total, quotes, "", reviewer.pk, at),
        )
        events.append(
            (at, reviewer, "settled", "", "", "", {"settlement": 1, "credit": str(total)})
        )
        if state == Claim.State.UNDER_REVIEW:
            return
        cap_basis = CapBasis.MRC_PAID if shared else CapBasis.SERVICE_FEE
        sequence = 0

        def decision(kind, amount, reason, by, when, corrects=None, confirms=None):
            nonlocal sequence
            sequence += 1
            pk = self.new_id(Decision)
            engine_amount = total if kind != "reject" else None
            self.add(
                Decision,
                (
                    pk,
                    claim_id,
                    sequence,
                    kind,
                    amount,
                    engine_amount,
                    reason,
                    settlement,
                    corrects,
                    confirms,
                    by.pk,
                    when,
                ),
            )
            return pk, sequence

        def awards(decision_id, amount, when, earlier=()):
            shares = allocate(amount, credits) if amount is not None else {}
            for key in earlier:
                shares.setdefault(key, Decimal("0.00"))
            for (subscription, month), share in shares.items():
                self.add(
                    Award, (decision_id, claim_id, subscription, month, share, cap_basis, when)
                )
            return list(shares)

        rejection = "The outage is not in our records and the proof shows no failure."
        corrected = self.rng.random() < CORRECTED_SHARE
        if state == Claim.State.REJECTED and not corrected:
            pk, seq = decision("reject", None, rejection, reviewer, at)
            events.append(
                (at, reviewer, "rejected", "under_review", "rejected", rejection, {"decision": seq})
            )
            return
        amount, reason = total, ""
        if state == Claim.State.AWAITING_SECOND:
            amount = max(total, Decimal("650.00"))
            reason = "" if amount == total else "Outage also hit the customer's second site."
        four_eyes = amount > Decimal("500.00")
        first, seq = decision("approve", amount, reason, reviewer, at)
        events.append(
            (
                at,
                reviewer,
                "approved",
                "under_review",
                "awaiting_second" if four_eyes else "approved",
                reason,
                {"decision": seq, "amount": str(amount), "engine_amount": str(total)},
            )
        )
        if state == Claim.State.AWAITING_SECOND:
            return
        if four_eyes:
            at += dt.timedelta(hours=5)
            _, seq = decision("confirm", amount, "", second, at, confirms=first)
            events.append(
                (
                    at,
                    second,
                    "approval_confirmed",
                    "awaiting_second",
                    "approved",
                    reason,
                    {"decision": seq, "confirms": 1},
                )
            )
        keys = awards(first, amount, at)
        if not corrected:
            return
        at += dt.timedelta(days=2)
        if state == Claim.State.REJECTED:
            pk, seq = decision("reject", None, rejection, second, at, corrects=first)
            events.append(
                (
                    at,
                    second,
                    "correction_rejected",
                    "approved",
                    "rejected",
                    rejection,
                    {"decision": seq},
                )
            )
            awards(pk, None, at, earlier=keys)
            return
        lower = (amount / 2).quantize(Decimal("0.01"))
        reason = "Correction: half of the period was announced maintenance."
        pk, seq = decision("approve", lower, reason, second, at, corrects=first)
        events.append(
            (
                at,
                second,
                "correction_approved",
                "approved",
                "approved",
                reason,
                {"decision": seq, "amount": str(lower), "engine_amount": str(total)},
            )
        )
        awards(pk, lower, at, earlier=keys)

    # --- proofs -----------------------------------------------------------------------------

    def short_proof(self, claim_id, filer, start, end, slug):
        """A ping at one probe a minute around the period, failing inside it: stored as an
        upload would be, its evidence read by the same reader."""
        text = ping_log(
            f"{HOSTS[0]}.{slug}.example",
            start - dt.timedelta(minutes=10),
            end + dt.timedelta(minutes=10),
            start,
            end,
            interval=60,
            seed=claim_id,
        )
        data = text.encode()
        name = proof_storage_save(data)
        evidence = read_evidence(data)
        proof = self.new_id(Proof)
        self.add(
            Proof,
            (
                proof,
                claim_id,
                name,
                f"ping-{slug}.txt",
                "text/plain",
                len(data),
                _sha256(data),
                "ping",
                "ping",
                True,
                evidence.compact(),  # what attach_proof stores
                filer.pk if isinstance(filer, User) else filer,
                end + dt.timedelta(hours=1),
            ),
        )

    def long_proofs(self):
        """`long_logs` claims waiting for review, with LONG_PROOFS ping logs of LONG_LINES
        lines each, attached through the service (the upload's reader and storage)."""
        large = set(self.large_customers)
        customer = self.customers[0][0]  # the customer persona's account
        first = [c for c, a in self.queue_claims if a in large][:1]
        first += [c for c, a in self.queue_claims if a == customer][:1]
        rest = [c for c, _ in self.queue_claims if c not in first]
        picked = (first + rest)[: self.long_logs]
        for claim in Claim.objects.filter(pk__in=picked).select_related("filed_by"):
            for index in range(LONG_PROOFS):
                host = f"{HOSTS[index % len(HOSTS)]}.scale-{claim.pk}.example"
                began = claim.period_start - dt.timedelta(seconds=600 + 37 * index)
                text = ping_log(
                    host,
                    began,
                    began + dt.timedelta(seconds=LONG_LINES),
                    claim.period_start,
                    claim.period_end,
                    interval=1,
                    seed=claim.pk * 100 + index,
                )
                upload = SimpleUploadedFile(f"ping-{host}.txt", text.encode(), "text/plain")
                attach_proof(
                    claim=claim,
                    by=claim.filed_by,
                    uploaded=upload,
                    declared_kind="ping",
                    now=claim.submitted_at,
                )
        return picked

    # --- writing ----------------------------------------------------------------------------

    def write(self):
        created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        copy_rows(
            Organisation,
            (
                "id",
                "name",
                "kind",
                "reseller",
                "created_at",
                "standing",
                "billing_email",
                "billing_anchor_day",
            ),
            ((*row, "good", "", 1) for row in self.rows[Organisation]),
        )
        copy_rows(
            BillingAccount,
            ("id", "organisation", "tax_rate", "payment_terms_days"),
            self.rows[BillingAccount],
        )
        copy_rows(
            User,
            (
                "id",
                "email",
                "full_name",
                "password",
                "timezone",
                "is_active",
                "is_staff",
                "is_superuser",
                "date_joined",
            ),
            ((*row, "UTC", True, False, False, created) for row in self.rows[User]),
        )
        copy_rows(Membership, ("user", "organisation", "role", "created_at"), self.rows[Membership])
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
            self.rows[Subscription],
        )
        copy_rows(
            Incident,
            ("id", "service", "starts_at", "ends_at", "affects_all", "summary", "created_at"),
            self.rows.get(Incident, []),
        )
        copy_rows(
            Incident.organisations.through,
            ("incident", "organisation"),
            self.rows.get(Incident.organisations.through, []),
        )
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
            self.rows[Claim],
        )
        copy_rows(
            ClaimLine,
            ("claim", "subscription", "period_start", "period_end", "live"),
            self.rows[ClaimLine],
        )
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
            self.rows.get(Settlement, []),
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
                "corrects",
                "confirms",
                "decided_by",
                "decided_at",
            ),
            self.rows.get(Decision, []),
        )
        copy_rows(
            Award,
            (
                "decision",
                "claim",
                "subscription",
                "service_month",
                "amount",
                "cap_basis",
                "created_at",
            ),
            self.rows.get(Award, []),
        )
        copy_rows(
            Message,
            ("id", "claim", "author", "kind", "body", "internal", "created_at"),
            self.rows.get(Message, []),
        )
        copy_rows(
            ClaimEvent,
            ("claim", "actor", "at", "action", "from_state", "to_state", "reason", "data"),
            self.rows[ClaimEvent],
        )
        copy_rows(
            Proof,
            (
                "id",
                "claim",
                "file",
                "display_name",
                "content_type",
                "size",
                "sha256",
                "declared_kind",
                "kind",
                "read",
                "evidence",
                "uploaded_by",
                "uploaded_at",
            ),
            self.rows.get(Proof, []),
        )
        self.history()
        models = [
            Organisation,
            BillingAccount,
            User,
            Membership,
            Subscription,
            Incident,
            Claim,
            ClaimLine,
            Settlement,
            Decision,
            Award,
            Message,
            ClaimEvent,
            Proof,
            Invoice,
            InvoiceLine,
            Payment,
        ]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)

    def history(self):
        """HISTORY_CYCLES invoiced (issued on the cycle's last day) and paid, as the run and a
        payment would have left them."""
        lines_of = {}
        names = {c[0]: c[3] for c in self.customers}
        for org, own in self.owned.items():
            account = self.billing_account[org]
            tax = Decimal("0.0825") if self._customer(org)[2] is not None else Decimal("0")
            for subscription, slug, fee in own:
                lines_of.setdefault(account, []).append(
                    (
                        subscription,
                        f"{self.services[slug].name} - {names[org]}",
                        fee,
                        (fee * tax).quantize(Decimal("0.01")),
                    )
                )
        for cycle in HISTORY_CYCLES:
            end = (cycle + dt.timedelta(days=32)).replace(day=1)
            issued = dt.datetime.combine(end, dt.time(6), tzinfo=dt.UTC)
            for account, lines in sorted(lines_of.items()):
                invoice = self.new_id(Invoice)
                self.add(
                    Invoice,
                    (
                        invoice,
                        account,
                        f"INV-{account:05d}-{cycle:%Y%m%d}",
                        cycle,
                        end,
                        "paid",
                        issued,
                        end + dt.timedelta(days=30),
                        dt.datetime.combine(cycle, dt.time(6), tzinfo=dt.UTC),
                    ),
                )
                for subscription, description, fee, tax in lines:
                    self.add(
                        InvoiceLine,
                        (self.new_id(InvoiceLine), invoice, subscription, description, fee, tax),
                    )
                total = sum(fee + tax for _, _, fee, tax in lines)
                self.add(
                    Payment,
                    (self.new_id(Payment), invoice, total, issued + dt.timedelta(days=6), "scale"),
                )
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
            self.rows[Invoice],
        )
        copy_rows(
            InvoiceLine,
            ("id", "invoice", "subscription", "description", "amount", "tax"),
            self.rows[InvoiceLine],
        )
        copy_rows(
            Payment, ("id", "invoice", "amount", "received_at", "reference"), self.rows[Payment]
        )


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def proof_storage_save(data):
    return proof_storage().save(server_name(".txt"), ContentFile(data))


def ping_log(host, first, last, fail_from, fail_to, *, interval, seed):
    """iputils `ping -D -i interval host` from `first` to `last`: replies, and `Destination
    Host Unreachable` from the gateway while [fail_from, fail_to), then the statistics."""
    rng = random.Random(seed)
    address = f"203.0.113.{seed % 250 + 1}"
    lines = [f"PING {host} ({address}) 56(84) bytes of data."]
    seconds = int((last - first).total_seconds() // interval)
    received = 0
    base = first.timestamp()
    for seq in range(1, seconds + 1):
        at = base + (seq - 1) * interval + rng.randrange(0, 900) / 1_000_000 + 0.2
        stamp = f"[{at:.6f}]"
        if fail_from.timestamp() <= at < fail_to.timestamp():
            lines.append(f"{stamp} From 192.0.2.1 icmp_seq={seq} Destination Host Unreachable")
        else:
            received += 1
            rtt = 11 + rng.random() * 3
            lines.append(
                f"{stamp} 64 bytes from {host} ({address}): icmp_seq={seq} ttl=57 time={rtt:.1f} ms"
            )
    lost = round(100 * (seconds - received) / seconds) if seconds else 0
    lines += [
        "^C",
        f"--- {host} ping statistics ---",
        f"{seconds} packets transmitted, {received} received, +{seconds - received} errors, "
        f"{lost}% packet loss, time {(seconds - 1) * interval * 1000}ms",
        "rtt min/avg/max/mdev = 11.034/12.451/13.988/0.811 ms",
        "",
    ]
    return "\n".join(lines)


def load(accounts, claims, *, long_logs=3, seed=2026, say=print):
    """Write the scale data into a migrated database holding no claims (refuse_unless_empty),
    `say`ing each step's time. Returns what was written."""
    from billing.models import CreditEntry
    from billing.services import bill_chunk, billing_chunks, mark_overdue

    refuse_unless_empty()
    generator = _Generator(accounts, claims, long_logs, seed)
    started = time.monotonic()
    with transaction.atomic():
        generator.people()
        generator.reserve_ids()
        generator.organisations()
        generator.subscriptions()
        generator.claims_and_reviews()
        say(f"generated in {time.monotonic() - started:.0f} s")
        generator.write()
    say(f"written with COPY by {time.monotonic() - started:.0f} s")
    generator.long_proofs()
    say(f"long proofs attached by {time.monotonic() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The billing run's work (billing.tasks.run_billing_once) without its apply-by warnings:
    # history's carried credit would mail staff a warning per old claim.
    for ids in billing_chunks():
        bill_chunk(ids, NOW)
    mark_overdue(NOW)
    say(f"billed by {time.monotonic() - started:.0f} s")
    return Loaded(
        accounts=len(generator.customers),
        organisations=len(generator.rows[Organisation]),
        subscriptions=len(generator.rows[Subscription]),
        claims=Claim.objects.count(),
        states=dict(generator.states),
        proofs=Proof.objects.count(),
        messages=Message.objects.count(),
        ledger=CreditEntry.objects.count(),
        invoices=Invoice.objects.count(),
        logins=[(email, Role(role).label) for email, _, role, _ in PERSONAS],
    )
