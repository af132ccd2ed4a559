"""What the claims app announces to apps that build on it (billing), without importing them."""

from django.dispatch import Signal

# Sent after the transaction that approved a claim commits, with `claim_id`. Receivers must
# not fail: the approval is already committed (billing's sweep repairs a lost enqueue).
claim_approved = Signal()
