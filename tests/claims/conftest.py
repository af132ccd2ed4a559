"""Scenarios for filing claims: the demo accounts, proof logs in real formats, helpers."""

import datetime as dt

from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.helpers import subscription  # noqa: F401 - tests import it from here

# A moment well after the claimed outages below, so nothing is "in the future".
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
# The outage: 2026-03-10 19:00-19:47 UTC (12:00-12:47 MST, 14:00-14:47 EST).
START = dt.datetime(2026, 3, 10, 19, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 3, 10, 19, 47, tzinfo=dt.UTC)


def ping_log(start=START, end=END, host="mail.acme-dental.example", address="203.0.113.10"):
    """Linux `ping -D -O` output: replies before and after, timeouts during [start, end)."""
    lines = [f"PING {host} ({address}) 56(84) bytes of data."]
    instant = start - dt.timedelta(minutes=2)
    seq = 1
    while instant < end + dt.timedelta(minutes=2):
        stamp = f"[{instant.timestamp():.6f}]"
        if start <= instant < end:
            lines.append(f"{stamp} no answer yet for icmp_seq={seq}")
        else:
            lines.append(f"{stamp} 64 bytes from {address}: icmp_seq={seq} ttl=57 time=12.3 ms")
        instant += dt.timedelta(seconds=30)
        seq += 1
    return ("\n".join(lines) + "\n").encode()


def upload(name="ping.txt", content=None, content_type="text/plain"):
    return SimpleUploadedFile(name, ping_log() if content is None else content, content_type)


def stored_files():
    storage = storages["proofs"]
    found = []

    def walk(path):
        directories, files = storage.listdir(path)
        found.extend(f"{path}/{f}" if path else f for f in files)
        for directory in directories:
            walk(f"{path}/{directory}" if path else directory)

    if storage.exists(""):
        walk("")
    return found
