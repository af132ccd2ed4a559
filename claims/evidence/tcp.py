"""TCP connection attempts: telnet (netkit, inetutils) and nc (OpenBSD netcat, macOS, nmap's
ncat). Neither prints a time, so each attempt takes the time of a `date` line before it or of a
prefix on its own line (`ts`, ISO 8601).

A client that gets several addresses for a name tries them in turn and reports each failure on
its way: "telnet: connect to address ...: ..." is never the last word (the last failure reads
"Unable to connect to remote host"), and nc names the address in brackets. Those intermediate
failures are held back and dropped when the same attempt goes on to another address.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from .common import Clock, Draft, plural

# A command as typed after a prompt ("$ ", "C:\> ") or inside a shell loop.
_COMMAND = re.compile(
    r"(?:^|[$#>]\s*|;\s*|&&\s*|\bdo\s+|\bsudo\s+)(?P<tool>telnet|nc|ncat|netcat)(?:\.exe)?"
    r"\s+(?P<args>[^;|&)]*)"
)
_TRYING = re.compile(r"Trying (?P<addr>\S+?)\.\.\.")
_CONNECTED = re.compile(r"Connected to (?P<host>\S+?)\.?$")
# BSD and macOS telnet leave the reason off: it was on the "connect to address" line before.
_UNABLE = re.compile(r"telnet: Unable to connect to remote host(?:: (?P<why>.+))?")
_VIA = re.compile(r"telnet: connect to address (?P<addr>\S+?): (?P<why>.+)")
_TELNET_NAME = re.compile(
    r"telnet: (?:could not resolve (?P<a>[^\s/]+)(?:/(?P<port>\S+))?|(?P<b>[^\s:]+)): (?P<why>.+)"
)
_NC_OK = re.compile(
    r"Connection to (?P<host>\S+)(?: \((?P<addr>[^)]+)\))?"
    r" (?:(?P<port>\d+) port|port (?P<port2>\d+)) \[[^\]]*\] succeeded!"
)
_NC_FAILED = re.compile(
    r"nc: connectx? to (?P<host>\S+)(?: \((?P<addr>[^)]+)\))? port (?P<port>\d+) \((?:tcp|udp)\)"
    r" (?P<verb>failed|timed out): (?P<why>.+)"
)
_NC_NAME = re.compile(r"nc: getaddrinfo(?: for host \"(?P<host>[^\"]+)\" port (?P<port>\S+))?: .+")
_NCAT = re.compile(r"Ncat: (?P<what>.+)")
_NCAT_CONNECTED = re.compile(r"Connected to (?P<target>\S+?)\.?$")
_NCAT_NOISE = re.compile(r"Version |\d+ bytes sent|Connection to \S+ (?:closed|failed)")
_NOISE = re.compile(r"Escape character is|Connection closed by foreign host|\^\]|telnet>|quit")
_NAME_ERRORS = (
    "name or service not known",
    "temporary failure in name resolution",
    "no address associated",
    "nodename nor servname",
    "could not resolve",
    "unknown host",
)
# nc options that take a value, so the value is not read as the host.
_NC_VALUED = frozenset("-w -G -i -p -s -x -X -q -T -I -O -V -M -m -P -e -c".split())


def detect(text: str) -> bool:
    return any(
        s in text for s in ("Trying ", "Connected to ", "telnet: ", "nc: ", "Ncat: ", "succeeded!")
    )


def outcome_of(why: str) -> str:
    why = why.lower()
    if "refused" in why:
        return "connection-refused"
    if "timed out" in why or "timeout" in why:
        return "connection-timeout"
    if "no route" in why or "unreachable" in why:
        return "no-route"
    if any(phrase in why for phrase in _NAME_ERRORS):
        return "unknown-host"
    return "connection-failed"


def command_target(tool: str, args: str) -> str | None:
    words = args.split()
    positional = []
    i = 0
    while i < len(words):
        word = words[i]
        if tool != "telnet" and word in _NC_VALUED:
            i += 2
            continue
        if not word.startswith("-"):
            positional.append(word)
        i += 1
    if not positional:
        return None
    if tool == "telnet":
        return ":".join(positional[:2])
    return ":".join(positional[-2:])


@dataclass
class _Held:
    """A failure that may only be one address of several the client tried."""

    at: datetime | None
    outcome: str
    line: str
    tool: str
    key: tuple | None = None  # nc: (host, port); telnet: None, its attempt always goes on
    addrs: frozenset = frozenset()  # addresses this attempt has tried so far


class _Reader:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.draft = Draft("telnet", "telnet")
        self.held: _Held | None = None
        self.session = False  # after "Connected", what the server says is no tool output
        self.targets: list[str] = []
        self.tools = {"telnet": 0, "nc": 0}
        self.dropped = 0
        self.trying: str | None = None  # telnet's "Trying 127.0.0.1...": the address it tried

    def target(self, target: str | None) -> None:
        if target and target not in self.targets:
            self.targets.append(target)

    def emit(self, at, ok: bool, outcome: str, line: str, tool: str) -> None:
        when = at or self.clock.now
        if when is None:
            self.draft.untimed += 1
            return
        self.draft.add(when, ok, outcome, line)
        self.tools[tool] += 1

    def release(self) -> None:
        if self.held:
            held, self.held = self.held, None
            self.emit(held.at, False, held.outcome, held.line, held.tool)

    def same_attempt(self, tool: str, key, addr) -> bool:
        """Whether a result continues the attempt of the held failure: one that names no
        address (telnet's last word) or an address not tried yet. An address tried already
        means the next run of a loop."""
        held = self.held
        if held.tool != tool:
            return False
        if tool == "telnet":
            return addr is None or addr not in held.addrs
        return held.key == key and addr is not None and addr not in held.addrs

    def result(self, at, ok: bool, outcome: str, raw: str, tool: str, key=None, addr=None):
        if self.held is not None:
            if self.same_attempt(tool, key, addr):
                self.held = None
                self.dropped += 1
            else:
                self.release()
        self.emit(at, ok, outcome, raw, tool)
        self.session = ok

    def hold(self, at, outcome: str, raw: str, tool: str, key=None, addr=None) -> None:
        tried = frozenset()
        if self.held is not None:
            if self.same_attempt(tool, key, addr):
                tried = self.held.addrs
                self.dropped += 1
            else:
                self.release()
        self.held = _Held(at, outcome, raw, tool, key, tried | {addr} if addr else tried)

    def line(self, raw: str) -> None:
        at, rest = self.clock.split(raw)
        if not rest:
            if at:
                self.release()
                self.clock.now = at
                self.session = False
            return
        if command := _COMMAND.search(rest):
            self.release()
            self.session = False
            tool = "telnet" if command["tool"] == "telnet" else "nc"
            self.target(command_target(tool, command["args"]))
            return
        if trying := _TRYING.match(rest):
            self.session = False
            self.trying = self.trying or trying["addr"]
            if self.held and self.held.tool == "telnet" and trying["addr"] in self.held.addrs:
                self.release()
        elif connected := _CONNECTED.match(rest):
            self.target(connected["host"])
            self.result(at, True, "connected", raw, "telnet")
        elif unable := _UNABLE.match(rest):
            if unable["why"]:
                outcome = outcome_of(unable["why"])
            elif self.held and self.held.tool == "telnet":
                outcome = self.held.outcome
            else:
                outcome = "connection-failed"
            self.result(at, False, outcome, raw, "telnet")
        elif via := _VIA.match(rest):
            self.hold(at, outcome_of(via["why"]), raw, "telnet", addr=via["addr"])
        elif (name := _TELNET_NAME.match(rest)) and (
            name["a"] or outcome_of(name["why"]) == "unknown-host"
        ):
            host = name["a"] or name["b"]
            self.target(f"{host}:{name['port']}" if name["port"] else host)
            self.result(at, False, "unknown-host", raw, "telnet")
        elif ok := _NC_OK.match(rest):
            port = ok["port"] or ok["port2"]
            self.target(f"{ok['host']}:{port}")
            self.result(at, True, "connected", raw, "nc", (ok["host"], port), ok["addr"])
        elif failed := _NC_FAILED.match(rest):
            key = (failed["host"], failed["port"])
            self.target(f"{failed['host']}:{failed['port']}")
            why = "timed out" if failed["verb"] == "timed out" else failed["why"]
            if failed["addr"]:
                self.hold(at, outcome_of(why), raw, "nc", key, failed["addr"])
            else:
                self.result(at, False, outcome_of(why), raw, "nc", key)
        elif name := _NC_NAME.match(rest):
            if name["host"]:
                self.target(f"{name['host']}:{name['port']}")
            self.result(at, False, "unknown-host", raw, "nc")
        elif ncat := _NCAT.match(rest):
            self.ncat(at, ncat["what"], raw)
        elif not self.session and not _NOISE.match(rest):
            self.draft.unknown += 1

    def ncat(self, at, what: str, raw: str) -> None:
        if connected := _NCAT_CONNECTED.match(what):
            self.target(connected["target"])
            self.result(at, True, "connected", raw, "nc")
        elif _NCAT_NOISE.match(what):
            pass
        elif "resolve" in what:
            self.result(at, False, "unknown-host", raw, "nc")
        else:
            outcome = outcome_of(what)
            if outcome == "connection-failed":
                self.draft.unknown += 1
            else:
                self.result(at, False, outcome, raw, "nc")


def read(lines, clock: Clock) -> Draft:
    reader = _Reader(clock)
    for n, raw in enumerate(lines, 1):
        reader.draft.lineno = n
        reader.line(raw)
    reader.release()
    draft = reader.draft
    if reader.tools["nc"] > reader.tools["telnet"]:
        draft.format = "nc"
    if not reader.targets and reader.trying:
        reader.targets.append(reader.trying)
    if reader.targets:
        draft.target = reader.targets[0]
        others = [t for t in reader.targets[1:] if not draft.target.startswith(t.split(":")[0])]
        if others:
            draft.notes.append("also tried: " + ", ".join(others[:3]))
    if reader.dropped:
        draft.notes.append(
            f"not counted: {plural(reader.dropped, 'failure')} on one address where the same"
            " attempt went on to another"
        )
    return draft
