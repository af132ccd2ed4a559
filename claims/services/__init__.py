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
from claims.services.review import (
    MaintenanceCall,
    SettledInterval,
    answer_info,
    approve,
    can_decide,
    confirm_approval,
    post_message,
    reject,
    request_info,
    review_context,
    settle,
    start_review,
)

__all__ = [
    "MaintenanceCall",
    "SettledInterval",
    "answer_info",
    "approve",
    "can_decide",
    "confirm_approval",
    "post_message",
    "reject",
    "request_info",
    "review_context",
    "settle",
    "start_review",
    "ClaimInput",
    "ClaimRefused",
    "attach_proof",
    "file_claim",
    "save_draft",
    "submission_errors",
    "submit_claim",
    "withdraw_claim",
]
