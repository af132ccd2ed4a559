"""DNS lookups: `dig` (which states its own time on the WHEN line) and `nslookup` (which does
not: its time comes from a `date` line before it or a prefix on each line)."""

import re
from dataclasses import dataclass
from datetime import datetime

from . import outcomes as o
from .common import Clock, Draft, plural

TYPES = frozenset(
    "A AAAA ANY CAA CNAME DNSKEY DS HTTPS MX NAPTR NS PTR SOA SPF SRV SVCB TLSA TXT".split()
)
# Response codes as dig prints them; the rest are lower-cased into a slug.
RCODES = {"SERVFAIL": o.SERVFAIL, "NXDOMAIN": o.NXDOMAIN, "REFUSED": o.REFUSED_DNS}
NO_SERVERS = "no servers could be reached"

# --- dig ----------------------------------------------------------------------------------

_DIG = re.compile(r";\s*<<>>\s*DiG\s+\S+\s*<<>>\s*(?P<args>.*)")
# dig and kdig say "status:", drill says "rcode:".
_STATUS = re.compile(r";;\s*->>HEADER<<-.*\b(?:status|rcode):\s*(?P<status>[A-Z]+)")
_FLAGS = re.compile(r";;\s*flags:.*\bANSWER:\s*(?P<n>\d+)", re.I)
# dig and drill: ";; WHEN: Wed Dec 02 01:12:23 UTC 2026"; kdig: ";; Time 2026-12-02 01:12:24 UTC"
_WHEN = re.compile(r";;\s*(?:WHEN:|Time)\s+(?P<when>.+)")
# Why dig reached no server, printed before "no servers could be reached".
_COMM_ERROR = re.compile(
    r";; (?:communications error to \S+: |UDP setup with .* failed: |connection )(?P<why>[^.;]+)"
)
# kdig and drill when no answer came.
_KDIG_FAILED = re.compile(
    r";; ERROR: failed to query server|Error: error sending query: (?P<why>.+)"
)
_QUESTION = re.compile(r";(?P<name>[^\s;]+)\s+(?:\d+\s+)?IN\s+(?P<type>[A-Z0-9]+)\s*$")


def detect_dig(text: str) -> bool:
    return "<<>> DiG" in text or "->>HEADER<<-" in text or _KDIG_FAILED.search(text) is not None


def error_outcome(why: str) -> str:
    """What dig said before "no servers could be reached": that, not a bare timeout."""
    why = why.lower()
    if "refused" in why:
        return o.CONNECTION_REFUSED
    if "network unreachable" in why or "network is unreachable" in why:
        return o.NETWORK_UNREACHABLE
    if "host unreachable" in why or "no route" in why:
        return o.HOST_UNREACHABLE
    if "timed out" in why or "timeout" in why:
        return o.TIMEOUT
    return o.NO_SERVERS


@dataclass
class _Query:
    """One dig run, from its header (or its timeout line) to the next."""

    started: datetime | None  # a `date` line before it, or the header's own prefix
    name: str | None = None
    type: str | None = None
    status: str | None = None
    answers: int | None = None
    when: datetime | None = None
    timed_out: bool = False
    error: str | None = None  # the outcome of the error dig printed before giving up
    line: str = ""
    lineno: int = 0

    def result(self) -> tuple[bool, str] | None:
        if self.status == "NOERROR":
            return (True, o.DNS_ANSWER) if self.answers != 0 else (False, o.NO_ANSWER)
        if self.status:
            return False, RCODES.get(self.status, self.status.lower())
        if self.timed_out:
            return False, self.error or o.NO_SERVERS
        return None


def dig_target(args: str) -> tuple[str | None, str | None]:
    """The name and type on dig's command line, as its header repeats it."""
    name = type_ = None
    words = args.split()
    positional = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("-t", "-q", "-x", "-c", "-p", "-b", "-f", "-k", "-y") and i + 1 < len(words):
            value = words[i + 1]
            if word == "-t":
                type_ = value.upper()
            elif word == "-q":
                name = value
            elif word == "-x":
                name, type_ = value, "PTR"
            i += 2
            continue
        if not word.startswith(("@", "+", "-")) and word.upper() != "IN":
            positional.append(word)
        i += 1
    for word in positional:
        # dig takes the type before or after the name: "dig example.com MX", "dig MX example.com".
        if word.upper() in TYPES and type_ is None and len(positional) > 1:
            type_ = word.upper()
        elif name is None:
            name = word
    return name, type_


