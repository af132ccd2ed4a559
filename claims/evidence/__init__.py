"""What a proof file shows: the outcomes of pings, DNS lookups and TCP connects, and when.

Standard library only, no Django and no models: the claims app stores `Evidence.to_dict()` and
shows `summary()` to the reviewer. `read_evidence` never raises: whatever a claimant uploads
(a PDF, a screenshot, an angry e-mail) is kept and marked unread instead.
"""

import logging
from datetime import UTC, tzinfo

from . import dns, ping, tcp
from .common import KINDS, Clock, Draft, Evidence, Observation, decode, plural, unreadable

__all__ = ["KINDS", "Evidence", "Observation", "read_evidence"]

log = logging.getLogger(__name__)

# (looks like it, read it); the first reader to find the most results wins.
READERS = (
    (ping.detect_linux, ping.read_linux),
    (ping.detect_windows, ping.read_windows),
    (dns.detect_dig, dns.read_dig),
    (dns.detect_nslookup, dns.read_nslookup),
    (tcp.detect, tcp.read),
)


def read_evidence(data: bytes | str, *, tz: tzinfo = UTC, year: int | None = None) -> Evidence:
    """Read tool output. `tz` is the claimant's timezone, for times that carry no offset;
    `year` completes dates printed without one (default: this year, in UTC)."""
    try:
        return _read(data, tz, year)
    except Exception:  # a file the readers trip over is still kept, only unread
        log.exception("evidence reader failed")
        return unreadable("the file could not be read (internal error)")


def _read(data: bytes | str, tz: tzinfo, year: int | None) -> Evidence:
    if not data:
        return unreadable("the file is empty")
    if isinstance(data, bytes) and data[:5] == b"%PDF-":
        return unreadable("a PDF: only plain-text tool output can be read")
    text, decoding = decode(data)
    if not text.strip():
        return unreadable("the file is empty")
    if _binary(text):
        return unreadable("not a text file: only plain-text tool output can be read")
    lines = text.split("\n")
    best: tuple[Draft, Clock] | None = None
    for looks_like, reader in READERS:
        if not looks_like(text):
            continue
        clock = Clock(tz, year)
        draft = reader(lines, clock)
        if best is None or _weight(draft) > _weight(best[0]):
            best = (draft, clock)
    if best is not None and not best[0].observations and best[0].untimed:
        return unreadable(
            f"{best[0].kind} output without a time for any of its {best[0].untimed} results:"
            " it needs a time on each line (ping -D, ts) or a `date` line before each run"
        )
    if best is None or not best[0].observations:
        return unreadable("no ping, DNS lookup, telnet or nc output found")
    draft, clock = best
    notes = [*draft.notes, *clock.notes(), *decoding]
    if draft.untimed:
        notes.append(f"{plural(draft.untimed, 'result')} without a time left out")
    if draft.unknown:
        notes.append(f"{plural(draft.unknown, 'line')} not understood")
    return Evidence(
        readable=True,
        kind=draft.kind,
        format=draft.format,
        target=draft.target,
        observations=tuple(sorted(draft.observations, key=lambda o: o.at)),
        notes=tuple(notes),
    )


def _weight(draft: Draft) -> tuple[int, int]:
    # Results without a time still tell which tool the file came from.
    return len(draft.observations), draft.untimed


def _binary(text: str) -> bool:
    # Tool output has no control characters but tabs; a screenshot or archive is full of them.
    head = text[:4096]
    controls = sum(1 for c in head if c < " " and c not in "\t\n\f\x1b")
    return controls > len(head) // 100 + 2
