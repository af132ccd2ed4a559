"""Decision-due warnings: staff are told, once per claim and threshold, when a decision is due
within two days or overdue. Beat runs `escalate` every quarter of an hour (claims.tasks).

(Warnings that an approved credit's apply-by date nears or passed are billing's, which knows
what is applied: billing.escalation.)"""

import datetime as dt

from django.db import transaction
from django.template.loader import render_to_string

from claims import notifications
from claims.models import Claim, ClaimState, Escalation, EscalationThreshold
from portal.models import Role, User

# Staff owe the claimant a decision in these states.
DECIDING_STATES = (
    ClaimState.SUBMITTED,
    ClaimState.UNDER_REVIEW,
    ClaimState.INFO_REQUESTED,
    ClaimState.AWAITING_SECOND,
)
DECISION_DUE_SOON = dt.timedelta(days=2)

SUBJECT = "Claim {reference}: {threshold}"


def escalation_recipients():
    """Reviewers decide the claims; billing staff put approved credits on invoices."""
    return User.objects.filter(
        is_active=True, memberships__role__in=[Role.REVIEWER, Role.BILLING]
    ).distinct()


def reached(now):
    """(threshold, claims) pairs: the claims that have reached each threshold at `now`."""
    deciding = Claim.objects.filter(state__in=DECIDING_STATES)
    yield (
        EscalationThreshold.DECISION_DUE_SOON,
        deciding.filter(decision_due_at__gt=now, decision_due_at__lte=now + DECISION_DUE_SOON),
    )
    yield EscalationThreshold.DECISION_OVERDUE, deciding.filter(decision_due_at__lte=now)


def escalate(now):
    """Raise every threshold a claim has reached and not had raised before, mailing reviewers
    and billing staff. Safe to run twice, and twice at once. Returns the escalations raised."""
    raised = []
    for threshold, claims in reached(now):
        for claim in claims.exclude(escalations__threshold=threshold).select_related(
            "account", "policy_version__policy"
        ):
            escalation = _raise(claim, threshold, now)
            if escalation is not None:
                raised.append(escalation)
    return raised


def _raise(claim, threshold, now):
    """The escalation and its mail, in one transaction, or None if it was raised already."""
    with transaction.atomic():
        # Two runs at once both pass the filter above; the unique (claim, threshold) constraint
        # lets one insert, and get_or_create turns the other's IntegrityError (in a savepoint)
        # into finding that row.
        escalation, created = Escalation.objects.get_or_create(
            claim=claim, threshold=threshold, defaults={"raised_at": now}
        )
        if not created:
            return None
        warn(
            claim,
            key=f"escalation-{escalation.pk}",
            label=EscalationThreshold(threshold).label,
            deadline_kind="decision",
        )
    return escalation


def warn(claim, *, key, label, deadline_kind):
    """Mail reviewers and billing staff about a deadline of `claim` ("decision" or "apply"),
    through the outbox, in the caller's transaction."""
    notifications.queue(
        key=key,
        recipients=list(escalation_recipients().values_list("email", flat=True)),
        subject=SUBJECT.format(reference=claim.reference, threshold=label.lower()),
        body=render_to_string(
            "claims/mail/escalation.txt",
            {
                "claim": claim,
                "threshold": label,
                "deadline_kind": deadline_kind,
                "path": notifications.claim_path(claim),
            },
        ),
    )
