"""Apply-by warnings: staff are told, once per claim and threshold, when credit a claim's
decision in force awards is not all applied (its grant outcome not settled) and the apply-by
date ("applied within two billing cycles") is within seven days or has passed. The billing run
raises them after billing (billing.tasks.run_billing_once), so they follow what is settled."""

import datetime as dt

from django.db import IntegrityError, transaction

from billing.models import ApplyByThreshold, ApplyByWarning, GrantOutcome
from claims.escalation import warn
from claims.models import Award, Claim, Decision
from sla.engine import parse_timezone
from sla.models import Policy

APPLY_BY_SOON = dt.timedelta(days=7)


def credit_not_applied(claims):
    """Claims whose decision in force awards credit that billing has not finished with."""
    in_force = Decision.objects.in_force()
    owed = Award.objects.filter(decision__in=in_force, amount__gt=0)
    settled = GrantOutcome.objects.filter(decision__in=in_force, settled_at__isnull=False)
    return claims.filter(pk__in=owed.values("claim")).exclude(pk__in=settled.values("claim"))


def reached(now):
    """(threshold, claims) pairs: the claims that have reached each threshold at `now`. The
    apply-by date is a date in policy time, so "today" is taken per policy timezone."""
    for name in Policy.objects.values_list("timezone", flat=True).distinct():
        today = now.astimezone(parse_timezone(name)).date()
        unapplied = credit_not_applied(Claim.objects.filter(policy_version__policy__timezone=name))
        yield (
            ApplyByThreshold.SOON,
            unapplied.filter(apply_by__gte=today, apply_by__lte=today + APPLY_BY_SOON),
        )
        yield ApplyByThreshold.PASSED, unapplied.filter(apply_by__lt=today)


def escalate(now):
    """Raise every threshold a claim has reached and not had raised before. Safe to run twice,
    and twice at once. Returns the warnings raised."""
    raised = []
    for threshold, claims in reached(now):
        for claim in claims.exclude(apply_by_warnings__threshold=threshold).select_related(
            "account", "policy_version__policy"
        ):
            warning = _raise(claim, threshold, now)
            if warning is not None:
                raised.append(warning)
    return raised


def _raise(claim, threshold, now):
    """The warning and its mail, in one transaction, or None if it was raised already."""
    try:
        with transaction.atomic():
            # Two runs at once both pass the filter in escalate(); the unique (claim,
            # threshold) constraint lets one insert, the other rolls back here.
            warning = ApplyByWarning.objects.create(claim=claim, threshold=threshold, raised_at=now)
            warn(
                claim,
                key=f"apply-by-{warning.pk}",
                label=ApplyByThreshold(threshold).label,
                deadline_kind="apply",
            )
    except IntegrityError:
        return None
    return warning
