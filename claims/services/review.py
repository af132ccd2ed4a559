"""Reviewing a claim: settle the qualifying downtime, decide, talk to the claimant.

Each function runs in one transaction, locks the claim row first (so two reviewers acting at
once are serialised and the second sees the first's result), checks who is asking, and leaves
a ClaimEvent. Refusals raise ClaimRefused and change nothing. A decision that becomes
effective writes its awards (claims.services.awards) in the same transaction.

Locks, and their order. A review action locks exactly one row: its claim, first, with
`SELECT ... FOR NO KEY UPDATE OF claims_claim` (`_locked`). Nothing joined is locked: not the
account, not the policy version or policy (the race is about the claim's state and its next
decision number, nothing else), and no billing row is ever locked here. So:

- two review actions on one claim queue on the claim row: one decision wins, the other sees it;
- review actions on different claims (of one agreement or of two) never wait on each other;
- billing's grants, which lock the billed parties' rows (in primary-key order) and insert
  ledger rows whose foreign keys take KEY SHARE on the claim, organisation and subscription at
  COMMIT, never wait on a review: a NO KEY UPDATE lock does not conflict with KEY SHARE, and a
  review holds no lock on organisations or billing rows. Reviews never wait on billing either,
  so there is no cycle to deadlock on.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from claims import messages, notifications, signals
from claims.access import can_decide, is_claimant_side, is_reviewer
from claims.evidence.proposal import Proposal, propose
from claims.models import (
    DECIDED_STATES,
    NETWORK_TEST_KINDS,
    QUEUE_STATES,
    CapBasis,
    Claim,
    ClaimState,
    Decision,
    DecisionKind,
    Message,
    MessageFile,
    MessageKind,
    Settlement,
    proof_storage,
)
from claims.services.awards import month_of, write_awards
from claims.services.filing import (
    ClaimRefused,
    _record,
    attach_prepared,
    inspected_or_refused,
    prepare_proof,
    removed_on_failure,
)
from claims.uploads import store
from sla import engine
from sla.models import Incident
from sla.quotes import maintenance_around, quote_subscription


class SettledInterval(NamedTuple):
    start: dt.datetime
    end: dt.datetime
    exception: str | None = None
    reason: str = ""


class MaintenanceCall(NamedTuple):
    """Whether a maintenance record counts as maintenance for this claim (the policy's notice
    and window rules still apply to the records that do)."""

    maintenance_id: int
    excused: bool
    reason: str = ""


def _locked(claim):
    # The claim row alone (see the module docstring): the joined rows are read, not locked.
    return (
        Claim.objects.select_for_update(of=("self",), no_key=True)
        .select_related("account", "policy_version__policy")
        .get(pk=claim.pk)
    )


def _refuse(field, message, *, conflict=False):
    raise ClaimRefused({field: [message]}, conflict=conflict)


# --- who may do what -------------------------------------------------------------------------


def _check_reviewer(user, claim):
    allowed, why = can_decide(user, claim)
    if not allowed:
        _refuse("__all__", why)


def _claimant_side(user, claim):
    if not is_claimant_side(user, claim):
        _refuse("__all__", messages.NOT_CLAIMANT)


# --- settling the downtime -------------------------------------------------------------------


def _services(claim):
    return [
        line.subscription
        for line in claim.lines.select_related(
            "subscription__service", "subscription__policy", "subscription__organisation"
        )
    ]


def _maintenance_records(claim, start, end):
    records = {}
    for subscription in _services(claim):
        for record in maintenance_around(subscription, start, end):
            records[record.pk] = record
    return sorted(records.values(), key=lambda record: record.starts_at)


def exception_choices(claim):
    version = claim.policy_version
    if not version.honours_exceptions:
        return []
    return list(version.exception_categories.values_list("slug", "name"))


def current_settlement(claim):
    return claim.settlements.order_by("-number").first()


def _intervals_of(settlement, claim):
    if settlement is None:
        return [SettledInterval(claim.period_start, claim.period_end, None, "")]
    return [
        SettledInterval(
            dt.datetime.fromisoformat(i["start"]),
            dt.datetime.fromisoformat(i["end"]),
            i.get("exception"),
            i.get("reason", ""),
        )
        for i in settlement.intervals
    ]


def _calls_of(settlement, records):
    made = {m["id"]: m for m in (settlement.maintenance if settlement else [])}
    return [
        MaintenanceCall(
            r.pk, made.get(r.pk, {}).get("excused", True), made.get(r.pk, {}).get("reason", "")
        )
        for r in records
    ]


def _quote(claim, intervals, calls, records):
    """The engine's credit for settled intervals on each subscription of the claim."""
    excused = {call.maintenance_id for call in calls if call.excused}
    considered = [record for record in records if record.pk in excused]
    total = Decimal("0.00")
    rows = []
    shared_cap = claim.policy_version.cap_basis == CapBasis.MRC_PAID
    downtime = [(i.start, i.end, i.exception) for i in intervals]
    for subscription in _services(claim):
        quote, _ = quote_subscription(
            subscription,
            downtime,
            already_credited=total if shared_cap else Decimal("0"),
            maintenance=[r for r in considered if r.service_id == subscription.service_id],
            exclude_claim=claim.pk,
        )
        total += quote.credit
        rows.append((subscription, quote, considered))
    return total, rows


