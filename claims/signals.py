"""What the claims app announces to apps that build on it (billing), without importing them."""

from django.dispatch import Signal

# Sent after the transaction of a decision that wrote awards (claims.models.Award) commits,
# with `claim_id`. Only a nudge: the award rows are the record, and billing's periodic run
# grants any it was not nudged about. Receivers must not fail: the decision is committed.
awards_written = Signal()
