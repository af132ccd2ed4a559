"""Other probing tools: fping (`-D -l`, `-c`, `-e`), hping3 (ICMP and SYN), `mtr --report`,
tcptraceroute, and `curl -v`. Each result takes the time on its own line (fping -D, `ts`,
curl --trace-time) or of the `date` line before its run."""

import re
from datetime import datetime, time, timedelta

from . import outcomes as o
from .common import Clock, Draft, plural
from .tcp import outcome_of

INTERVAL = timedelta(seconds=1)  # the default interval of fping -l/-c and hping3


def _date_line(clock: Clock, at: datetime | None, rest: str) -> bool:
    """A standalone `date` line, or one `ts` put its own stamp before: sets the clock."""
    if not rest:
        if at:
            clock.now = at
        return at is not None
    inner, left = clock.split(rest)
    if inner is not None and not left:
        clock.now = inner
        return True
    return False


# --- fping --------------------------------------------------------------------------------

_FPING_PROBE = re.compile(r"(?P<host>\S+)\s+: \[(?P<seq>\d+)\], (?P<what>.+)")
_FPING_ALIVE = re.compile(r"(?P<host>\S+) is (?P<what>alive|unreachable)\b")
_FPING_NOISE = re.compile(r"\S+\s+: xmt/rcv/%loss|\S+ : \d+\.\d+ ")


def detect_fping(text: str) -> bool:
    return (
        " is alive" in text
        or " is unreachable" in text
        or "], timed out" in text
        or ("], 64 bytes" in text or "xmt/rcv/%loss" in text)
    )


def read_fping(lines, clock: Clock) -> Draft:
    draft = Draft("ping", "fping")
    spaced = 0
    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if _date_line(clock, at, rest) or not rest:
            continue
        if probe := _FPING_PROBE.match(rest):
            ok = "bytes" in probe["what"]
            outcome = o.REPLY if ok else o.TIMEOUT
            host = probe["host"]
            when = at
            if when is None and clock.now is not None:
                when = clock.now + INTERVAL * int(probe["seq"])
                spaced += 1
        elif alive := _FPING_ALIVE.match(rest):
            outcome = o.REPLY if alive["what"] == "alive" else o.UNREACHABLE
            host = alive["host"]
            when = at or clock.now
        else:
            if not _FPING_NOISE.match(rest):
                draft.unknown += 1
            continue
        draft.target = draft.target or host
        if when is None:
            draft.untimed += 1
            continue
        draft.add(when, o.is_ok(outcome), outcome, raw)
    if spaced:
        draft.notes.append(f"{plural(spaced, 'result')} timed one second apart by fping's [seq]")
    return draft


# --- hping3 -------------------------------------------------------------------------------

_HPING = re.compile(r"HPING (?P<host>\S+) \(")
_HPING_REPLY = re.compile(r"len=\d+ ip=(?P<ip>\S+) .*?(?:icmp_seq|seq)=(?P<seq>\d+)")
_HPING_FLAGS = re.compile(r"flags=(?P<flags>[A-Z]+)")
_HPING_PORT = re.compile(r"sport=(?P<port>\d+)")
_HPING_STATS = re.compile(r"(?P<sent>\d+) packets transmitted, (?P<got>\d+) packets received")
_HPING_NOISE = re.compile(r"--- .* hping statistic ---|round-trip ")


def detect_hping(text: str) -> bool:
    return "HPING " in text or "hping statistic" in text


def read_hping(lines, clock: Clock) -> Draft:
    draft = Draft("ping", "hping3")
    start: datetime | None = None
    last: tuple[int, datetime] | None = None
    inferred = 0
    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if _date_line(clock, at, rest) or not rest:
            continue
        if header := _HPING.match(rest):
            draft.target = draft.target or header["host"]
            start, last = at or clock.now, None
            continue
        reply = _HPING_REPLY.search(rest)
        if reply is None:
            if not (_HPING_STATS.match(rest) or _HPING_NOISE.match(rest)):
                draft.unknown += 1
            continue
        seq = int(reply["seq"])
        flags = _HPING_FLAGS.search(rest)
        if flags is None:
            outcome = o.REPLY
        else:
            # A SYN answered with SYN+ACK: something listens; with RST: the port is closed.
            outcome = o.PORT_OPEN if "S" in flags["flags"] else o.PORT_CLOSED
            port = _HPING_PORT.search(rest)
            if port and draft.target and ":" not in draft.target:
                draft.target = f"{draft.target}:{port['port']}"
        when = at
        if when is None and start is not None:
            when = start + INTERVAL * seq
        if when is None:
            draft.untimed += 1
            continue
        if last and seq > last[0] + 1:
            # hping3 prints nothing for a probe that got no answer: its seq is missing.
            step = (when - last[1]) / (seq - last[0])
            for missing in range(last[0] + 1, seq):
                at_missing = last[1] + step * (missing - last[0])
                line = f"seq={missing}: nothing printed (no reply; inferred)"
                draft.add(at_missing, False, o.TIMEOUT, line)
                inferred += 1
        draft.add(when, o.is_ok(outcome), outcome, raw)
        last = (seq, when)
    if inferred:
        draft.notes.append(f"{plural(inferred, 'timeout')} inferred from missing seq numbers")
    return draft


