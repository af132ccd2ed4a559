"""Every state change of a claim goes through these functions, by sub-domain: filing (drafts,
submission, withdrawal, proof) and review (settling downtime, decisions, the conversation).
Each runs in one transaction and leaves a ClaimEvent of who, when and why."""

from claims.services.filing import (
    ClaimInput,
    ClaimRefused,
    attach_proof,
    file_claim,
    save_draft,
    submission_errors,
    submit_claim,
    withdraw_claim,
)

__all__ = [
    "ClaimInput",
    "ClaimRefused",
    "attach_proof",
    "file_claim",
    "save_draft",
    "submission_errors",
    "submit_claim",
    "withdraw_claim",
]
