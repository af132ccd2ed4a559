"""Claim pages, by sub-domain: filing and following a claim (filing), staff review (review)."""