# --- mtr --report ---------------------------------------------------------------------------

_MTR_START = re.compile(r"Start:\s+(?P<when>.+)")
_MTR_HEADER = re.compile(r"HOST:\s+\S+\s+Loss%")
_MTR_HOP = re.compile(r"\s*\d+\.(?:\|--|\s)\s*(?P<host>\S+)\s+(?P<loss>[\d.]+)%\s+(?P<sent>\d+)")


def detect_mtr(text: str) -> bool:
    return "Loss%" in text and ("|--" in text or "Start:" in text)


def read_mtr(lines, clock: Clock) -> Draft:
    """One result per report: its last hop answered some probes (reply) or none (timeout)."""
    draft = Draft("ping", "mtr-report")
    report: dict | None = None

    def finish():
        if report is None:
            return
        when = report["at"]
        if when is None:
            draft.untimed += 1
            return
        hop = report["hop"]
        reached = (
            hop is not None and float(hop["loss"]) < 100 and (draft.target in (None, hop["host"]))
        )
        if hop is not None and draft.target is None:
            draft.target = hop["host"]
        outcome = o.REPLY if reached else o.TIMEOUT
        draft.add(when, reached, outcome, report["line"], report["lineno"])

    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if _date_line(clock, at, rest) or not rest:
            continue
        if start := _MTR_START.match(rest):
            finish()
            stamp, _ = clock.split(start["when"])
            report = {"at": stamp or at or clock.now, "hop": None, "line": raw, "lineno": n}
        elif _MTR_HEADER.match(rest):
            if report is None:
                report = {"at": at or clock.now, "hop": None, "line": raw, "lineno": n}
        elif (hop := _MTR_HOP.match(rest)) and report is not None:
            if hop["host"] != "???":
                report["hop"] = hop
            report["line"], report["lineno"] = raw, n
        else:
            draft.unknown += 1
    finish()
    return draft


# --- tcptraceroute --------------------------------------------------------------------------

_TRACING = re.compile(r"Tracing the path to (?P<host>\S+) on TCP port (?P<port>\d+)")
_TRACE_HOP = re.compile(r"\s*\d+\s+(?P<rest>.+)")
_TRACE_NOISE = re.compile(r"Selected device ")


def detect_tcptraceroute(text: str) -> bool:
    return "Tracing the path to " in text and "on TCP port" in text


def read_tcptraceroute(lines, clock: Clock) -> Draft:
    """One result per trace: the target's port answered [open] or [closed], or the trace
    ended without reaching it (timeout)."""
    draft = Draft("telnet", "tcptraceroute")
    trace: dict | None = None

    def finish():
        if trace is None or trace["done"]:
            return
        if trace["at"] is None:
            draft.untimed += 1
        else:
            draft.add(trace["at"], False, o.TIMEOUT, trace["line"], trace["lineno"])

    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if _date_line(clock, at, rest):
            finish()
            trace = None
            continue
        if not rest:
            continue
        if tracing := _TRACING.match(rest):
            finish()
            draft.target = draft.target or f"{tracing['host']}:{tracing['port']}"
            trace = {"at": at or clock.now, "done": False, "line": raw, "lineno": n}
        elif (hop := _TRACE_HOP.match(rest)) and trace is not None:
            trace["line"], trace["lineno"] = raw, n
            if "[open]" in hop["rest"] or "[closed]" in hop["rest"]:
                outcome = o.PORT_OPEN if "[open]" in hop["rest"] else o.PORT_CLOSED
                if trace["at"] is None:
                    draft.untimed += 1
                else:
                    draft.add(trace["at"], outcome == o.PORT_OPEN, outcome, raw)
                trace["done"] = True
        elif not _TRACE_NOISE.match(rest):
            draft.unknown += 1
    finish()
    return draft