class _Dig:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.draft = Draft("dns", "dig")
        self.query: _Query | None = None
        self.date: datetime | None = None  # a `date` line not yet taken by a query
        self.waiting: list[tuple[bool, str, str, int]] = []  # timeouts still without a time
        self.error: str | None = None  # an error printed before its query's header
        self.tools: set[str] = set()
        self.late = self.incomplete = 0
        self.targets: list[str] = []

    def start(self, at: datetime | None) -> _Query:
        self.finish()
        self.query = _Query(started=at or self.date)
        self.date = None
        return self.query

    def finish(self) -> None:
        query, self.query = self.query, None
        if query is None:
            return
        if query.name:
            target = f"{query.name.rstrip('.')} {query.type or 'A'}"
            if target not in self.targets:
                self.targets.append(target)
        result = query.result()
        if result is None:
            self.incomplete += 1
            return
        at = query.when or query.started
        if at is None:
            self.waiting.append((*result, query.line, query.lineno))
            return
        # A timeout prints no WHEN; without a `date` before it, the next time known stands in.
        for ok, outcome, line, lineno in self.waiting:
            self.draft.add(at, ok, outcome, line, lineno)
            self.late += 1
        self.waiting.clear()
        self.draft.add(at, *result, query.line, query.lineno)

    def line(self, raw: str) -> None:
        at, rest = self.clock.split(raw)
        if not rest:
            if at:
                self.finish()
                self.clock.now = self.date = at
            return
        n = self.draft.lineno
        if header := _DIG.match(rest):
            query = self.start(at)
            query.name, query.type = dig_target(header["args"])
            query.line, query.lineno = raw, n
            query.error, self.error = self.error, None
            self.tools.add("dig")
            return
        if error := _COMM_ERROR.match(rest):
            outcome = error_outcome(error["why"])
            if "no servers" in rest and outcome == o.NO_SERVERS:
                outcome = o.TIMEOUT  # host: ";; connection timed out; no servers could be reached"
            if self.query is not None and not self.query.status and not self.query.timed_out:
                self.query.error = outcome
            else:
                self.error = outcome  # 9.18 prints it before the header
            if NO_SERVERS not in rest:
                return
        if NO_SERVERS in rest or (failed := _KDIG_FAILED.match(rest)):
            query = self.query
            if query is None or query.timed_out or query.status:
                query = self.start(at)
                query.error, self.error = self.error, None
            if NO_SERVERS not in rest:
                self.tools.add("drill" if rest.startswith("Error") else "kdig")
                why = failed["why"] if failed["why"] else "timed out"
                query.error = query.error or error_outcome(why)
                if query.error == o.NO_SERVERS:
                    query.error = o.TIMEOUT if "timeout" in why else o.NO_SERVERS
            query.timed_out = True
            query.line, query.lineno = raw, n
            return
        if rest.startswith(";; WARNING: response timeout"):
            self.error = o.TIMEOUT
            return
        query = self.query
        if (status := _STATUS.match(rest)) and (query is None or query.status or query.timed_out):
            # drill and kdig print no command header: a HEADER line starts the next answer.
            query = self.start(at)
            self.tools.add("drill" if "rcode:" in rest else "kdig" if ";" in rest[20:] else "dig")
        if query is None:
            if rest.startswith(";"):
                return
            self.draft.unknown += 1
            return
        if status:
            query.status = status["status"]
            query.line, query.lineno = raw, n
        elif flags := _FLAGS.match(rest):
            query.answers = int(flags["n"])
        elif when := _WHEN.match(rest):
            stamp, left = self.clock.split(when["when"])
            if stamp and not left:
                query.when = stamp
        elif question := (_QUESTION.match(rest) or _DRILL_QUESTION.match(rest)):
            if query.name is None:
                query.name = question["name"]
            if query.type is None:
                query.type = question["type"]


