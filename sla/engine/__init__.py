"""The pure SLA credit engine: availability and credit arithmetic behind every quote.

Standard library only, no Django and no models, so it can be tested and benchmarked alone.
SLA_RULES.md is the source of truth for every rule here.
"""

from .compute import MonthQuote, Quote, quote
from .contract import QuoteTooLarge, parse_payload, parse_request, render
from .money import round_money
from .request import Downtime, Maintenance, QuoteInputError, QuoteRequest
from .terms import EXCEPTION_SLUGS, SHIPPED_POLICIES, PolicyTerms, parse_timezone

__all__ = [
    "EXCEPTION_SLUGS",
    "SHIPPED_POLICIES",
    "Downtime",
    "Maintenance",
    "MonthQuote",
    "PolicyTerms",
    "Quote",
    "QuoteInputError",
    "QuoteRequest",
    "QuoteTooLarge",
    "parse_payload",
    "parse_request",
    "parse_timezone",
    "quote",
    "render",
    "round_money",
]
