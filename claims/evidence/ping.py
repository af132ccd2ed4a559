"""Ping logs: Linux iputils (`ping -D`, `-O`, or any time prefix) and Windows `ping -t` with a
time put in front of each line by PowerShell or cmd."""

import re
from datetime import datetime, timedelta

from . import outcomes as o
from .common import Clock, Draft, Observation, plural, trim

# --- Linux (iputils; BSD and busybox print the same reply lines) ---------------------------

_HEADER = re.compile(r"PING (?P<host>[^\s(]+)\s?\(")
_SEQ = re.compile(r"\b(?:icmp_)?seq[= ](?P<seq>\d+)")
_BYTES_FROM = re.compile(r"\d+ bytes from (?P<host>[^\s:]+)")
_FROM = re.compile(r"From \S+(?: \([^)]*\))?:? icmp_seq=\d+ (?P<why>.+)")
_NO_NAME = re.compile(
    r"ping: (?:(?P<a>[^\s:]+): (?:Name or service not known|Temporary failure in name resolution"
    r"|No address associated with hostname|Name does not resolve)"
    r"|unknown host (?P<b>\S+)|cannot resolve (?P<c>[^\s:]+): Unknown host)"
)
_STATS = re.compile(r"(?P<sent>\d+) packets transmitted, (?P<got>\d+) (?:packets )?received")
_ELAPSED = re.compile(r"time (?P<ms>\d+)ms")
_NOISE = re.compile(
    r"--- .* ping statistics ---|rtt |round-trip |\^C|ping: socket|ping: Warning|PING "
)
# Errors ping prints instead of a probe: no route when it starts (connect) or while it runs
# (sendmsg, sendto). Each one is a probe that did not go out.
_SEND_ERROR = re.compile(r"ping: (?:connect|sendmsg|sendto): (?P<why>.+)")
# The interval ping uses unless told otherwise (-i), for results under one `date` line.
INTERVAL = timedelta(seconds=1)


def send_outcome(why: str) -> str:
    why = why.lower()
    if "network is unreachable" in why:
        return o.NETWORK_UNREACHABLE
    if "no route" in why or "host is unreachable" in why:
        return o.HOST_UNREACHABLE
    return o.SEND_FAILED


_WRAP = 65536  # icmp_seq is 16 bits and wraps to 0


def detect_linux(text: str) -> bool:
    if "bytes of data" not in text and _BSD_HEADER.search(text):
        return False  # BSD/macOS ping: bsd.py reads it, with jc
    return "icmp_seq" in text or "bytes of data" in text or "ping: " in text


_BSD_HEADER = re.compile(r"PING \S+ \([^)]*\): \d+ data bytes")


class _Run:
    """One ping invocation: sequence numbers restart at every PING header."""

    def __init__(self, start: datetime | None):
        self.start = start
        self.seen: dict[int, int] = {}  # unwrapped seq -> index into the observations
        self.first: tuple[int, datetime] | None = None
        self.last: tuple[int, datetime] | None = None
        self.wraps = 0
        self.errors = 0  # probes that failed to go out (connect/sendmsg errors)
        self.untimed = 0  # results printed without a time


# A file of 10 MB holds ~150,000 lines; inferring far more than that from a few lines would
# let one odd statistics line cost what a huge file costs.
INFER_LIMIT = 200_000