_DRILL_QUESTION = re.compile(r";;\s+(?P<name>[^\s;]+)\s+(?:\d+\s+)?IN\s+(?P<type>[A-Z0-9]+)\s*$")


def read_dig(lines, clock: Clock) -> Draft:
    reader = _Dig(clock)
    for n, raw in enumerate(lines, 1):
        reader.draft.lineno = n
        reader.line(raw)
    reader.finish()
    draft = reader.draft
    if reader.tools - {"dig"} and "dig" not in reader.tools:
        draft.format = sorted(reader.tools)[0]
    draft.untimed += len(reader.waiting)
    if reader.targets:
        draft.target = reader.targets[0]
        if len(reader.targets) > 1:
            draft.notes.append("also queried: " + ", ".join(reader.targets[1:4]))
    if reader.late:
        draft.notes.append(
            f"{plural(reader.late, 'timeout')} without a time of its own given the next WHEN"
        )
    if reader.incomplete:
        draft.notes.append(f"{plural(reader.incomplete, 'dig run')} without a status or timeout")
    return draft


# --- nslookup -----------------------------------------------------------------------------

# A command as typed after a prompt ("$ ", "C:\> ") or inside a shell loop.
_COMMAND = re.compile(
    r"(?:^|[$#>]\s*|;\s*|&&\s*|\bdo\s+)nslookup(?:\.exe)?\s+(?P<args>[^;|&)]*)", re.I
)
_SERVER = re.compile(r"Server:\s+\S+")
_NAME = re.compile(r"Name:\s+(?P<name>\S+)")
_ADDRESS = re.compile(r"Address(?:es)?:\s+\S+")
_RECORD = re.compile(
    r"(?P<name>\S+)\s+(?:mail exchanger|canonical name|text|nameserver|internet address"
    r"|MX preference|name|primary name server|origin|has \S+ address) ="
)
# bind's nslookup: "** server can't find x: NXDOMAIN"; Windows: "*** dns.google can't find x:
# Non-existent domain".
_CANT_FIND = re.compile(
    r"\*\*\*? (?:server|(?P<server>\S+)) can't find (?P<name>[^\s:]+): (?P<why>.+)"
)
_NO_ANSWER = re.compile(r"\*\*\* Can't find (?P<name>[^\s:]+): No answer")
_WIN_TIMEOUT = re.compile(r"\*\*\* Request to \S+ timed-out")
_WIN_NO_RECORDS = re.compile(r"\*\*\* No \S+ .*records available for (?P<name>\S+)")
_WIN_REASONS = {
    "Server failed": "servfail",
    "Non-existent domain": "nxdomain",
    "Query refused": "refused-dns",
    "No response from server": "timeout",
    "No answer": "no-answer",
}
_NS_NOISE = re.compile(
    r"Non-authoritative answer|Authoritative answers can be found|Aliases:|DNS request timed out"
    r"|timeout was \d+ seconds|;;|>\s*$|Default Server:|[0-9a-fA-F:.]+$"  # Addresses: go on
)


def detect_nslookup(text: str) -> bool:
    # `host` prints "Using domain server:" and "no servers could be reached" too: its output is
    # read by read_host, not here.
    if _NS_SERVER_LINE.search(text) is None and "can't find" not in text:
        return "Non-authoritative answer" in text or "timed-out" in text or "Can't find" in text
    return True


_NS_SERVER_LINE = re.compile(r"(?m)^(?:\S+ ){0,3}Server:\s")


def nslookup_target(args: str) -> str | None:
    name = type_ = None
    for word in args.split():
        if word.startswith("-"):
            key, _, value = word[1:].partition("=")
            if key.lower() in ("type", "q", "query", "querytype") and value:
                type_ = value.upper()
        elif name is None:
            name = word
    if name is None:
        return None
    return f"{name.rstrip('.')} {type_}" if type_ else name.rstrip(".")