def _engine_credits(claim, settlement):
    """[(subscription id, month, credit)]: the engine's typed results for a settlement,
    recomputed at decision time from what the reviewer settled."""
    intervals = _intervals_of(settlement, claim)
    records = _maintenance_records(
        claim, min(i.start for i in intervals), max(i.end for i in intervals)
    )
    _, rows = _quote(claim, intervals, _calls_of(settlement, records), records)
    return [
        (subscription.pk, month_of(month.month), month.credit)
        for subscription, quote, _ in rows
        for month in quote.months
    ]


def review_context(claim):
    """What the review page shows: the settled (or claimed) intervals, the provider's records,
    and the engine's credit for them."""
    settlement = current_settlement(claim)
    intervals = _intervals_of(settlement, claim)
    start = min(i.start for i in intervals)
    end = max(i.end for i in intervals)
    records = _maintenance_records(claim, start, end)
    calls = _calls_of(settlement, records)
    services = [s.service_id for s in _services(claim)]
    margin = dt.timedelta(days=1)
    incidents = list(
        Incident.objects.filter(service__in=services)
        .affecting(claim.account)
        .overlapping(start - margin, end + margin)
        .select_related("service")
    )
    return {
        "settlement": settlement,
        "intervals": intervals,
        "maintenance": list(zip(records, calls, strict=True)),
        "incidents": incidents,
        "estimate": _quote(claim, intervals, calls, records),
        "exception_choices": exception_choices(claim),
    }


def _validate_intervals(claim, intervals):
    errors = []
    allowed = {slug for slug, _ in exception_choices(claim)}
    if not intervals:
        errors.append(messages.NO_INTERVALS)
    for number, interval in enumerate(intervals, start=1):
        for instant in (interval.start, interval.end):
            if instant is None or instant.utcoffset() is None:
                errors.append(messages.INTERVAL_NAIVE.format(number=number))
                break
        else:
            if interval.end <= interval.start:
                errors.append(messages.INTERVAL_ORDER.format(number=number))
        if interval.exception and interval.exception not in allowed:
            errors.append(
                messages.EXCEPTION_NOT_IN_POLICY.format(number=number, slug=interval.exception)
            )
        if interval.exception and not interval.reason.strip():
            errors.append(messages.EXCEPTION_NEEDS_REASON.format(number=number))
    if errors:
        raise ClaimRefused({"intervals": errors})