class _Linux:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.draft = Draft("ping", "linux-ping-timestamped")
        self.run = _Run(None)
        self.inferred = self.late = self.stamped = self.spaced = 0
        self.capped = False
        self.stats_only = 0  # probes known only from a statistics line

    def timeouts(self, seqs: range, at_seq) -> None:
        """Inferred timeouts for probes that printed nothing, at the time `at_seq` gives."""
        if self.inferred + len(seqs) > INFER_LIMIT:
            self.capped = True
            return
        for seq in seqs:
            self.draft.add(at_seq(seq), False, "timeout", _inferred(seq))
        self.inferred += len(seqs)

    def finish(self, sent: int | None, elapsed_ms: int | None) -> None:
        """Timeouts before the first and after the last answer, which ping without -O prints
        nothing for; the statistics line says how many probes were sent. The last probe is
        left out when some came back: Ctrl-C may have cut its wait short."""
        run = self.run
        if run.first and run.last and run.last[0] > run.first[0]:
            step = (run.last[1] - run.first[1]) / (run.last[0] - run.first[0])
        elif sent and elapsed_ms and sent > 1:
            step = timedelta(milliseconds=elapsed_ms / (sent - 1))
        else:
            step = timedelta(seconds=1)  # ping's default interval
        if run.first:
            first_seq, first_at = run.first
            self.timeouts(range(1, first_seq), lambda q: first_at - step * (first_seq - q))
        if run.last and sent:
            last_seq, last_at = run.last
            self.timeouts(range(last_seq + 1, sent), lambda q: last_at + step * (q - last_seq))
        if not run.first and sent and run.start:
            # Nothing came back at all: the run is known by its start and its statistics only.
            start = run.start
            self.timeouts(range(1, sent + 1), lambda q: start + step * (q - 1))
        elif not run.first and sent and not run.errors and not run.untimed:
            self.stats_only += sent
        self.run = _Run(None)

    def line(self, raw: str) -> None:
        draft, run = self.draft, self.run
        at, rest = self.clock.split(raw)
        if not rest:
            if at:
                self.clock.now = at
            return
        when = at or self.clock.now
        if header := _HEADER.match(rest):
            self.run = _Run(when)
            draft.target = draft.target or header["host"]
            return
        if stats := _STATS.search(rest):
            elapsed = _ELAPSED.search(rest)
            sent = int(stats["sent"]) if stats["got"] == "0" or run.first else None
            if sent is None and not run.first and not run.untimed and int(stats["sent"]):
                self.stats_only += int(stats["sent"])
            self.finish(sent, int(elapsed["ms"]) if elapsed else None)
            return
        if error := _SEND_ERROR.match(rest):
            run.errors += 1
            if when:
                draft.add(when, False, send_outcome(error["why"]), raw)
            else:
                draft.untimed += 1
            return
        if name := _NO_NAME.search(rest):
            draft.target = draft.target or name["a"] or name["b"] or name["c"]
            if when:
                draft.add(when, False, "unknown-host", raw)
            else:
                draft.untimed += 1
            return
        seq_match = _SEQ.search(rest)
        if seq_match is None or int(seq_match["seq"]) >= _WRAP:
            if _NOISE.match(rest) is None:
                draft.unknown += 1
            return
        if "(DUP!)" in rest:
            return
        if "bytes from" in rest:
            ok, outcome = True, "reply"
            if draft.target is None and (host := _BYTES_FROM.search(rest)):
                draft.target = host["host"]
        elif "no answer yet" in rest or "Request timeout" in rest:
            ok, outcome = False, "timeout"
        elif "Host Unreachable" in rest:
            ok, outcome = False, o.HOST_UNREACHABLE
        elif "Net Unreachable" in rest:
            ok, outcome = False, o.NETWORK_UNREACHABLE
        elif _FROM.search(rest) or "nreachable" in rest or "exceeded" in rest:
            ok, outcome = False, o.UNREACHABLE
        else:
            draft.unknown += 1
            return
        if when is None:
            draft.untimed += 1
            run.untimed += 1
            return
        self.stamped += at is not None

        seq = int(seq_match["seq"])
        if at is None and run.start is not None and when == run.start:
            # Under one `date` line: each probe one interval after the run started.
            when = run.start + INTERVAL * (seq - 1)
            self.spaced += 1
        if run.last and seq < 1000 and run.last[0] % _WRAP > _WRAP - 1000:
            run.wraps += 1
        seq += run.wraps * _WRAP
        if seq in run.seen:
            # A reply after -O's "no answer yet" for the same probe: the host did answer.
            index = run.seen[seq]
            if ok and not draft.observations[index].ok:
                draft.observations[index] = Observation(when, True, outcome, trim(raw))
                self.late += 1
            return
        if run.last and seq > run.last[0] + 1 and when != run.last[1]:
            # Without -O a lost probe prints nothing: its sequence number is simply missing.
            last_seq, last_at = run.last
            step = (when - last_at) / (seq - last_seq)
            self.timeouts(range(last_seq + 1, seq), lambda q: last_at + step * (q - last_seq))
        run.seen[seq] = len(draft.observations)
        draft.add(when, ok, outcome, raw)
        if run.first is None:
            run.first = (seq, when)
        if run.last is None or seq > run.last[0]:
            run.last = (seq, when)


