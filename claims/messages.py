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
