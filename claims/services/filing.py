"""Every state change of a claim goes through one of these functions, inside one transaction,
leaving a ClaimEvent of who, when and why. Views and the API call them; nothing else writes
`Claim.state`.

Refusals raise `ClaimRefused` with errors by field, and store nothing.
"""

import contextlib
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims import deadlines, messages, notifications
from claims.evidence import read_evidence_file
from claims.models import (
    NETWORK_TEST_KINDS,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimState,
    Proof,
    ProofKind,
    proof_storage,
)
from claims.uploads import ProofRejected, inspect_upload, max_file_bytes, store
from portal.models import Organisation
from sla.engine import parse_timezone
from sla.models import Subscription


class ClaimRefused(Exception):
    """Bad input or a rule of the agreement; `errors` maps a field to its messages.
    `conflict` marks a clash with another claim (HTTP 409)."""

    def __init__(self, errors, *, conflict=False):
        super().__init__(errors)
        self.errors = {field: list(msgs) for field, msgs in errors.items()}
        self.conflict = conflict


@dataclass(frozen=True)
class ClaimInput:
    """What the claimant says: the subscriptions, the period (aware), the basis."""

    subscriptions: tuple
    period_start: object
    period_end: object
    basis: str
    representation: bool = False
    entered_timezone: str = "UTC"


def _policy_version(policy, instant):
    return policy.version_at(instant) or policy.versions.order_by("effective_from").first()


def _checked(by, data):
    """Validate what a draft needs; return (account, policy version)."""
    errors = {}
    subscriptions = list(data.subscriptions)
    if not subscriptions:
        raise ClaimRefused({"subscriptions": [messages.NO_SUBSCRIPTIONS]})
    claimable = Organisation.objects.claimable_by(by)
    allowed = set(
        Subscription.objects.filter(
            pk__in=[s.pk for s in subscriptions], organisation__in=claimable
        ).values_list("pk", flat=True)
    )
    if any(s.pk not in allowed for s in subscriptions):
        raise ClaimRefused({"subscriptions": [messages.SUBSCRIPTION_NOT_YOURS]})
    if len({s.organisation_id for s in subscriptions}) > 1:
        errors.setdefault("subscriptions", []).append(messages.MIXED_ACCOUNTS)
    elif len({s.policy_id for s in subscriptions}) > 1:
        errors.setdefault("subscriptions", []).append(messages.MIXED_POLICIES)
    if data.period_end <= data.period_start:
        errors.setdefault("period_end", []).append(messages.PERIOD_ORDER)
    if errors:
        raise ClaimRefused(errors)
    account = subscriptions[0].organisation
    version = _policy_version(subscriptions[0].policy, data.period_start)
    return account, version


def save_draft(*, by, data, claim=None, now=None):
    """Create a draft, or replace what an existing draft says."""
    now = now or timezone.now()
    account, version = _checked(by, data)
    with transaction.atomic():
        if claim is None:
            claim = Claim(account=account, filed_by=by, created_at=now)
            action = "created"
        else:
            claim = Claim.objects.select_for_update().get(pk=claim.pk)
            if claim.state != ClaimState.DRAFT:
                raise ClaimRefused({"__all__": [messages.NOT_A_DRAFT]}, conflict=True)
            claim.account = account
            action = "edited"
        claim.policy_version = version
        claim.period_start = data.period_start
        claim.period_end = data.period_end
        claim.basis = data.basis
        claim.representation = data.representation
        claim.entered_timezone = data.entered_timezone
        claim.updated_at = now
        claim.save()
        claim.lines.all().delete()
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=claim,
                subscription=subscription,
                period_start=data.period_start,
                period_end=data.period_end,
            )
            for subscription in data.subscriptions
        )
        _record(claim, by, action, now, to_state=ClaimState.DRAFT)
    return claim


