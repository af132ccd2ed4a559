"""Who sees which claim, who is the claimant side, who may review: one place for the pages, the
API and the services.

- Seeing: `Claim.objects.visible_to(user)`; a claim outside it is a 404, never a 403 that
  confirms it exists.
- The claimant side: the account's own people, or its reseller's agents
  (`Organisation.objects.claimable_by`). They file, edit, withdraw, attach proof and answer.
- Reviewing: provider staff with the reviewer (or admin) role, never on a claim of their own
  side or one they filed. Review pages do not exist for anyone but provider staff (404).
- What the claimant side is shown of staff's work: not internal notes (nor that one was
  added), not the words a reviewer wrote when settling the downtime (working notes; the
  decision's own reason is the claimant's to read), and staff as "Provider staff", never
  their e-mail addresses (`events_seen_by`, `PeopleShown`).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from claims import messages
from claims.models import Claim
from portal.models import PROVIDER_ROLES, Organisation, Role, User

STAFF_SHOWN_AS = "Provider staff"
# Audit actions the claimant side does not see at all, and those whose reason it does not see.
STAFF_ONLY_ACTIONS = frozenset({"note_added"})
STAFF_ONLY_REASONS = frozenset({"settled"})

NOT_CLAIMANT_SIDE = "Only the account's own people can change its claim."
NOT_A_REVIEWER = "Only reviewers act on claims."


def visible_claims(user):
    return Claim.objects.visible_to(user)


def visible_claim(user, pk):
    """The claim `pk` if `user` may see it, else 404."""
    return get_object_or_404(
        visible_claims(user).select_related(
            "account__reseller", "filed_by", "policy_version__policy"
        ),
        pk=pk,
    )


def is_claimant_side(user, claim):
    return Organisation.objects.claimable_by(user).filter(pk=claim.account_id).exists()


def require_claimant_side(user, claim, message=NOT_CLAIMANT_SIDE):
    """403 for anyone but the account's own people (the API and pages alike)."""
    if not is_claimant_side(user, claim):
        raise PermissionDenied(message)


def is_staff(user):
    return user.is_superuser or user.is_provider_staff


def is_reviewer(user):
    return user.is_active and user.has_role(Role.REVIEWER, Role.ADMIN)


def require_staff(user):
    """Review pages do not exist for customers and resellers."""
    if not is_staff(user):
        raise Http404("No such page.")


def require_reviewer(user):
    require_staff(user)
    if not user.has_role(Role.REVIEWER, Role.ADMIN):
        raise PermissionDenied(NOT_A_REVIEWER)


def can_decide(user, claim):
    """(True, "") or (False, why): reviewers decide, never on a claim of their own side."""
    if not is_reviewer(user):
        return False, messages.NOT_A_REVIEWER
    if claim.filed_by_id == user.pk or is_claimant_side(user, claim):
        return False, messages.OWN_CLAIM
    return True, ""


class PeopleShown:
    """How people are named to `viewer`: provider staff see e-mail addresses; the claimant side
    sees its own people's and "Provider staff" for the provider's (one query, on first use)."""

    def __init__(self, viewer):
        self.staff_viewer = viewer is not None and is_staff(viewer)
        self._provider = None

    def name(self, person):
        if self.staff_viewer:
            return person.email
        if self._provider is None:
            self._provider = set(
                User.objects.filter(
                    Q(is_superuser=True) | Q(memberships__role__in=PROVIDER_ROLES)
                ).values_list("pk", flat=True)
            )
        return STAFF_SHOWN_AS if person.pk in self._provider else person.email


def events_seen_by(viewer, claim):
    """The claim's audit trail as `viewer` may see it, each event with `who` and `shown_reason`."""
    people = PeopleShown(viewer)
    shown = []
    for event in claim.events.select_related("actor"):
        if not people.staff_viewer and event.action in STAFF_ONLY_ACTIONS:
            continue
        event.who = people.name(event.actor)
        hidden = not people.staff_viewer and event.action in STAFF_ONLY_REASONS
        event.shown_reason = "" if hidden else event.reason
        shown.append(event)
    return shown
