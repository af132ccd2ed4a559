"""What a proof file shows: the outcomes of pings, DNS lookups and TCP connects, and when.

Standard library only, no Django and no models: the claims app stores `Evidence.to_dict()` and
shows `summary()` to the reviewer. `read_evidence` never raises: whatever a claimant uploads
(a PDF, a screenshot, an angry e-mail) is kept and marked unread instead.
"""

import io
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, tzinfo
from typing import BinaryIO

from . import bsd, dns, ping, probes, tcp
from .common import (
    KINDS,
    Clock,
    Draft,
    Episode,
    Evidence,
    Observation,
    _looks_utf16le,
    decode,
    plural,
    unreadable,
)

__all__ = ["KINDS", "Episode", "Evidence", "Observation", "read_evidence", "read_evidence_file"]

log = logging.getLogger(__name__)

# (looks like it, read it). Every reader that finds results reads the whole file and claims
# the lines its results stand on; a file from a shell loop running several tools is the
# union. Where two readers claim one line, the one with more results keeps it.
READERS = (
    (bsd.detect, bsd.read),
    (ping.detect_linux, ping.read_linux),
    (ping.detect_windows, ping.read_windows),
    (probes.detect_fping, probes.read_fping),
    (probes.detect_hping, probes.read_hping),
    (probes.detect_mtr, probes.read_mtr),
    (probes.detect_tcptraceroute, probes.read_tcptraceroute),
    (probes.detect_curl, probes.read_curl),
    (dns.detect_dig, dns.read_dig),
    (dns.detect_host, dns.read_host),
    (dns.detect_dig_short, dns.read_dig_short),
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
    return _from_lines(lambda: lines, _recognised([text]), decoding, tz, year)


def read_evidence_file(handle: BinaryIO, *, tz: tzinfo = UTC, year: int | None = None) -> Evidence:
    """`read_evidence` for a seekable binary file (an upload's temporary file, a stored proof),
    read line by line and never held whole in memory: the readers that recognise the file
    each read it again from the start."""
    try:
        return _read_file(handle, tz, year)
    except Exception:  # a file the readers trip over is still kept, only unread
        log.exception("evidence reader failed")
        return unreadable("the file could not be read (internal error)")


HEAD_BYTES = 64 * 1024  # enough to tell the encoding, and a binary file from text
HEAD_LINES = 50  # a tool's header, shown to the recognisers beside every later block
BLOCK_LINES = 2_000  # the lines recognised at once


def _from_lines(
    open_lines: Callable[[], Iterable[str]],
    recognised: list[bool],
    decoding: list[str],
    tz: tzinfo,
    year: int | None,
) -> Evidence:
    """Read with every reader `recognised` marks; `open_lines()` starts the file again."""
    drafts: list[tuple[Draft, Clock]] = []
    for (_, reader), chosen in zip(READERS, recognised, strict=True):
        if not chosen:
            continue
        clock = Clock(tz, year)
        drafts.append((reader(open_lines(), clock), clock))
    drafts.sort(key=lambda pair: _weight(pair[0]), reverse=True)
    found = [pair for pair in drafts if pair[0].observations]
    if not found:
        untimed = [d for d, _ in drafts if d.untimed]
        if untimed:
            draft = untimed[0]
            return unreadable(
                f"{draft.kind} output without a time on its results ({draft.format},"
                f" {plural(draft.untimed, 'result')}): it needs a time on each line (ping -D,"
                " ts) or a `date` line before each run"
            )
        return unreadable(
            "no ping, fping, mtr, hping3, tcptraceroute, curl, DNS lookup (dig, host,"
            " nslookup, drill, kdig), telnet or nc output found"
        )
    return _merge(found, decoding)


def _recognised(blocks: Iterable[str]) -> list[bool]:
    """Which readers recognise the file, shown block by block."""
    chosen = [False] * len(READERS)
    for block in blocks:
        for i, (looks_like, _) in enumerate(READERS):
            chosen[i] = chosen[i] or looks_like(block)
    return chosen


def _read_file(handle: BinaryIO, tz: tzinfo, year: int | None) -> Evidence:
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    if not head:
        return unreadable("the file is empty")
    if head[:5] == b"%PDF-":
        return unreadable("a PDF: only plain-text tool output can be read")
    codec, decoding = _codec(head)
    if _binary(decode(head)[0]):
        return unreadable("not a text file: only plain-text tool output can be read")
    try:
        # Strict first, as `decode` is: a file that is not UTF-8 is read again as Latin-1.
        recognised, blank = _recognise(handle, codec, "strict" if codec == "utf-8" else "replace")
    except UnicodeDecodeError:
        codec, decoding = "latin-1", ["not UTF-8: read as Latin-1"]
        recognised, blank = _recognise(handle, codec, "replace")
    if blank:
        return unreadable("the file is empty")
    return _from_lines(lambda: _lines(handle, codec), recognised, decoding, tz, year)


def _codec(head: bytes) -> tuple[str, list[str]]:
    """The codec `decode` chooses, told from the file's first bytes."""
    if head[:3] == b"\xef\xbb\xbf":
        return "utf-8-sig", []
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16", []
    if _looks_utf16le(head):
        return "utf-16-le", ["read as UTF-16 without a byte order mark"]
    return "utf-8", []


def _lines(handle: BinaryIO, codec: str, errors: str = "replace") -> Iterable[str]:
    """The file's lines without their ends, decoded as they are read; universal newlines, as
    `decode` normalises them."""
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=codec, errors=errors, newline=None)
    try:
        for line in text:
            yield line.removesuffix("\n")
    finally:
        text.detach()  # the caller's file stays open


def _recognise(handle: BinaryIO, codec: str, errors: str) -> tuple[list[bool], bool]:
    """(which readers recognise the file, whether it is blank), one block of lines at a time,
    each block behind the file's first lines so that a header still tells its tool."""
    header: list[str] = []
    block: list[str] = []
    blank = True

    def blocks():
        nonlocal block, blank
        for n, line in enumerate(_lines(handle, codec, errors), 1):
            blank = blank and not line.strip()
            if n <= HEAD_LINES:
                header.append(line)
            else:
                block.append(line)
            if len(block) >= BLOCK_LINES:
                yield "\n".join([*header, *block])
                block = []
        yield "\n".join([*header, *block])

    return _recognised(blocks()), blank


def _merge(found: list[tuple[Draft, Clock]], decoding: list[str]) -> Evidence:
    draft, clock = found[0]
    claimed = {ob.line for ob in draft.observations if ob.line}
    observations = list(draft.observations)
    others = []
    for other, _ in found[1:]:
        mine = [ob for ob in other.observations if not ob.line or ob.line not in claimed]
        if not mine:
            continue
        claimed.update(ob.line for ob in mine)
        observations += mine
        others.append((other, len(mine)))
    notes = [*draft.notes, *clock.notes(), *decoding]
    if draft.untimed:
        notes.append(f"{plural(draft.untimed, 'result')} without a time left out")
    if draft.unknown and not others:
        notes.append(f"{plural(draft.unknown, 'line')} not understood")
    fmt = draft.format
    if others:
        fmt = "+".join([draft.format, *(d.format for d, _ in others)])
        notes.append(
            "also read: "
            + "; ".join(
                f"{d.format} {d.target or 'unknown target'} ({plural(n, 'result')})"
                for d, n in others
            )
        )
    return Evidence(
        readable=True,
        kind=draft.kind,
        format=fmt,
        target=draft.target,
        observations=tuple(sorted(observations, key=lambda o: o.at)),
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