def settle(*, claim, by, intervals, maintenance, reason="", now=None):
    """Record the qualifying downtime the reviewer settled; the engine recomputes the credit.
    Each settlement is a new row: the earlier ones stay as they were."""
    now = now or timezone.now()
    intervals = [SettledInterval(*i) for i in intervals]
    _validate_intervals(claim, intervals)
    with transaction.atomic():
        claim = _locked(claim)
        _check_reviewer(by, claim)
        if claim.state not in (*QUEUE_STATES, *DECIDED_STATES, ClaimState.INFO_REQUESTED):
            _refuse(
                "__all__", messages.NOT_IN_REVIEW.format(state=claim.get_state_display().lower())
            )
        start = min(i.start for i in intervals)
        end = max(i.end for i in intervals)
        records = _maintenance_records(claim, start, end)
        known = {record.pk for record in records}
        calls = {call.maintenance_id: MaintenanceCall(*call) for call in maintenance}
        for call in calls.values():
            if call.maintenance_id not in known:
                _refuse("maintenance", messages.MAINTENANCE_UNKNOWN.format(id=call.maintenance_id))
            if not call.excused and not call.reason.strip():
                _refuse(
                    "maintenance", messages.MAINTENANCE_NEEDS_REASON.format(id=call.maintenance_id)
                )
        full_calls = [calls.get(r.pk, MaintenanceCall(r.pk, True, "")) for r in records]
        total, rows = _quote(claim, intervals, full_calls, records)
        previous = current_settlement(claim)
        settlement = Settlement.objects.create(
            claim=claim,
            number=(previous.number + 1) if previous else 1,
            intervals=[
                {
                    "start": i.start.astimezone(dt.UTC).isoformat(),
                    "end": i.end.astimezone(dt.UTC).isoformat(),
                    "exception": i.exception or None,
                    "reason": i.reason,
                }
                for i in intervals
            ],
            maintenance=[
                {
                    "id": r.pk,
                    "start": r.starts_at.isoformat(),
                    "end": r.ends_at.isoformat(),
                    "notice_at": r.notice_at.isoformat() if r.notice_at else None,
                    "excused": call.excused,
                    "reason": call.reason,
                }
                for r, call in zip(records, full_calls, strict=True)
            ],
            credit=total,
            quotes=[
                {
                    "subscription": subscription.pk,
                    "service": subscription.service.name,
                    **engine.render(quote, breakdown=True),
                }
                for subscription, quote, _ in rows
            ],
            reason=reason,
            created_by=by,
            created_at=now,
        )
        _record(
            claim,
            by,
            "settled",
            now,
            reason=reason,
            data={"settlement": settlement.number, "credit": str(total)},
        )
    return settlement


# --- the proposed settlement ----------------------------------------------------------------

ACCEPTED_PROPOSAL = "accepted the proposal"


