"""The credit status of claims from the ledger: estimated -> approved -> granted (what a cap
cut, in words) -> applied / carried / paid out / reversed. Registered as claims.status's
provider in BillingConfig.ready, so the claim page, the claims API, the mail and billing's
pages show the same object.

`LedgerStatus.statuses` reads a page of claims in six queries whatever its size (seven when
a cap cut something: what else used the cap)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from billing.models import CreditEntry, CreditKind, GrantOutcome
from claims import notifications
from claims.models import Award, Claim, ClaimState, Decision
from claims.status import (
    ZERO,
    Applied,
    ClaimsOnly,
    MonthStatus,
    Stage,
    base_status,
    currency_of,
    next_step,
    statuses_for,
)
from sla.models import PolicyVersion

# A claim's stage is its least advanced month's (months the caps left nothing are ignored
# while another month has credit).
ORDER = [
    Stage.APPROVED,
    Stage.GRANTED,
    Stage.CARRIED,
    Stage.APPLIED,
    Stage.PAID_OUT,
    Stage.REVERSED,
    Stage.NONE,
]

CUT_BY_CAP = (
    "{month}: {cut} {currency} cut by the cap on {whose} credits for the month ({basis}, "
    "{cap} {currency}); {used} {currency} of it was already granted{to}, leaving {left} "
    "{currency}."
)
CUT_BY_CORRECTION = (
    "{month}: {cut} {currency} not granted: a correction to more after the grant (the ledger "
    "grants a claim-month once); staff credit the difference by hand where the agreement allows."
)


def _invoice_name(invoice):
    return invoice.number or f"the draft invoice of {invoice.cycle_start:%Y-%m-%d}"


class LedgerStatus(ClaimsOnly):
    def statuses(self, claims):
        claims = list(claims)
        ids = [claim.pk for claim in claims]
        decisions = {
            decision.claim_id: decision
            for decision in Decision.objects.in_force().filter(claim__in=ids)
        }
        approvals = [d.pk for d in decisions.values() if d.kind == d.Kind.APPROVE]
        awards = defaultdict(list)
        for award in (
            Award.objects.filter(decision__in=[d.pk for d in decisions.values()])
            .select_related("subscription__service", "claim__account")
            .order_by("subscription", "service_month")
        ):
            awards[award.claim_id].append(award)
        outcomes = {
            outcome.claim_id: outcome
            for outcome in GrantOutcome.objects.filter(decision__in=approvals)
        }
        entries = defaultdict(list)
        for entry in (
            CreditEntry.objects.filter(claim__in=ids).select_related("invoice").order_by("at", "pk")
        ):
            entries[entry.claim_id].append(entry)
        cap_users = self._cap_users(claims, awards, entries, outcomes)
        result = {}
        for claim in claims:
            decision = decisions.get(claim.pk)
            result[claim.pk] = self._status(
                claim,
                decision,
                awards.get(claim.pk, []),
                outcomes.get(claim.pk),
                entries.get(claim.pk, []),
                cap_users,
            )
        return result

    def credited(self, subscriptions, start, end, *, exclude_claim=None):
        """Net credit granted against each subscription's cap, per month [start, end) touches
        (month starts in UTC, a day either side: the policy's month is within it)."""
        return self.credited_each([(subscriptions, start, end, exclude_claim)])[0]

    def credited_each(self, requests):
        """`credited` for many (subscriptions, start, end, exclude_claim) at once: one ledger
        query for all of them (a page of claims), the claim each excludes taken off in memory."""
        requests = [(list(subs), start, end, claim) for subs, start, end, claim in requests]
        windows = [
            _months(start - dt.timedelta(days=1), end + dt.timedelta(days=1))
            for _, start, end, _ in requests
        ]
        accounts = {s.organisation_id for subs, _, _, _ in requests for s in subs}
        months = {month for window in windows for month in window}
        rows = []
        if accounts:
            rows = (
                CreditEntry.objects.filter(
                    kind__in=(CreditKind.GRANTED, CreditKind.REVERSED),
                    service_month__in=months,
                    account__in=accounts,
                )
                .order_by()
                .values_list("account", "subscription", "service_month", "claim", "kind")
                .annotate(total=Sum("amount"))
            )
        # (scope, id, month) -> {claim id: net granted}
        used = defaultdict(lambda: defaultdict(Decimal))
        for account, subscription, month, claim, kind, total in rows:
            signed = Decimal(total) if kind == CreditKind.GRANTED else -Decimal(total)
            used[("account", account, month)][claim] += signed
            used[("subscription", subscription, month)][claim] += signed
        results = []
        for (subscriptions, start, _, exclude_claim), window in zip(requests, windows, strict=True):
            result = {}
            for subscription in subscriptions:
                terms = subscription.policy.terms_for()(start)
                shared = terms.cap_basis == PolicyVersion.CapBasis.MRC_PAID
                scope = (
                    ("account", subscription.organisation_id)
                    if shared
                    else ("subscription", subscription.pk)
                )
                totals = [
                    sum(
                        (
                            net
                            for claim, net in used[(*scope, month)].items()
                            if claim != exclude_claim
                        ),
                        ZERO,
                    )
                    for month in window
                ]
                result[subscription.pk] = max([*totals, ZERO]).quantize(Decimal("0.01"))
            results.append(result)
        return results

    # --- one claim -----------------------------------------------------------------------

    def _status(self, claim, decision, awards, outcome, entries, cap_users):
        if decision is None or claim.state not in (ClaimState.APPROVED, ClaimState.REJECTED):
            return base_status(claim, decision)
        currency = currency_of(claim)
        grants = {(e.subscription_id, e.service_month): e for e in entries if e.kind == "granted"}
        moves = defaultdict(list)
        for entry in entries:
            if entry.grant_id is not None:
                moves[entry.grant_id].append(entry)
        months = []
        for award in awards:
            grant = grants.get((award.subscription_id, award.service_month))
            months.append(
                self._month(claim, decision, award, grant, moves, outcome, cap_users, currency)
            )
        # Grants of months no award names any more (cannot happen: rejections write zeros).
        if claim.state == ClaimState.REJECTED:
            stage = Stage.REJECTED
        elif outcome is None:
            stage = Stage.APPROVED
        else:
            stages = [m.stage for m in months if m.stage != Stage.NONE] or [Stage.NONE]
            stage = min(stages, key=ORDER.index)
        invoices = [applied for m in months for applied in m.invoices]
        carried_to = max((m.carried_to for m in months if m.open > 0), default="")
        approved = decision.amount if decision.kind == decision.Kind.APPROVE else None
        granted = sum((m.granted or ZERO for m in months), ZERO)
        return base_status(
            claim,
            decision,
            stage=stage,
            approved=approved,
            granted=granted if outcome is not None or grants else None,
            cut=sum((m.cut for m in months), ZERO),
            cut_reasons=[m.cut_reason for m in months if m.cut_reason],
            applied=sum((m.applied for m in months), ZERO),
            paid_out=sum((m.paid_out for m in months), ZERO),
            reversed=sum((m.reversed for m in months), ZERO),
            open=sum((m.open for m in months), ZERO),
            invoices=invoices,
            carried_to=carried_to,
            next_step=next_step(stage, claim, carried_to=carried_to),
            months=months,
        )

    def _month(self, claim, decision, award, grant, moves, outcome, cap_users, currency):
        sums = defaultdict(lambda: ZERO)
        invoices, carried_to = [], ""
        for entry in moves.get(grant.pk, []) if grant is not None else []:
            sums[entry.kind] += entry.amount
            if entry.kind == CreditKind.APPLIED:
                invoices.append(
                    Applied(
                        entry.invoice_id,
                        _invoice_name(entry.invoice),
                        entry.amount,
                        f"{entry.at:%Y-%m-%d}",
                    )
                )
            elif entry.kind == CreditKind.CARRIED:
                carried_to = f"{entry.invoice.cycle_end:%Y-%m-%d}"
        granted = grant.amount - sums[CreditKind.REVERSED] if grant is not None else None
        spent = sums[CreditKind.APPLIED] + sums[CreditKind.PAID_OUT] + sums[CreditKind.REVERSED]
        open_ = grant.amount - spent if grant is not None else ZERO
        cut, reason = ZERO, ""
        if outcome is not None and award.amount > (granted or ZERO):
            cut = award.amount - (granted or ZERO)
            reason = self._cut_reason(claim, decision, award, grant, cut, cap_users, currency)
        if grant is None:
            stage = Stage.APPROVED if outcome is None else Stage.NONE
        elif open_ > 0:
            stage = Stage.CARRIED if carried_to else Stage.GRANTED
        elif sums[CreditKind.PAID_OUT] > 0:
            stage = Stage.PAID_OUT
        elif sums[CreditKind.APPLIED] > 0:
            stage = Stage.APPLIED
        else:
            stage = Stage.REVERSED
        if claim.state == ClaimState.REJECTED and stage in (Stage.APPROVED, Stage.NONE):
            stage = Stage.REJECTED
        return MonthStatus(
            subscription_id=award.subscription_id,
            service=str(award.subscription.service),
            month=f"{award.service_month:%Y-%m}",
            stage=stage,
            approved=award.amount,
            granted=granted,
            cut=cut,
            cut_reason=reason,
            applied=sums[CreditKind.APPLIED],
            carried=sums[CreditKind.CARRIED],
            paid_out=sums[CreditKind.PAID_OUT],
            reversed=sums[CreditKind.REVERSED],
            open=open_,
            invoices=invoices,
            carried_to=carried_to if open_ > 0 else "",
        )

    def _cut_reason(self, claim, decision, award, grant, cut, cap_users, currency):
        month = f"{award.service_month:%Y-%m}"
        if grant is not None and grant.at < decision.decided_at:
            return CUT_BY_CORRECTION.format(month=month, cut=cut, currency=currency)
        shared = award.cap_basis == PolicyVersion.CapBasis.MRC_PAID
        given = grant.amount if grant is not None else ZERO
        before = grant.at if grant is not None else None
        others = defaultdict(Decimal)
        for entry in cap_users:
            same_scope = (
                entry.account_id == claim.account_id
                if shared
                else entry.subscription_id == award.subscription_id
            )
            if (
                entry.claim_id == claim.pk
                or entry.service_month != award.service_month
                or not same_scope
                or (before is not None and entry.at > before)
            ):
                continue
            signed = entry.amount if entry.kind == CreditKind.GRANTED else -entry.amount
            others[entry.claim.reference] += signed
        used = sum(others.values(), ZERO)
        refs = [ref for ref, amount in sorted(others.items()) if amount > 0]
        return CUT_BY_CAP.format(
            month=month,
            cut=cut,
            currency=currency,
            whose=f"{claim.account}'s" if shared else f"{award.subscription.service}'s",
            basis="the monthly recurring charge paid" if shared else "the service's monthly fee",
            cap=used + given,
            used=used,
            to=f" to {', '.join(refs)}" if refs else "",
            left=given,
        )

    def _cap_users(self, claims, awards, entries, outcomes):
        """The grants and reversals that share a cap with a month a cap cut: one query, only
        when something was cut."""
        cut = [
            award
            for claim in claims
            if claim.pk in outcomes and outcomes[claim.pk].cut_by_caps > 0
            for award in awards.get(claim.pk, [])
        ]
        if not cut:
            return []
        scope = Q()
        for award in cut:
            if award.cap_basis == PolicyVersion.CapBasis.MRC_PAID:
                scope |= Q(account=award.claim.account_id, service_month=award.service_month)
            else:
                scope |= Q(subscription=award.subscription_id, service_month=award.service_month)
        return list(
            CreditEntry.objects.filter(scope, kind__in=(CreditKind.GRANTED, CreditKind.REVERSED))
            .select_related("claim")
            .only("claim__id", "account", "subscription", "service_month", "kind", "amount", "at")
        )


def _months(start, end):
    months, day = [], dt.date(start.year, start.month, 1)
    while day <= end.date():
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def notify_granted(outcomes):
    """Mail the claimant of each granted outcome what the ledger granted (and, when a cap cut
    it, which cap and by how much), in the granting transaction, through claims' outbox."""
    outcomes = [o for o in outcomes if o.granted > 0 or o.cut_by_caps > 0]
    if not outcomes:
        return
    by_claim = {outcome.claim_id: outcome for outcome in outcomes}
    claims = list(
        Claim.objects.filter(pk__in=list(by_claim))
        .select_related("account", "filed_by")
        .prefetch_related("lines__subscription")
    )
    statuses = statuses_for(claims)
    for claim in claims:
        notifications.credit_granted(
            claim, statuses[claim.pk], key=f"decision-{by_claim[claim.pk].decision_id}"
        )
