"""Who sees which claim, who is the claimant side, who may review: one place for the pages, the
API and the services.

- Seeing: `Claim.objects.visible_to(user)`; a claim outside it is a 404, never a 403 that
  confirms it exists.
- The claimant side: the account's own people, or its reseller's agents
  (`Organisation.objects.claimable_by`). They file, edit, withdraw, attach proof and answer.
- Reviewing: provider staff with the reviewer (or admin) role, never on a claim of their own
  side or one they filed. Review pages do not exist for anyone but provider staff (404).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from claims import messages
from claims.models import Claim
from portal.models import Organisation, Role

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