# --- curl -v ------------------------------------------------------------------------------

_TRACE_TIME = re.compile(r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})\.(?P<f>\d{6}) (?P<rest>.*)")
_CURL_TRYING = re.compile(r"\*\s+Trying (?P<addr>\S+?)\.\.\.")
_CURL_CONNECTED = re.compile(r"\* Connected to (?P<host>\S+) \([^)]*\) port (?P<port>\d+)")
_CURL_STATUS = re.compile(r"< HTTP/[\d.]+ (?P<status>\d{3})")
_CURL_CONNECT_FAILED = re.compile(r"\* connect to \S+ port \d+ failed: (?P<why>.+)")
_CURL_FAILED = re.compile(
    r"(?:\* |curl: \(\d+\) )(?:Failed to connect|Connection timed out|Operation timed out"
    r"|Could not resolve host|Resolving timed out)(?P<rest>.*)"
)
_CURL_URL = re.compile(r"curl\s.*?(?P<url>https?://[^\s'\"]+)")


def detect_curl(text: str) -> bool:
    return "*   Trying " in text or "* Connected to " in text or "curl: (" in text


def read_curl(lines, clock: Clock) -> Draft:
    """One result per attempt: an HTTP status (below 500: the service answers), a refused
    or timed-out connection, or a connection that gave no answer."""
    draft = Draft("telnet", "curl")
    attempt: dict | None = None
    traced = 0

    def finish():
        nonlocal attempt
        if attempt is None:
            return
        done, attempt = attempt, None
        if done["outcome"] is None:
            if not done["connected"]:
                return
            done["outcome"] = o.CONNECTED
        if done["at"] is None:
            draft.untimed += 1
            return
        draft.add(done["at"], o.is_ok(done["outcome"]), done["outcome"], done["line"], done["n"])

    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if traced_time := _TRACE_TIME.match(rest):
            at = _on_day(clock, traced_time)
            rest = traced_time["rest"]
            traced += at is not None
        if not rest or _date_line(clock, at, rest):
            if at and not rest:
                clock.now = at
            continue
        when = at or clock.now
        if trying := _CURL_TRYING.match(rest):
            finish()
            attempt = {"at": when, "outcome": None, "connected": False, "line": raw, "n": n}
            if draft.target is None:
                draft.target = trying["addr"]
        elif attempt is None:
            continue
        elif connected := _CURL_CONNECTED.match(rest):
            attempt["connected"] = True
            draft.target = f"{connected['host']}:{connected['port']}"
        elif status := _CURL_STATUS.match(rest):
            code = int(status["status"])
            attempt["outcome"] = o.HTTP_ERROR if code >= 500 else o.HTTP_STATUS
            attempt["line"], attempt["n"] = raw, n
            finish()
        elif failed := _CURL_CONNECT_FAILED.match(rest):
            attempt["outcome"] = outcome_of(failed["why"])
            attempt["line"], attempt["n"] = raw, n
        elif failed := _CURL_FAILED.match(rest):
            if attempt["outcome"] is None:
                text = rest.lower()
                if "resolve" in text:
                    attempt["outcome"] = o.UNKNOWN_HOST
                elif "timed out" in text:
                    attempt["outcome"] = (
                        o.CONNECTION_TIMEOUT if not attempt["connected"] else (o.TIMEOUT)
                    )
                else:
                    attempt["outcome"] = o.CONNECTION_FAILED
                attempt["line"], attempt["n"] = raw, n
            finish()
    finish()
    if traced:
        draft.notes.append("curl --trace-time gives the time of day: the date is the `date` line's")
    return draft


def _on_day(clock: Clock, m: re.Match) -> datetime | None:
    """A --trace-time stamp (local time of day) on the day of the last `date` line."""
    if clock.now is None:
        return None
    day = clock.now.astimezone(clock.tz).date()
    naive = datetime.combine(day, time(int(m["h"]), int(m["m"]), int(m["s"]), int(m["f"])))
    at = clock.localize(naive)
    if at < clock.now - timedelta(hours=12):  # ran past midnight
        at = clock.localize(naive + timedelta(days=1))
    return at