def read_linux(lines, clock: Clock) -> Draft:
    reader = _Linux(clock)
    for n, raw in enumerate(lines, 1):
        reader.draft.lineno = n
        reader.line(raw)
    draft = reader.draft
    draft.untimed += reader.stats_only
    if reader.spaced:
        draft.notes.append(
            f"{plural(reader.spaced, 'result')} timed from the `date` line before its run,"
            " one second apart by icmp_seq"
        )
    if clock.epochs and clock.epochs * 2 >= reader.stamped:
        draft.format = "linux-ping-D"
    if reader.inferred:
        draft.notes.append(
            f"{plural(reader.inferred, 'timeout')} inferred from missing icmp_seq numbers,"
            " spaced by the interval between the replies around them"
        )
    if reader.capped:
        draft.notes.append(f"more than {INFER_LIMIT} missing probes: not all were inferred")
    if reader.late:
        late = plural(reader.late, "reply", "replies")
        draft.notes.append(f"{late} after 'no answer yet' counted as replies")
    return draft


def _inferred(seq: int) -> str:
    return f"icmp_seq={seq % _WRAP}: nothing printed (no reply; inferred)"


# --- Windows ------------------------------------------------------------------------------

_PINGING = re.compile(
    r"(?:Pinging|Ping wird ausgeführt für) (?P<host>\S+)(?: \[(?P<addr>[^\]]+)\])? (?:with|mit) "
)
_REPLY = re.compile(r"(?:Reply from|Antwort von) (?P<host>\S+?):\s+(?P<what>.*)")
_RTT = re.compile(r"\b(?:time|zeit)[=<]", re.I)
_NOT_FOUND = re.compile(
    r"Ping request could not find host (?P<a>\S+?)\.(?:\s|$)|"
    r"Ping-Anforderung konnte Host \"?(?P<b>[^\s\"]+?)\"? nicht finden"
)
_WIN_NOISE = re.compile(
    r"Ping statistics|Ping-Statistik|Packets: |Pakete: |Approximate round trip|Ca\. Zeitangaben"
    r"|Minimum = |Control-C|\^C|Strg-C"
)


def detect_windows(text: str) -> bool:
    return any(
        s in text
        for s in (
            "Reply from ",
            "Request timed out",
            "Pinging ",
            "transmit failed",
            "could not find host",
            "Antwort von ",
            "Zeitüberschreitung der Anforderung",
        )
    )


def read_windows(lines, clock: Clock) -> Draft:
    draft = Draft("ping", "windows-ping-timestamped")
    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if not rest:
            if at:
                clock.now = at
            continue
        if header := _PINGING.match(rest):
            draft.target = draft.target or header["host"]
            continue
        result = _windows_result(rest)
        if result is None:
            if _WIN_NOISE.match(rest) is None:
                draft.unknown += 1
            continue
        ok, outcome, host = result
        draft.target = draft.target or host
        when = at or clock.now
        if when is None:
            draft.untimed += 1
            continue
        draft.add(when, ok, outcome, raw)
    return draft


def _windows_result(rest: str) -> tuple[bool, str, str | None] | None:
    if reply := _REPLY.match(rest):
        what = reply["what"]
        if _RTT.search(what):
            return True, "reply", None
        # "Reply from 192.0.2.1: Destination host unreachable." comes from a router, not the
        # target: the probe failed.
        return False, "unreachable", None
    if rest.startswith(("Request timed out", "Zeitüberschreitung der Anforderung")):
        return False, "timeout", None
    if "transmit failed" in rest or "General failure" in rest or "Allgemeiner Fehler" in rest:
        return False, "unreachable", None
    if rest.startswith(("Destination host unreachable", "Destination net unreachable")):
        return False, "unreachable", None
    if missing := _NOT_FOUND.match(rest):
        return False, "unknown-host", missing["a"] or missing["b"]
    return None
