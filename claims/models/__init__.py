"""The claims app's models, by sub-domain: the claim and its audit trail (claim), proof files
(proof), the review (review), what decisions award (award), mail and escalations (notify)."""

from claims.models.award import Award, CapBasis
from claims.models.claim import (
    DECIDED_STATES,
    LIVE_STATES,
    PROOF_OPEN_STATES,
    QUEUE_STATES,
    WITHDRAWABLE_STATES,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimQuerySet,
    ClaimState,
    reviewers,
)
from claims.models.notify import Escalation, EscalationThreshold, Notification
from claims.models.proof import NETWORK_TEST_KINDS, Proof, ProofKind, proof_files, proof_storage
from claims.models.review import (
    Decision,
    DecisionKind,
    DecisionQuerySet,
    Message,
    MessageFile,
    MessageKind,
    Settlement,
)

__all__ = [
    "DECIDED_STATES",
    "LIVE_STATES",
    "QUEUE_STATES",
    "NETWORK_TEST_KINDS",
    "PROOF_OPEN_STATES",
    "WITHDRAWABLE_STATES",
    "Award",
    "CapBasis",
    "Claim",
    "ClaimEvent",
    "ClaimLine",
    "ClaimQuerySet",
    "ClaimState",
    "Decision",
    "DecisionKind",
    "DecisionQuerySet",
    "Escalation",
    "EscalationThreshold",
    "Message",
    "MessageFile",
    "MessageKind",
    "Notification",
    "Proof",
    "ProofKind",
    "Settlement",
    "proof_files",
    "proof_storage",
    "reviewers",
]
