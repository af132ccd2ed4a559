"""Quotes against the policies kept in the database: the one place that joins the pure engine
to `Policy` rows, used by the quote_credit command, the API and the estimator page."""

from django.db import DatabaseError

from sla import engine
from sla.models import Policy


class PolicySource:
    """Policy slug -> the engine's `terms_for` (versions by instant), loaded once per slug.

    If the database cannot be read at all (not migrated yet, unreachable), quotes fall back to
    the policies exactly as shipped, so the contract's command still answers.
    """

    def __init__(self):
        self._resolvers = {}
        try:
            policies = Policy.objects.filter(versions__isnull=False).distinct()
            self._policies = {policy.slug: policy for policy in policies}
        except DatabaseError:
            self._policies = None

    def slugs(self):
        if self._policies is None:
            return set(engine.SHIPPED_POLICIES)
        return set(self._policies)

    def terms_for(self, slug):
        if slug not in self._resolvers:
            if self._policies is None:
                self._resolvers[slug] = engine.SHIPPED_POLICIES[slug]
            else:
                self._resolvers[slug] = self._policies[slug].terms_for()
        return self._resolvers[slug]


def quote_payload(text, *, breakdown=False):
    """Parse contract JSON (one object or a list), quote each, render in order.

    Raises engine.QuoteInputError naming the field for bad input.
    """
    source = PolicySource()
    parsed = engine.parse_payload(text, known_policies=source.slugs())

    def run(request):
        quote = engine.quote(source.terms_for(request.policy), request)
        return engine.render(quote, breakdown=breakdown)

    if isinstance(parsed, list):
        return [run(request) for request in parsed]
    return run(parsed)
