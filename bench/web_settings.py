"""The portal's settings, with the benchmark's URLconf (bench.web_urls: the discard endpoint).
Used only by bench.bench_web's gunicorn."""

import os

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"
# collectstatic writes here (DEBUG off serves the manifest's hashed names, as in production).
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
