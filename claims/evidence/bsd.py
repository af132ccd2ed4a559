"""BSD and macOS ping, read with jc's streaming ping parser (`jc.parsers.ping_s`).

Where jc is used and where not, measured on the captures in tests/claims/samples/ (jc 1.26.1):
- BSD/macOS ping (`PING host (ip): 56 data bytes`, "Request timeout for icmp_seq N",
  "92 bytes from ...: Destination Host Unreachable" with its IP header dump): jc reads every
  result line right, so this reader leaves the line forms to it and adds only what jc has no
  notion of: the time of each line (a `ts` prefix, or the `date` line before a run, which the
  project's `Clock` reads), the line numbers, and one jc parser per run of a shell loop.
- Linux iputils ping stays with the project's reader (ping.py): jc's `ping` parser drops the
  "Destination Host Unreachable" lines, raises on `ts`-prefixed lines, ignores `date` lines and
  reads only the first run of a loop; `ping_s` loses the time and sequence of `ts`-prefixed
  lines, and neither reads "ping: connect: Network is unreachable".
- dig, host: the project's readers (dns.py). jc's `dig` raises on a file of several runs with
  `date` lines, and on one run it cannot report a timeout, "connection refused" or "no
  servers could be reached"; jc's `host` folds a whole loop into one record and drops
  SERVFAIL, NXDOMAIN and timeouts.
- traceroute: jc reads the BSD/macOS and Linux forms (jc_*_traceroute.txt), but a traceroute
  carries no time and proves nothing about one service by itself; it is not read as proof.
"""

import re
from datetime import timedelta

import jc

from . import outcomes as o
from .common import Clock, Draft

_HEADER = re.compile(r"PING \S+ \([^)]*\): \d+ data bytes")
_TYPES = {
    "reply": o.REPLY,
    "timeout": o.TIMEOUT,
    "destination_host_unreachable": o.HOST_UNREACHABLE,
    "destination_net_unreachable": o.NETWORK_UNREACHABLE,
    "unreachable": o.UNREACHABLE,
}
# BSD ping's default interval, for results timed from the `date` line before their run.
INTERVAL = timedelta(seconds=1)


def detect(text: str) -> bool:
    return _HEADER.search(text) is not None or "Request timeout for icmp_seq" in text


def read(lines: list[str], clock: Clock) -> Draft:
    draft = Draft("ping", "bsd-ping")
    runs: list[list[tuple[int, object, str]]] = []  # (line number, instant or None, rest)
    for number, raw in enumerate(lines, 1):
        at, rest = clock.split(raw)
        if not rest:
            if at:
                clock.now = at
            continue
        if _HEADER.match(rest) or not runs:
            # A new run: its results are timed from their own prefix, or from this instant.
            runs.append([])
            runs[-1].append((number, at or clock.now, rest))
            continue
        runs[-1].append((number, at, rest))
    spaced = 0
    for run in runs:
        spaced += _read_run(run, draft)
    if spaced:
        draft.notes.append(
            f"{spaced} results timed from the `date` line before their run, one second apart"
            " by icmp_seq"
        )
    return draft


def _read_run(run: list, draft: Draft) -> int:
    start = run[0][1]
    current = {"number": 0, "at": None, "rest": ""}

    def feed():
        # jc's parser is a generator: each result it yields stands on the line fed last.
        for number, at, rest in run:
            current.update(number=number, at=at, rest=rest)
            yield rest

    seq, spaced = 0, 0
    for item in jc.parse("ping_s", feed(), quiet=True, ignore_exceptions=True):
        outcome = _TYPES.get(item.get("type"))
        if outcome is None:
            continue
        draft.target = draft.target or item.get("destination_ip") or item.get("destination")
        seq = item.get("icmp_seq", seq) if item.get("icmp_seq") is not None else seq
        at = current["at"]
        if at is None and start is not None:
            at = start + INTERVAL * seq
            spaced += 1
        if at is None:
            draft.untimed += 1
            continue
        draft.add(at, outcome == o.REPLY, outcome, current["rest"], current["number"])
    return spaced
