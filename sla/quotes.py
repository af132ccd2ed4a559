"""Quotes against the policies kept in the database: the one place that joins the pure engine
to `Policy` rows, used by the quote_credit command, the API and the estimator page."""

from sla import engine
from sla.models import Policy


def known_policy_slugs():
    return set(Policy.objects.filter(versions__isnull=False).values_list("slug", flat=True))


def quote_request(request):
    """Quote one parsed `engine.QuoteRequest` with the policy versions in force."""
    policy = Policy.objects.get(slug=request.policy)
    return engine.quote(policy.terms_for(), request)


def quote_payload(text, *, breakdown=False):
    """Parse contract JSON (one object or a list), quote each, render in order.

    Raises engine.QuoteInputError naming the field for bad input.
    """
    parsed = engine.parse_payload(text, known_policies=known_policy_slugs())
    policies = {}

    def run(request):
        if request.policy not in policies:
            policies[request.policy] = Policy.objects.get(slug=request.policy).terms_for()
        return engine.render(engine.quote(policies[request.policy], request), breakdown=breakdown)

    if isinstance(parsed, list):
        return [run(request) for request in parsed]
    return run(parsed)
