"""DNS lookups: `dig` (which states its own time on the WHEN line) and `nslookup` (which does
not: its time comes from a `date` line before it or a prefix on each line)."""

import re
from dataclasses import dataclass
from datetime import datetime

from .common import Clock, Draft, plural

TYPES = frozenset(
    "A AAAA ANY CAA CNAME DNSKEY DS HTTPS MX NAPTR NS PTR SOA SPF SRV SVCB TLSA TXT".split()
)
# Response codes as dig prints them; the rest are lower-cased into a slug.
RCODES = {"SERVFAIL": "servfail", "NXDOMAIN": "nxdomain", "REFUSED": "refused-dns"}
NO_SERVERS = "no servers could be reached"

# --- dig ----------------------------------------------------------------------------------

_DIG = re.compile(r";\s*<<>>\s*DiG\s+\S+\s*<<>>\s*(?P<args>.*)")
_STATUS = re.compile(r";;\s*->>HEADER<<-.*\bstatus:\s*(?P<status>[A-Z]+)")
_FLAGS = re.compile(r";;\s*flags:.*\bANSWER:\s*(?P<n>\d+)")
_WHEN = re.compile(r";;\s*WHEN:\s*(?P<when>.+)")
_QUESTION = re.compile(r";(?P<name>[^\s;]+)\s+(?:\d+\s+)?IN\s+(?P<type>[A-Z0-9]+)\s*$")


def detect_dig(text: str) -> bool:
    return "<<>> DiG" in text or "->>HEADER<<-" in text


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
    line: str = ""

    def result(self) -> tuple[bool, str] | None:
        if self.status == "NOERROR":
            return (True, "noerror") if self.answers != 0 else (False, "no-answer")
        if self.status:
            return False, RCODES.get(self.status, self.status.lower())
        if self.timed_out:
            return False, "timeout"
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
        self.waiting: list[tuple[bool, str, str]] = []  # timeouts still without a time
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
            self.waiting.append((*result, query.line))
            return
        # A timeout prints no WHEN; without a `date` before it, the next time known stands in.
        for ok, outcome, line in self.waiting:
            self.draft.add(at, ok, outcome, line)
            self.late += 1
        self.waiting.clear()
        self.draft.add(at, *result, query.line)

    def line(self, raw: str) -> None:
        at, rest = self.clock.split(raw)
        if not rest:
            if at:
                self.finish()
                self.clock.now = self.date = at
            return
        if header := _DIG.match(rest):
            query = self.start(at)
            query.name, query.type = dig_target(header["args"])
            query.line = raw
            return
        if NO_SERVERS in rest:
            query = self.query
            if query is None or query.timed_out or query.status:
                query = self.start(at)
            query.timed_out = True
            query.line = raw
            return
        query = self.query
        if query is None:
            if rest.startswith(";"):
                return  # 9.18 prints ";; communications error ... timed out" before the header
            self.draft.unknown += 1
            return
        if status := _STATUS.match(rest):
            query.status = status["status"]
            query.line = raw
        elif flags := _FLAGS.match(rest):
            query.answers = int(flags["n"])
        elif when := _WHEN.match(rest):
            stamp, left = self.clock.split(when["when"])
            if stamp and not left:
                query.when = stamp
        elif question := _QUESTION.match(rest):
            if query.name is None:
                query.name = question["name"]
            if query.type is None:
                query.type = question["type"]


def read_dig(lines, clock: Clock) -> Draft:
    reader = _Dig(clock)
    for raw in lines:
        reader.line(raw)
    reader.finish()
    draft = reader.draft
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
    return any(
        s in text
        for s in ("can't find", "Can't find", "Non-authoritative answer", "timed-out", NO_SERVERS)
    ) or ("Server:" in text and "Address" in text)


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
            self.result(at, True, "noerror", raw, name["name"])
        elif _ADDRESS.match(rest):
            self.result(at, True, "noerror", raw)
        elif record := _RECORD.match(rest):
            self.result(at, True, "noerror", raw, record["name"])
        elif failed := _CANT_FIND.match(rest):
            why = failed["why"].strip()
            outcome = RCODES.get(why) or _WIN_REASONS.get(why) or _slug(why)
            self.result(at, False, outcome, raw, failed["name"])
        elif empty := (_NO_ANSWER.match(rest) or _WIN_NO_RECORDS.match(rest)):
            self.result(at, False, "no-answer", raw, empty["name"])
        elif NO_SERVERS in rest or _WIN_TIMEOUT.match(rest):
            self.result(at, False, "timeout", raw)
        elif not _NS_NOISE.match(rest):
            self.draft.unknown += 1


def _slug(why: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", why.lower()).strip("-")[:30] or "failed"


def read_nslookup(lines, clock: Clock) -> Draft:
    reader = _Nslookup(clock)
    for raw in lines:
        reader.line(raw)
    reader.draft.target = reader.target
    return reader.draft
