"""What the claims app says to people, in one place so tests can assert the exact words."""

NO_SUBSCRIPTIONS = "Choose at least one subscription the outage hit."
SUBSCRIPTION_NOT_YOURS = "You cannot file a claim for that subscription."
MIXED_ACCOUNTS = "A claim is for one account: choose subscriptions of a single account."
MIXED_POLICIES = (
    "These subscriptions are covered by different agreements: file one claim per agreement."
)
PERIOD_ORDER = "The end of the claimed period must be after its start."
PERIOD_IN_FUTURE = "The claimed period cannot end in the future: enter when the outage ended."
OUTSIDE_CLAIM_WINDOW = (
    "Claims under {policy} must be filed within {days} days of the outage; this one ended on "
    "{ended}."
)
NOT_IN_GOOD_STANDING = (
    "{account} is not in good standing ({standing}); under {policy} a credit can only be "
    "requested by an account in good standing. Settle the overdue invoice first."
)
REPRESENTATION_MISSING = (
    "Tick the representation: to your knowledge, no Exception caused this outage "
    "({policy} requires it)."
)
PROOF_MISSING = (
    "Attach at least one ping, DNS or telnet test with timestamps ({policy} requires proof of "
    "the outage)."
)
OVERLAP = (
    "Multiple requests are not granted for the same time period: {subscription} already has "
    "claim {other} covering {start} to {end}."
)
OVERLAP_CONCURRENT = (
    "Multiple requests are not granted for the same time period: another claim for these "
    "subscriptions and period was just filed."
)
NOT_A_DRAFT = "This claim was already submitted; it can no longer be changed."
CANNOT_WITHDRAW = "A claim that is {state} can no longer be withdrawn."
PROOFS_CLOSED = "Proof can no longer be added to a claim that is {state}."
CLAIM_TOO_LARGE = (
    "This claim already holds {used} of proof; with this file it would pass the limit of "
    "{limit} per claim."
)
NO_FILE = "Choose a file to attach."

# --- review ------------------------------------------------------------------------------------
NOT_A_REVIEWER = "Only the provider's reviewers decide claims."
OWN_CLAIM = "You cannot decide a claim of your own account or one you filed."
NOT_CLAIMANT = "Only the account's own people can do this."
NOT_IN_REVIEW = "A claim that is {state} is not under review."
NOT_WAITING = "A claim that is {state} is not waiting for a reviewer."
NOT_DECIDABLE = "A claim that is {state} cannot be decided."
AWAITING_SECOND = (
    "This approval is waiting for a second reviewer: confirm it, or correct it once confirmed."
)
NOTHING_TO_CONFIRM = "There is no approval waiting for a second reviewer on this claim."
FOUR_EYES = "A second reviewer must confirm this approval: you approved it yourself."
ALREADY_DECIDED = "This claim was already decided by {who} at {when}."
CORRECTION_NEEDS_REASON = (
    "This claim is already decided: a new decision corrects it and needs a written reason."
)
OVERRIDE_NEEDS_REASON = (
    "Approving an amount other than the engine's {engine} needs a written reason."
)
EVIDENCE_OVERRIDE_NEEDS_REASON = (
    "No ping, DNS or telnet proof has timestamps inside the claimed period: approving anyway "
    "needs a written reason."
)
AMOUNT_INVALID = "Enter the amount as a non-negative number with at most two decimals."
REJECTION_NEEDS_REASON = "Say why the claim is rejected: the claimant is told the reason."
QUESTION_EMPTY = "Write the question for the claimant."
ANSWER_EMPTY = "Write an answer or attach a file."
NO_QUESTION_OPEN = "There is no open request for information on this claim."
MESSAGE_EMPTY = "Write a message."
NOTES_ARE_STAFF_ONLY = "Only staff can write internal notes."
MESSAGES_ARE_REVIEWERS = (
    "Of the provider's staff, only reviewers write on a claim or add internal notes."
)
NO_INTERVALS = "Settle at least one downtime interval (or reject the claim)."
INTERVAL_NAIVE = "Interval {number}: enter both instants."
INTERVAL_ORDER = "Interval {number}: the end must be after the start."
EXCEPTION_NOT_IN_POLICY = "Interval {number}: {slug!r} is not an Exception of this agreement."
EXCEPTION_NEEDS_REASON = "Interval {number}: say why it is tagged as an Exception."
MAINTENANCE_UNKNOWN = "Maintenance record {id} does not concern this claim."
MAINTENANCE_NEEDS_REASON = "Say why maintenance record {id} does not count as maintenance."

# The proposed settlement (claims.services.review.proposal_for) and what the claimant sees.
PROPOSAL_CHANGED = (
    "The proposal changed since this page was loaded (a proof or an incident was added):"
    " look at it again before accepting it."
)
PROPOSAL_EMPTY = (
    "The proposal has no downtime to settle: neither the proofs nor the provider's incidents"
    " show a failure inside the claimed period. Settle intervals by hand, or reject the claim."
)
PROOF_COVERS_NONE = (
    "Your proof shows no failure inside the claimed period. {policy} needs a ping, DNS or"
    " telnet test of the outage; you can still submit, but the reviewer will look for one."
)
PROOF_SHOWS_NO_FAILURE = "Your proof shows no failure inside the claimed period."