class _Nslookup:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.draft = Draft("dns", "nslookup")
        self.answered_at: datetime | None = None
        self.answered = False
        self.server_block = False  # the next Address: line is the server's, not an answer
        self.target: str | None = None
        self.error: str | None = None

    def new_run(self) -> None:
        self.answered = False
        self.answered_at = None

    def result(self, at: datetime | None, ok: bool, outcome: str, raw: str, name=None) -> None:
        if self.answered and at is not None and at != self.answered_at:
            self.new_run()  # a `ts` prefix moved on: the next lookup, without a date line
        if self.answered:
            return  # one lookup prints one result, however many lines it takes
        self.answered = True
        self.answered_at = at
        if name and self.target is None:
            self.target = name.rstrip(".")
        when = at or self.clock.now
        if when is None:
            self.draft.untimed += 1
        else:
            self.draft.add(when, ok, outcome, raw)

    def line(self, raw: str) -> None:
        at, rest = self.clock.split(raw)
        if not rest:
            if at:
                self.clock.now = at
                self.new_run()
            return
        if command := _COMMAND.search(rest):
            self.new_run()
            self.target = self.target or nslookup_target(command["args"])
            return
        if _SERVER.match(rest):
            self.new_run()
            self.server_block = True
            return
        if _ADDRESS.match(rest) and self.server_block:
            self.server_block = False
            return
        self.server_block = False
        if name := _NAME.match(rest):
            self.result(at, True, o.DNS_ANSWER, raw, name["name"])
        elif _ADDRESS.match(rest):
            self.result(at, True, o.DNS_ANSWER, raw)
        elif record := _RECORD.match(rest):
            self.result(at, True, o.DNS_ANSWER, raw, record["name"])
        elif failed := _CANT_FIND.match(rest):
            why = failed["why"].strip()
            outcome = RCODES.get(why) or _WIN_REASONS.get(why) or _slug(why)
            self.result(at, False, outcome, raw, failed["name"])
        elif empty := (_NO_ANSWER.match(rest) or _WIN_NO_RECORDS.match(rest)):
            self.result(at, False, "no-answer", raw, empty["name"])
        elif NO_SERVERS not in rest and (error := _COMM_ERROR.match(rest)):
            self.error = error_outcome(error["why"])
        elif NO_SERVERS in rest or _WIN_TIMEOUT.match(rest):
            outcome = o.TIMEOUT if "timed" in rest else (self.error or o.NO_SERVERS)
            self.result(at, False, outcome, raw)
        elif not _NS_NOISE.match(rest):
            self.draft.unknown += 1


