"""The one place money is rounded.

SLA_RULES.md, Common arithmetic 5: a credit is rounded once, at the end, to cents with
ROUND_HALF_UP. The engine carries exact amounts as integer ratios until then, so this helper
takes a numerator and a denominator rather than a Decimal that may already be inexact.
"""

from decimal import Decimal

ROUNDING_MODES = ("ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_DOWN", "ROUND_UP")


def round_money(numerator: int, denominator: int = 1, rounding: str = "ROUND_HALF_UP") -> Decimal:
    """numerator / denominator rounded to cents, as a Decimal with exactly two places.

    ROUND_UP and ROUND_DOWN are away from and toward zero, as in the decimal module.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if rounding not in ROUNDING_MODES:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDING_MODES)}")
    negative = numerator < 0
    cents, rest = divmod(abs(numerator) * 100, denominator)
    if rest:
        twice = 2 * rest
        if rounding == "ROUND_HALF_UP":
            cents += twice >= denominator
        elif rounding == "ROUND_HALF_EVEN":
            cents += twice > denominator or (twice == denominator and cents % 2 == 1)
        elif rounding == "ROUND_UP":
            cents += 1
    sign = "-" if negative and cents else ""
    # Built from digits, not by Decimal arithmetic, so no context precision can round it again.
    return Decimal(f"{sign}{cents // 100}.{cents % 100:02d}")


def ratio(amount: Decimal) -> tuple[int, int]:
    """An exact Decimal as (numerator, denominator) for integer arithmetic."""
    return amount.as_integer_ratio()
