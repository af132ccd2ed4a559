"""gunicorn's settings for the portal (read from the working directory: `gunicorn portal.wsgi`).

Threads, not sync workers: a sync worker waits for a slow or stalled client's body for the whole
`timeout` and is then killed, leaving that upload's temporary file behind, while every other
request waits. Here a stalled client holds one thread for at most BODY_TIMEOUT seconds of
silence: its read fails, the request ends normally and its temporary file is closed and removed.
In production a buffering proxy (nginx with `proxy_request_buffering on`) sits in front as well,
so gunicorn sees only complete requests (README, "Running with Docker Compose").
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker whose main loop stops answering for this long is replaced.
timeout = 30
graceful_timeout = 20
# Idle kept-alive connections are closed after this many seconds.
keepalive = 5
accesslog = "-"

# Seconds a request's client may stay silent while the body is read.
BODY_TIMEOUT = float(os.environ.get("GUNICORN_BODY_TIMEOUT", "15"))


def pre_request(worker, req):
    """Bound every read of this request's body: a client that stops sending is cut off."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None:
        sock.settimeout(BODY_TIMEOUT)