@dataclass(frozen=True)
class Proposed:
    """The portal's proposed settlement of a claim and the engine's credit for it."""

    proposal: Proposal
    credit: Decimal
    rows: list  # [(subscription, quote, maintenance considered)], as review_context's estimate

    @property
    def intervals(self):
        """The proposed downtime as intervals to settle, each citing its sources; a stretch
        of 0 s (one failing probe with nothing after it) is shown, never settled."""
        return [
            SettledInterval(s.start, s.end, None, "; ".join(x.describe() for x in s.sources))
            for s in self.proposal.downtime
            if s.end > s.start
        ]

    @property
    def digest(self):
        """Names this proposal: accepting it is refused if it changed since it was shown."""
        text = json.dumps(self.proposal.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _incidents(claim, start, end):
    services = [line.subscription.service_id for line in claim.lines.all()]
    return (
        Incident.objects.filter(service__in=services)
        .affecting(claim.account)
        .overlapping(start, end)
        .order_by("starts_at", "pk")
    )


def _priced(claim, intervals):
    """The engine's credit for `intervals`, the recorded maintenance excused: the path
    `settle` takes for a settlement that makes no maintenance call."""
    if not intervals:
        return Decimal("0.00"), []
    records = _maintenance_records(
        claim, min(i.start for i in intervals), max(i.end for i in intervals)
    )
    return _quote(claim, intervals, _calls_of(None, records), records)


def proposal_for(claim, *, with_incidents=True, proofs=None):
    """What the portal proposes to settle: the claimed period intersected with the proofs'
    failure stretches and the provider's incidents (claims.evidence.proposal), priced by the
    engine. `proofs`: the claim's proofs, when the caller has them already."""
    proofs = list(claim.proofs.all()) if proofs is None else proofs
    readings = [(p.display_name, p.reading) for p in proofs if p.reading is not None]
    incidents = (
        [
            (i.pk, i.starts_at, i.ends_at)
            for i in _incidents(claim, claim.period_start, claim.period_end)
        ]
        if with_incidents
        else []
    )
    proposal = propose(
        start=claim.period_start, end=claim.period_end, proofs=readings, incidents=incidents
    )
    proposed = Proposed(proposal, Decimal("0.00"), [])
    credit, rows = _priced(claim, proposed.intervals)
    return Proposed(proposal, credit, rows)


def proof_shows(claim, *, proofs=None):
    """For the claimant: what their own proof shows inside the claimed period (no incident
    records) and the estimate for that alone."""
    return proposal_for(claim, with_incidents=False, proofs=proofs)


def accept_proposal(*, claim, by, digest=None, now=None):
    """Settle exactly the proposed downtime, with the reason "accepted the proposal". With
    `digest`, refuse if the proposal changed since the reviewer saw it."""
    proposed = proposal_for(claim)
    if digest is not None and digest != proposed.digest:
        _refuse("__all__", messages.PROPOSAL_CHANGED, conflict=True)
    if not proposed.intervals:
        _refuse("__all__", messages.PROPOSAL_EMPTY)
    return settle(
        claim=claim,
        by=by,
        intervals=proposed.intervals,
        maintenance=[],
        reason=ACCEPTED_PROPOSAL,
        now=now,
    )


def _settlement_for_decision(claim, by, now):
    settlement = current_settlement(claim)
    if settlement is None:
        context = review_context(claim)
        settlement = settle(
            claim=claim,
            by=by,
            intervals=context["intervals"],
            maintenance=[call for _, call in context["maintenance"]],
            reason="The claimed period, as filed.",
            now=now,
        )
    return settlement


# --- decisions -------------------------------------------------------------------------------


def start_review(*, claim, by, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        _check_reviewer(by, claim)
        if claim.state != ClaimState.SUBMITTED:
            _refuse(
                "__all__",
                messages.NOT_WAITING.format(state=claim.get_state_display().lower()),
                conflict=True,
            )
        _transition(claim, by, ClaimState.UNDER_REVIEW, now, action="review_started")
    return claim


def _transition(claim, by, state, now, *, action, reason="", decision=None, data=None):
    previous = claim.state
    claim.state = state
    claim.updated_at = now
    claim.save(update_fields=["state", "updated_at"])
    if state in (ClaimState.REJECTED,):
        claim.lines.update(live=False)
    elif previous == ClaimState.REJECTED:
        claim.lines.update(live=True)
    _record(
        claim, by, action, now, from_state=previous, to_state=state, reason=reason, data=data or {}
    )
    notifications.claim_changed(claim, by=by, reason=reason, decision=decision)


def _award(claim, decision, now):
    """Write the now effective decision's awards and, after commit, tell billing."""
    engine_credits = (
        _engine_credits(claim, decision.settlement) if decision.kind == DecisionKind.APPROVE else []
    )
    write_awards(claim=claim, decision=decision, engine_credits=engine_credits, now=now)
    claim_id = claim.pk
    transaction.on_commit(
        lambda: signals.awards_written.send_robust(sender=Claim, claim_id=claim_id)
    )


def _next_sequence(claim):
    return (claim.decisions.aggregate(last=Max("sequence"))["last"] or 0) + 1


def _in_force(claim):
    return claim.decisions.in_force().select_related("decided_by").first()


def _evidence_inside(claim):
    """Whether a ping, DNS or telnet proof has timestamps inside the claimed period."""
    proofs = claim.proofs.filter(kind__in=NETWORK_TEST_KINDS).exclude(evidence=None)
    return any(p.recorded_within(claim.period_start, claim.period_end) for p in proofs)


def _decidable(claim, reason):
    """The claim can take a decision now; a decided one only as a correction with a reason.
    Returns the decision being corrected, if any."""
    if claim.state in QUEUE_STATES and claim.state != ClaimState.AWAITING_SECOND:
        return None
    if claim.state in DECIDED_STATES:
        final = _in_force(claim)
        if not reason.strip():
            already = messages.ALREADY_DECIDED.format(
                who=final.decided_by.email, when=f"{final.decided_at:%Y-%m-%d %H:%M} UTC"
            )
            _refuse("__all__", f"{already} {messages.CORRECTION_NEEDS_REASON}", conflict=True)
        return final
    if claim.state == ClaimState.AWAITING_SECOND:
        _refuse("__all__", messages.AWAITING_SECOND, conflict=True)
    _refuse(
        "__all__",
        messages.NOT_DECIDABLE.format(state=claim.get_state_display().lower()),
        conflict=True,
    )


def approve(*, claim, by, amount=None, reason="", now=None):
    """Approve the engine's credit for the settled downtime, or a different amount with a
    written reason. Above APPROVAL_SECOND_REVIEWER_ABOVE a second reviewer must confirm."""
    now = now or timezone.now()
    reason = reason or ""
    with transaction.atomic():
        claim = _locked(claim)
        _check_reviewer(by, claim)
        corrects = _decidable(claim, reason)
        settlement = _settlement_for_decision(claim, by, now)
        engine_amount = settlement.credit
        amount = engine_amount if amount is None else Decimal(amount)
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            _refuse("amount", messages.AMOUNT_INVALID)
        if amount != engine_amount and not reason.strip():
            _refuse("reason", messages.OVERRIDE_NEEDS_REASON.format(engine=engine_amount))
        version = claim.policy_version
        if version.required_evidence == version.Evidence.NETWORK_TEST and not _evidence_inside(
            claim
        ):
            if not reason.strip():
                _refuse("reason", messages.EVIDENCE_OVERRIDE_NEEDS_REASON)
        decision = Decision.objects.create(
            claim=claim,
            sequence=_next_sequence(claim),
            kind=DecisionKind.APPROVE,
            amount=amount,
            engine_amount=engine_amount,
            reason=reason,
            settlement=settlement,
            corrects=corrects,
            decided_by=by,
            decided_at=now,
        )
        four_eyes = amount > settings.APPROVAL_SECOND_REVIEWER_ABOVE
        state = ClaimState.AWAITING_SECOND if four_eyes else ClaimState.APPROVED
        _transition(
            claim,
            by,
            state,
            now,
            action="correction_approved" if corrects else "approved",
            reason=reason,
            decision=decision,
            data={
                "decision": decision.sequence,
                "amount": str(amount),
                "engine_amount": str(engine_amount),
            },
        )
        if not four_eyes:
            _award(claim, decision, now)
    return decision


def confirm_approval(*, claim, by, now=None):
    """The second reviewer's confirmation of a large approval."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(claim)
        _check_reviewer(by, claim)
        if claim.state != ClaimState.AWAITING_SECOND:
            _refuse("__all__", messages.NOTHING_TO_CONFIRM, conflict=True)
        pending = _in_force(claim)
        if pending.decided_by_id == by.pk:
            _refuse("__all__", messages.FOUR_EYES)
        decision = Decision.objects.create(
            claim=claim,
            sequence=_next_sequence(claim),
            kind=DecisionKind.CONFIRM,
            amount=pending.amount,
            engine_amount=pending.engine_amount,
            settlement=pending.settlement,
            confirms=pending,
            decided_by=by,
            decided_at=now,
        )
        _transition(
            claim,
            by,
            ClaimState.APPROVED,
            now,
            action="approval_confirmed",
            reason=pending.reason,
            decision=pending,
            data={"decision": decision.sequence, "confirms": pending.sequence},
        )
        _award(claim, pending, now)
    return decision


def reject(*, claim, by, reason, now=None):
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        _refuse("reason", messages.REJECTION_NEEDS_REASON)
    with transaction.atomic():
        claim = _locked(claim)
        _check_reviewer(by, claim)
        corrects = _decidable(claim, reason)
        decision = Decision.objects.create(
            claim=claim,
            sequence=_next_sequence(claim),
            kind=DecisionKind.REJECT,
            reason=reason,
            settlement=current_settlement(claim),
            corrects=corrects,
            decided_by=by,
            decided_at=now,
        )
        _transition(
            claim,
            by,
            ClaimState.REJECTED,
            now,
            action="correction_rejected" if corrects else "rejected",
            reason=reason,
            decision=decision,
            data={"decision": decision.sequence},
        )
        _award(claim, decision, now)
    return decision


# --- the conversation ------------------------------------------------------------------------


def request_info(*, claim, by, question, now=None):
    """Ask the claimant for more: the claim waits for the answer."""
    now = now or timezone.now()
    question = (question or "").strip()
    if not question:
        _refuse("question", messages.QUESTION_EMPTY)
    with transaction.atomic():
        claim = _locked(claim)
        _check_reviewer(by, claim)
        if claim.state not in (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW):
            _refuse(
                "__all__",
                messages.NOT_WAITING.format(state=claim.get_state_display().lower()),
                conflict=True,
            )
        message = Message.objects.create(
            claim=claim, author=by, kind=MessageKind.INFO_REQUEST, body=question, created_at=now
        )
        _transition(
            claim, by, ClaimState.INFO_REQUESTED, now, action="info_requested", reason=question
        )
    return message


def answer_info(*, claim, by, body, uploads=(), now=None):
    """The claimant's answer: text and files (which become proof); the claim returns to the
    review queue."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body and not uploads:
        _refuse("body", messages.ANSWER_EMPTY)
    _claimant_side(by, claim)
    with removed_on_failure() as stored:
        # Files are read and stored before the claim is locked; a refusal below removes them.
        prepared = []
        for uploaded, kind in uploads:
            prepared.append(prepare_proof(by=by, uploaded=uploaded, declared_kind=kind))
            stored.append(prepared[-1].name)
        with transaction.atomic():
            claim = _locked(claim)
            if claim.state != ClaimState.INFO_REQUESTED:
                _refuse("__all__", messages.NO_QUESTION_OPEN, conflict=True)
            message = Message.objects.create(
                claim=claim, author=by, kind=MessageKind.ANSWER, body=body, created_at=now
            )
            for proof in prepared:
                attach_prepared(claim=claim, by=by, prepared=proof, now=now)
            _transition(
                claim, by, ClaimState.SUBMITTED, now, action="info_answered", reason=body[:500]
            )
            notifications.answer_received(claim, message)
    return message


def post_message(*, claim, by, body, internal=False, uploads=(), now=None):
    """A message in the claim's conversation, or (staff only) an internal note."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        _refuse("body", messages.MESSAGE_EMPTY)
    staff = by.is_provider_staff or by.is_superuser
    if internal and not staff:
        _refuse("internal", messages.NOTES_ARE_STAFF_ONLY)
    if not staff:
        _claimant_side(by, claim)
    elif not is_reviewer(by):
        # Billing staff see every claim but speak for the provider only through the ledger: the
        # review pages refuse them, and so does every other path.
        _refuse("__all__", messages.MESSAGES_ARE_REVIEWERS)
    with removed_on_failure() as stored:
        # Checked and stored before the claim is locked; a refusal below removes them.
        files = []
        for uploaded, _ in uploads:
            inspected = inspected_or_refused(uploaded)
            name = store(uploaded, inspected, proof_storage())
            stored.append(name)
            files.append((name, inspected))
        with transaction.atomic():
            claim = _locked(claim)
            message = Message.objects.create(
                claim=claim,
                author=by,
                kind=MessageKind.NOTE if internal else MessageKind.MESSAGE,
                body=body,
                internal=internal,
                created_at=now,
            )
            for name, inspected in files:
                MessageFile.objects.create(
                    message=message,
                    file=name,
                    display_name=inspected.display_name,
                    content_type=inspected.content_type,
                    size=inspected.size,
                    sha256=inspected.sha256,
                )
            _record(
                claim,
                by,
                "note_added" if internal else "message_posted",
                now,
                data={"message": message.pk},
            )
            notifications.message_posted(claim, message)
    return message
