"""Run by test_concurrent_filing in a separate process: submit one draft at an agreed instant.

argv: claim id, user id, the instant (time.time()) to start at. Prints OK or REFUSED <json>.
"""

import json
import os
import sys
import time

import django

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from claims import services  # noqa: E402
from claims.models import Claim  # noqa: E402
from portal.models import User  # noqa: E402

claim_id, user_id, start_at = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
claim, user = Claim.objects.get(pk=claim_id), User.objects.get(pk=user_id)
while time.time() < start_at:
    pass
try:
    services.submit_claim(claim=claim, by=user)
except services.ClaimRefused as refusal:
    print("REFUSED", json.dumps(refusal.errors))
else:
    print("OK")
