"""Publishing a task after a commit without letting the broker fail or hold the request.

The change a task follows up is committed already; every piece of work published here has a
periodic sweep that finds it in the database (billing's run grants approvals left ungranted,
the outbox sweep sends mail still waiting). So a broker that is down or hung costs a warning,
never a 500 for committed work, and at most one broker timeout per process every
`SKIP_AFTER_FAILURE` seconds: later publishes in that window are skipped at once instead of
each waiting for the same dead broker.
"""

import logging
import threading
import time

from kombu.exceptions import OperationalError

from portal.celery import app

logger = logging.getLogger(__name__)

# Long enough that one request (an approval publishes mail and a grant) pays one timeout, short
# enough that a broker back from a blip is used again almost at once.
SKIP_AFTER_FAILURE = 5.0

_lock = threading.Lock()
_unreachable_until = {}  # broker URL -> monotonic instant publishing resumes


def publish(task, *args):
    """`task.delay(*args)`, unless the broker is unreachable: then log a warning and return
    False (the sweep does the work). Returns True when the message was handed to the broker."""
    broker = app.conf.broker_url
    now = time.monotonic()
    with _lock:
        if _unreachable_until.get(broker, 0.0) > now:
            logger.warning("Broker unreachable a moment ago: %s%r not queued", task.name, args)
            return False
    try:
        task.delay(*args)
    except OperationalError as exc:
        with _lock:
            _unreachable_until[broker] = time.monotonic() + SKIP_AFTER_FAILURE
        logger.warning("Broker unreachable (%s): %s%r not queued", exc, task.name, args)
        return False
    with _lock:
        _unreachable_until.pop(broker, None)
    return True


def forget_failures():
    """Publish again at once to every broker (tests that stop a broker of their own)."""
    with _lock:
        _unreachable_until.clear()