def _slug(why: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", why.lower()).strip("-")[:30] or "failed"


def read_nslookup(lines, clock: Clock) -> Draft:
    reader = _Nslookup(clock)
    for n, raw in enumerate(lines, 1):
        reader.draft.lineno = n
        reader.line(raw)
    reader.draft.target = reader.target
    return reader.draft


# --- host ---------------------------------------------------------------------------------

_HOST_ANSWER = re.compile(
    r"(?P<name>\S+?)\.? (?:has (?:IPv6 )?address|mail is handled by|is an alias for"
    r"|descriptive text|name server|domain name pointer) "
)
_HOST_NOT_FOUND = re.compile(
    r"Host (?P<name>\S+?)\.? not found: (?P<code>\d+)\((?P<rcode>[A-Z]+)\)"
)
_HOST_NOISE = re.compile(
    r"Using domain server:|Name: |Address: |Aliases:|;; Got \S+ reply from|;; Warning|Trying \""
)


def detect_host(text: str) -> bool:
    return _HOST_ANSWER.search(text) is not None or _HOST_NOT_FOUND.search(text) is not None


def read_host(lines, clock: Clock) -> Draft:
    """`host NAME [SERVER]`: one result per lookup, however many records it printed; a lookup
    ends at a `date` line, at the next "Using domain server:", or when a `ts` stamp moves on."""
    draft = Draft("dns", "host")
    answered_at: datetime | None = None
    answered = False
    error: str | None = None
    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        if not rest:
            if at:
                clock.now, answered, error = at, False, None
            continue
        inner, left = clock.split(rest)
        if inner is not None and not left:  # a `date` line under `ts`
            clock.now, answered, error = inner, False, None
            continue
        if rest.startswith("Using domain server:"):
            answered = False
            continue
        if answered and at is not None and at != answered_at:
            answered = False
        result = None
        if found := _HOST_ANSWER.match(rest):
            result = (o.DNS_ANSWER, found["name"])
        elif missing := _HOST_NOT_FOUND.match(rest):
            result = (RCODES.get(missing["rcode"], missing["rcode"].lower()), missing["name"])
        elif failed := _COMM_ERROR.match(rest):
            why = error_outcome(failed["why"])
            if NO_SERVERS in rest:
                result = (o.TIMEOUT if why == o.NO_SERVERS else why, None)
            else:
                error = why
                continue
        elif NO_SERVERS in rest:
            result = (error or o.NO_SERVERS, None)
        elif not _HOST_NOISE.match(rest):
            draft.unknown += 1
        if result is None or answered:
            continue
        outcome, name = result
        answered, answered_at, error = True, at, None
        if name and draft.target is None:
            draft.target = name
        when = at or clock.now
        if when is None:
            draft.untimed += 1
        else:
            draft.add(when, o.is_ok(outcome), outcome, raw)
    return draft


# --- dig +short -----------------------------------------------------------------------------

_BARE = re.compile(
    r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}"
    r"|\S+\.|\d+ \S+\.|\"[^\"]*\")"
)


def detect_dig_short(text: str) -> bool:
    return re.search(r"(?m)^(?:\S+ ){0,3}(?:\d{1,3}\.){3}\d{1,3}\s*$", text) is not None


def read_dig_short(lines, clock: Clock) -> Draft:
    """`dig +short` runs under `date` lines: bare answers are a success; a run that printed
    nothing (dig +short prints nothing for SERVFAIL or NXDOMAIN) is an empty answer; an error
    before "no servers could be reached" is that error."""
    draft = Draft("dns", "dig-short")
    block: dict | None = None
    blocks = answered_blocks = 0

    def finish():
        nonlocal answered_blocks
        if block is None:
            return
        if block["outcome"] is None:
            block["outcome"] = o.NO_ANSWER
            block["line"] = block["date_line"]
            block["n"] = block["date_n"]
        else:
            answered_blocks += block["outcome"] == o.DNS_ANSWER
        draft.add(block["at"], False, block["outcome"], block["line"], block["n"])

    for n, raw in enumerate(lines, 1):
        draft.lineno = n
        at, rest = clock.split(raw)
        stamp = at if not rest else None
        if rest:
            inner, left = clock.split(rest)
            if inner is not None and not left:
                stamp = inner
        if stamp is not None:
            finish()
            blocks += 1
            clock.now = stamp
            block = {"at": stamp, "outcome": None, "line": "", "n": n}
            block["date_line"], block["date_n"] = f"{raw.strip()} (no answer printed)", n
            continue
        if block is None or not rest:
            continue
        if block["outcome"] is None and _BARE.fullmatch(rest.strip()):
            block.update(outcome=o.DNS_ANSWER, line=raw, n=n)
        elif error := _COMM_ERROR.match(rest):
            if block["outcome"] in (None, o.NO_SERVERS):
                block.update(outcome=error_outcome(error["why"]), line=raw, n=n)
        elif NO_SERVERS in rest and block["outcome"] is None:
            block.update(outcome=o.NO_SERVERS, line=raw, n=n)
    finish()
    if not answered_blocks:
        draft.observations.clear()  # no bare answer anywhere: not dig +short output
    if blocks > answered_blocks and draft.observations:
        empty = sum(1 for ob in draft.observations if ob.outcome == o.NO_ANSWER)
        if empty:
            draft.notes.append(
                f"{plural(empty, 'dig +short run')} printed nothing under its `date` line:"
                " read as an empty answer (SERVFAIL or NXDOMAIN)"
            )
    return draft