def submission_errors(claim, now):
    """The agreement's rules a draft must meet to be filed, as errors by field."""
    version = claim.policy_version
    policy = version.policy.name
    errors = {}
    if claim.period_end > now:
        errors["period_end"] = [messages.PERIOD_IN_FUTURE]
    if version.claim_window_days is not None:
        if (now - claim.period_end).days > version.claim_window_days:
            errors.setdefault("period_start", []).append(
                messages.OUTSIDE_CLAIM_WINDOW.format(
                    policy=policy,
                    days=version.claim_window_days,
                    ended=f"{claim.period_end:%Y-%m-%d}",
                )
            )
    if version.requires_good_standing and not claim.account.in_good_standing:
        errors["account"] = [
            messages.NOT_IN_GOOD_STANDING.format(
                account=claim.account,
                standing=claim.account.get_standing_display().lower(),
                policy=policy,
            )
        ]
    if version.requires_representation and not claim.representation:
        errors["representation"] = [messages.REPRESENTATION_MISSING.format(policy=policy)]
    if version.required_evidence == version.Evidence.NETWORK_TEST:
        if not claim.proofs.filter(kind__in=NETWORK_TEST_KINDS).exists():
            errors["proofs"] = [messages.PROOF_MISSING.format(policy=policy)]
    overlap = _overlapping_live_line(claim)
    if overlap is not None:
        errors.setdefault("period_start", []).append(
            messages.OVERLAP.format(
                subscription=overlap.subscription.service,
                other=overlap.claim.reference,
                start=f"{overlap.period_start:%Y-%m-%d %H:%M} UTC",
                end=f"{overlap.period_end:%Y-%m-%d %H:%M} UTC",
            )
        )
    return errors


def _overlapping_live_line(claim):
    return (
        ClaimLine.objects.filter(
            live=True,
            subscription__in=claim.lines.values("subscription"),
            period_start__lt=claim.period_end,
            period_end__gt=claim.period_start,
        )
        .exclude(claim=claim)
        .select_related("claim", "subscription__service")
        .first()
    )


