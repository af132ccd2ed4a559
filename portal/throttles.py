"""API rate limits (DRF throttling): per token, per user and per client address.

Rates are read from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` when a request arrives (DRF's own
classes read them once at import), so a changed setting applies at once. Beyond a rate the API
answers 429 with `Retry-After`.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from portal.models import ApiToken


class _LiveRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_LiveRates, throttling.SimpleRateThrottle):
    """Each token its own budget, so one runaway script does not starve its user's other tools."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    """All of one person's requests, by session or by any of their tokens."""


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    """Requests without a login, per client address (X-Forwarded-For only with BEHIND_PROXY)."""


class ScopedRateThrottle(_LiveRates, throttling.ScopedRateThrottle):
    """Views with a `throttle_scope` (the quote API: "quotes") get a budget of their own."""

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return throttling.SimpleRateThrottle.allow_request(self, request, view)