def submit_claim(*, claim, by, now=None):
    """File a draft: check the agreement's rules, make it live, tell the claimant and reviewers."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the draft: a double click submits it once.
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("account__reseller")
            .get(pk=claim.pk)
        )
        if claim.state != ClaimState.DRAFT:
            raise ClaimRefused({"__all__": [messages.NOT_A_DRAFT]}, conflict=True)
        errors = submission_errors(claim, now)
        if errors:
            overlap_only = set(errors) == {"period_start"} and _overlapping_live_line(claim)
            raise ClaimRefused(errors, conflict=bool(overlap_only))
        version = claim.policy_version
        claim.state = ClaimState.SUBMITTED
        claim.submitted_at = now
        claim.decision_due_at = deadlines.decision_due(now, version.decision_days)
        claim.apply_by = deadlines.apply_by(
            now,
            version.apply_by_cycles,
            parse_timezone(version.policy.timezone),
            claim.account.billed_party.billing_anchor_day,
        )
        claim.updated_at = now
        claim.save(
            update_fields=["state", "submitted_at", "decision_due_at", "apply_by", "updated_at"]
        )
        try:
            # The exclusion constraint settles a race the check above cannot see: another
            # transaction filing an overlapping claim at the same moment.
            with transaction.atomic():
                claim.lines.update(live=True)
        except IntegrityError as exc:
            if "claimline_no_overlapping_live_period" not in str(exc):
                raise
            raise ClaimRefused(
                {"period_start": [messages.OVERLAP_CONCURRENT]}, conflict=True
            ) from None
        _record(claim, by, "submitted", now, from_state=ClaimState.DRAFT, to_state=claim.state)
        # Written to the outbox with the claim: sent after commit, swept if the broker is down.
        notifications.claim_filed(claim)
    return claim


def file_claim(*, by, data, claim=None, uploads=(), submit=True, now=None):
    """Save a draft (new, or `claim`), attach `uploads` [(file, declared kind)] and, with
    `submit`, file it: all or nothing. A refusal stores nothing, files included."""
    now = now or timezone.now()
    with removed_on_failure() as stored:
        # Read and store the files before any row is locked: parsing a long log is slow.
        prepared = [prepare_proof(by=by, uploaded=u, declared_kind=k) for u, k in uploads]
        stored.extend(p.name for p in prepared)
        with transaction.atomic():
            claim = save_draft(by=by, data=data, claim=claim, now=now)
            for proof in prepared:
                attach_prepared(claim=claim, by=by, prepared=proof, now=now)
            if submit:
                claim = submit_claim(claim=claim, by=by, now=now)
    return claim


@contextlib.contextmanager
def removed_on_failure():
    """Names of files stored inside the block; if the block fails they are deleted. Storage is
    not transactional, so this is what makes a refused or rolled-back change leave no file."""
    names = []
    try:
        yield names
    except BaseException:
        for name in names:
            with contextlib.suppress(OSError):
                proof_storage().delete(name)
        raise


def withdraw_claim(*, claim, by, reason="", now=None):
    now = now or timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if not claim.can_withdraw:
            raise ClaimRefused(
                {
                    "__all__": [
                        messages.CANNOT_WITHDRAW.format(state=claim.get_state_display().lower())
                    ]
                },
                conflict=True,
            )
        previous = claim.state
        claim.state = ClaimState.WITHDRAWN
        claim.updated_at = now
        claim.save(update_fields=["state", "updated_at"])
        claim.lines.update(live=False)
        _record(
            claim, by, "withdrawn", now, from_state=previous, to_state=claim.state, reason=reason
        )
    return claim


def claim_proof_bytes(claim):
    return sum(claim.proofs.values_list("size", flat=True))


@dataclass(frozen=True)
class PreparedProof:
    """A proof file checked, stored and read, waiting to be attached to its claim."""

    name: str
    inspected: object
    declared_kind: str
    evidence: dict | None  # Evidence.compact(), for a text file


def attach_proof(*, claim, by, uploaded, declared_kind="", now=None):
    """Check a file by its content, store it privately under a server-made name, read what it
    proves, attach it. A refused file leaves nothing behind."""
    now = now or timezone.now()
    with removed_on_failure() as stored:
        prepared = prepare_proof(by=by, uploaded=uploaded, declared_kind=declared_kind)
        stored.append(prepared.name)
        return attach_prepared(claim=claim, by=by, prepared=prepared, now=now)


def prepare_proof(*, by, uploaded, declared_kind=""):
    """Check, store and read one uploaded file, holding no lock: the file is read line by line
    from its temporary file. The caller deletes `.name` if what follows fails
    (`removed_on_failure`)."""
    if uploaded is None:
        raise ClaimRefused({"file": [messages.NO_FILE]})
    if declared_kind and declared_kind not in ProofKind.values:
        raise ClaimRefused({"kind": [f"Choose one of: {', '.join(ProofKind.values)}."]})
    inspected = inspected_or_refused(uploaded)
    if inspected.size > settings.PROOF_MAX_CLAIM_MB * 1024 * 1024:
        raise ClaimRefused({"file": [_too_large(0)]})
    evidence = _read(uploaded, by) if inspected.content_type == "text/plain" else None
    name = store(uploaded, inspected, proof_storage())
    return PreparedProof(
        name=name,
        inspected=inspected,
        declared_kind=declared_kind or "",
        evidence=evidence.compact() if evidence is not None else None,
    )


def attach_prepared(*, claim, by, prepared, now):
    """Attach a stored proof to its claim: the claim row is locked for this alone."""
    inspected = prepared.inspected
    with transaction.atomic():
        # Lock the claim: two uploads at once cannot together pass the per-claim limit.
        claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim.pk)
        if not claim.accepts_proof:
            raise ClaimRefused(
                {"file": [messages.PROOFS_CLOSED.format(state=claim.get_state_display().lower())]},
                conflict=True,
            )
        used = claim_proof_bytes(claim)
        if used + inspected.size > settings.PROOF_MAX_CLAIM_MB * 1024 * 1024:
            raise ClaimRefused({"file": [_too_large(used)]})
        evidence = prepared.evidence
        readable = bool(evidence and evidence["readable"])
        read_kind = evidence["kind"] if readable else None
        proof = Proof.objects.create(
            claim=claim,
            file=prepared.name,
            display_name=inspected.display_name,
            content_type=inspected.content_type,
            size=inspected.size,
            sha256=inspected.sha256,
            declared_kind=prepared.declared_kind,
            kind=prepared.declared_kind or read_kind or ProofKind.OTHER,
            read=readable,
            evidence=evidence,
            uploaded_by=by,
            uploaded_at=now,
        )
        _record(
            claim,
            by,
            "proof_added",
            now,
            data={"proof": proof.pk, "name": proof.display_name, "kind": proof.kind},
        )
    return proof


def _too_large(used):
    return messages.CLAIM_TOO_LARGE.format(
        used=_megabytes(used), limit=f"{settings.PROOF_MAX_CLAIM_MB} MB"
    )


def inspected_or_refused(uploaded):
    """The upload checked by its content, or a ClaimRefused saying what to fix."""
    try:
        return inspect_upload(uploaded, max_bytes=max_file_bytes())
    except ProofRejected as exc:
        raise ClaimRefused({"file": [exc.message]}) from None


def _read(uploaded, by):
    """What a text proof says, read as it streams from the upload's temporary file; times
    without an offset are read in the uploader's timezone."""
    try:
        tz = zoneinfo.ZoneInfo(by.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    handle = uploaded.file if hasattr(uploaded, "file") else uploaded
    try:
        return read_evidence_file(handle, tz=tz)
    finally:
        handle.seek(0)


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def _record(claim, actor, action, now, *, from_state="", to_state="", reason="", data=None):
    ClaimEvent.objects.create(
        claim=claim,
        actor=actor,
        at=now,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
