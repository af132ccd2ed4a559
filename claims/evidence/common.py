"""What every reader shares: the result types, decoding, and reading timestamps.

Claimants capture tool output on their own machines, so a time on a line may be an epoch
(`ping -D`), ISO 8601 with or without an offset, a PowerShell `Get-Date` in US or German order,
`ts` (moreutils) without a year, or a standalone `date` line. A time without an offset is read
in the claimant's timezone, and every such assumption ends up in the notes, because a reviewer
has to know which instants the file states and which the portal supplied.
"""

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property

from .outcomes import is_ok, label

KINDS = ("ping", "dns", "telnet")

DETAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class Observation:
    at: datetime
    ok: bool
    outcome: str
    detail: str = ""
    line: int = 0  # the line of the file that shows it (1-based; 0: not known)

    def __post_init__(self):
        if self.at.utcoffset() is None:
            raise ValueError("an observation's instant must be aware")


SUBJECTS = {
    "ping": ("ping to", ("probe", "probes")),
    "dns": ("DNS lookup of", ("lookup", "lookups")),
    "telnet": ("TCP connect to", ("attempt", "attempts")),
}


def plural(n: int, noun: str, nouns: str = "") -> str:
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def count(n: int, outcome: str) -> str:
    return label(n, outcome)


@dataclass(frozen=True)
class Episode:
    """A run of consecutive failures, or of consecutive successes, in time order."""

    ok: bool
    start: datetime  # the first probe of the run
    end: datetime  # the last probe of the run
    outcomes: tuple[tuple[str, int], ...]  # (outcome, probes), most frequent first
    probes: int
    lines: tuple[int, int] = (0, 0)  # the lines showing the first and the last probe
    first_line: str = ""
    last_line: str = ""

    @property
    def seconds(self) -> int:
        return round((self.end - self.start).total_seconds())

    def describe(self) -> str:
        counts = ", ".join(label(k, outcome) for outcome, k in self.outcomes)
        return f"{_clock(self.start, self.end)}, {self.seconds} s, {counts}"

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "outcomes": dict(self.outcomes),
            "probes": self.probes,
            "lines": list(self.lines),
            "first_line": self.first_line,
            "last_line": self.last_line,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Episode":
        return cls(
            ok=d["ok"],
            start=datetime.fromisoformat(d["start"]).astimezone(UTC),
            end=datetime.fromisoformat(d["end"]).astimezone(UTC),
            outcomes=tuple(d["outcomes"].items()),
            probes=d["probes"],
            lines=tuple(d.get("lines") or (0, 0)),
            first_line=d.get("first_line", ""),
            last_line=d.get("last_line", ""),
        )


def episodes_of(observations) -> tuple[Episode, ...]:
    runs: list[list[Observation]] = []
    for o in observations:
        if runs and runs[-1][0].ok == o.ok:
            runs[-1].append(o)
        else:
            runs.append([o])
    return tuple(
        Episode(
            ok=run[0].ok,
            start=run[0].at,
            end=run[-1].at,
            outcomes=tuple(Counter(o.outcome for o in run).most_common()),
            probes=len(run),
            lines=(run[0].line, run[-1].line),
            first_line=run[0].detail,
            last_line=run[-1].detail,
        )
        for run in runs
    )


def _clock(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"from {start:%Y-%m-%d %H:%M:%S} to {end:%H:%M:%S} UTC"
    return f"from {start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True)
class Evidence:
    readable: bool
    kind: str | None
    format: str
    target: str | None
    observations: tuple[Observation, ...]
    notes: tuple[str, ...] = ()
    # Rebuilt from the compact form: the episodes as read from the whole file, which the
    # observations kept (each episode's first and last probe) no longer tell in full.
    stored_episodes: tuple[Episode, ...] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def episodes(self) -> tuple[Episode, ...]:
        """Runs of failure and of success, in time order."""
        if self.stored_episodes is not None:
            return self.stored_episodes
        return episodes_of(self.observations)

    @property
    def failure_episodes(self) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if not e.ok)

    @cached_property
    def _times(self) -> tuple[datetime, ...]:
        # `within` bisects on these: readers hand observations over in time order.
        return tuple(o.at for o in self.observations)

    @property
    def first_at(self) -> datetime | None:
        return self.observations[0].at if self.observations else None

    @property
    def last_at(self) -> datetime | None:
        return self.observations[-1].at if self.observations else None

    @property
    def failures(self) -> int:
        if self.stored_episodes is not None:
            return sum(e.probes for e in self.stored_episodes if not e.ok)
        return sum(1 for o in self.observations if not o.ok)

    @property
    def successes(self) -> int:
        if self.stored_episodes is not None:
            return sum(e.probes for e in self.stored_episodes if e.ok)
        return sum(1 for o in self.observations if o.ok)

    def within(self, start: datetime, end: datetime) -> tuple[Observation, ...]:
        """Observations in [start, end)."""
        return self.observations[bisect_left(self._times, start) : bisect_left(self._times, end)]

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether the file shows at least one failure inside [start, end)."""
        return any(not o.ok for o in self.within(start, end))

    def summary(self, start: datetime | None = None, end: datetime | None = None) -> str:
        if not self.readable:
            return "unreadable: " + (self.notes[0] if self.notes else "nothing recognisable")
        subject, nouns = SUBJECTS.get(self.kind, (self.kind or "check", ("check", "checks")))
        n = self.failures + self.successes
        noun = nouns[0] if n == 1 else nouns[1]
        line = f"{subject} {self.target or 'unknown target'}: {n} {noun}"
        if self.observations:
            line += " " + span(self.first_at, self.last_at)
        failed: Counter = Counter()
        for episode in self.failure_episodes:
            failed.update(dict(episode.outcomes))
        if failed:
            line += ", " + ", ".join(count(k, outcome) for outcome, k in failed.most_common())
            line += "; " + self.failing()
        else:
            line += ", no failures"
        if start is not None and end is not None:
            inside = self.within(start, end)
            bad = sum(1 for o in inside if not o.ok)
            if not inside:
                line += "; nothing recorded inside the claimed period"
            elif bad:
                line += f"; {bad} failure{'' if bad == 1 else 's'} inside the claimed period"
            else:
                line += "; no failures inside the claimed period"
        return line

    def failing(self) -> str:
        """When failures began and ended: "failing from 23:29:29 to 23:29:53 UTC, 24 s, 24
        timeouts; answering before and after"."""
        episodes = self.episodes
        failing = [i for i, e in enumerate(episodes) if not e.ok]
        if not failing:
            return "no failures"
        shown = [episodes[i].describe() for i in failing[:3]]
        text = "failing " + "; then ".join(shown)
        if len(failing) > 3:
            text += f"; and {len(failing) - 3} more failure episodes"
        before = failing[0] > 0
        after = failing[-1] < len(episodes) - 1
        if before and after:
            text += "; answering before and after"
        elif before:
            text += "; answering before, not after"
        elif after:
            text += "; answering after, not before"
        else:
            text += "; not answering at any time in the file"
        return text

    def compact(self) -> dict:
        """The JSON-able shape to store instead of every probe: episodes, counts, first and
        last instants, and the lines that show where each episode starts and ends."""
        counts: Counter = Counter()
        for episode in self.episodes:
            counts.update(dict(episode.outcomes))
        return {
            "compact": 1,
            "readable": self.readable,
            "kind": self.kind,
            "format": self.format,
            "target": self.target,
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "counts": dict(counts.most_common()),
            "episodes": [e.to_dict() for e in self.episodes],
            "notes": list(self.notes),
        }

    @classmethod
    def from_compact(cls, d: dict) -> "Evidence":
        """What the pages need back from `compact()`: each episode's first and last probe as
        observations (so `within`, `covers` and the timeline stay true) and the episodes."""
        episodes = tuple(Episode.from_dict(e) for e in d.get("episodes", ()))
        observations = []
        for e in episodes:
            outcome = e.outcomes[0][0] if e.outcomes else ("reply" if e.ok else "timeout")
            observations.append(Observation(e.start, e.ok, outcome, e.first_line, e.lines[0]))
            if e.probes > 1:
                observations.append(Observation(e.end, e.ok, outcome, e.last_line, e.lines[1]))
        return cls(
            readable=d["readable"],
            kind=d["kind"],
            format=d["format"],
            target=d["target"],
            observations=tuple(observations),
            notes=tuple(d.get("notes", ())),
            stored_episodes=episodes,
        )

    def thinned(self, limit: int) -> "Evidence":
        """At most about `limit` observations for storing and drawing: every change between
        success and failure is kept (so covers() and the picture stay true), the rest evenly."""
        obs = self.observations
        if len(obs) <= limit:
            return self
        step = -(-len(obs) // limit)
        kept = [
            o
            for i, o in enumerate(obs)
            if i % step == 0
            or i == len(obs) - 1
            or o.ok != obs[i - 1].ok
            or (i + 1 < len(obs) and o.ok != obs[i + 1].ok)
        ]
        note = f"{len(obs):,} results read; {len(kept):,} kept for display"
        return replace(
            self,
            observations=tuple(kept),
            notes=(*self.notes, note),
            stored_episodes=self.episodes,
        )

    def to_dict(self) -> dict:
        return {
            "readable": self.readable,
            "kind": self.kind,
            "format": self.format,
            "target": self.target,
            "observations": [
                {
                    "at": o.at.isoformat(),
                    "ok": o.ok,
                    "outcome": o.outcome,
                    "detail": o.detail,
                    "line": o.line,
                }
                for o in self.observations
            ],
            "episodes": [e.to_dict() for e in self.episodes],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Evidence":
        if d.get("compact"):
            return cls.from_compact(d)
        episodes = d.get("episodes")
        return cls(
            readable=d["readable"],
            kind=d["kind"],
            format=d["format"],
            target=d["target"],
            observations=tuple(
                Observation(
                    at=datetime.fromisoformat(o["at"]).astimezone(UTC),
                    ok=o["ok"],
                    outcome=o["outcome"],
                    detail=o.get("detail", ""),
                    line=o.get("line", 0),
                )
                for o in d["observations"]
            ),
            notes=tuple(d.get("notes", ())),
            stored_episodes=(
                tuple(Episode.from_dict(e) for e in episodes) if episodes is not None else None
            ),
        )


def unreadable(*notes: str) -> Evidence:
    return Evidence(
        readable=False, kind=None, format="unknown", target=None, observations=(), notes=notes
    )


def span(first: datetime, last: datetime) -> str:
    if first.date() == last.date():
        return f"{first:%Y-%m-%d %H:%M:%S}-{last:%H:%M:%S} UTC"
    return f"{first:%Y-%m-%d %H:%M:%S}-{last:%Y-%m-%d %H:%M:%S} UTC"


def trim(line: str) -> str:
    line = line.strip()
    return line if len(line) <= DETAIL_CHARS else line[: DETAIL_CHARS - 1] + "…"


@dataclass
class Draft:
    """What one reader made of a file, before the best reader is chosen."""

    kind: str
    format: str
    target: str | None = None
    observations: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown: int = 0  # non-blank lines the reader could not place
    untimed: int = 0  # results left out because no time was known for them
    lineno: int = 0  # the line being read, set by the reader's loop
    targets: list[str] = field(default_factory=list)  # other targets, for a merged reading

    def add(self, at: datetime, ok: bool, outcome: str, line: str, lineno: int = 0) -> None:
        # `ok` follows from the outcome's name (outcomes.py); the argument stays for readers'
        # readability at the call site.
        self.observations.append(
            Observation(at, is_ok(outcome), outcome, trim(line), lineno or self.lineno)
        )


# --- decoding -----------------------------------------------------------------------------


def decode(data: bytes | str) -> tuple[str, list[str]]:
    """Text and notes about how it was decoded. PowerShell 5's `>` writes UTF-16LE with a BOM;
    everything else people attach is UTF-8 or a Windows code page."""
    notes = []
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    elif data[:3] == b"\xef\xbb\xbf":
        text = data[3:].decode("utf-8", errors="replace")
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
        text = data[2:].decode(codec, errors="replace")
    elif _looks_utf16le(data):
        text = data.decode("utf-16-le", errors="replace")
        notes.append("read as UTF-16 without a byte order mark")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            notes.append("not UTF-8: read as Latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n"), notes


def _looks_utf16le(data: bytes) -> bool:
    # ASCII text in UTF-16LE has a NUL in every odd byte and almost none in the even ones.
    head = data[:4000]
    if len(head) < 8 or len(head) % 2:
        return False
    odd = head[1::2].count(0)
    even = head[0::2].count(0)
    return odd > 0.9 * (len(head) // 2) and even < 0.1 * (len(head) // 2)


# --- timestamps ---------------------------------------------------------------------------

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

# Only abbreviations that mean one thing; IST (India, Ireland, Israel) and the like fall back
# to the claimant's timezone with a note.
ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
    "CET": 1, "CEST": 2, "BST": 1, "WEST": 1, "EET": 2, "EEST": 3, "MSK": 3,
    "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}  # fmt: skip

_MON = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?"
_HMS = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
_AMPM = r"(?:\s*(?P<ampm>[ap]\.?m\.?)(?![a-z]))?"
_NUMERIC = r"[+-]\d{2}(?::?\d{2})?(?![0-9])"
# After an ISO time only an offset or UTC counts: "14:00:01 PING: transmit failed" has no zone.
_ISO_ZONE = rf"(?:\s?(?P<zone>z|utc|gmt|{_NUMERIC})(?![a-z]))?"
# A `date` line's abbreviation stands before the year or at the end of the line.
_DATE_ZONE = rf"(?:\s+(?P<zone>{_NUMERIC}|(?-i:[A-Z]{{2,5}})(?=\s+\d{{4}}|\s*$)))?"
# What separates a prefixed time from the tool's own text: " - " from PowerShell, "|" or ":".
_SEP = r"(?:\]|\))?(?:\s*[-|]\s+|:\s+|\s+|$)"

PATTERNS = [
    # ping -D: [1773172801.123456]
    re.compile(r"\[(?P<epoch>\d{9,11})(?:\.(?P<f>\d{1,9}))?\]\s?"),
    # 2026-03-10 14:00:01, 2026-03-10T14:00:01.5-05:00, [2026-03-10 14:00:01]
    re.compile(
        rf"[\[(]?(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})[t ]{_HMS}{_ISO_ZONE}{_SEP}", re.I
    ),
    # PowerShell en-US Get-Date: 3/10/2026 2:00:01 PM; cmd's %date% %time%: Tue 03/10/2026
    re.compile(
        rf"[\[(]?(?P<wd>{_DAY}\s+)?(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})/(?P<y>\d{{4}})\s+{_HMS}{_AMPM}{_SEP}",
        re.I,
    ),
    # PowerShell de-DE Get-Date: 10.03.2026 14:00:01
    re.compile(rf"[\[(]?(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}})\s+{_HMS}{_SEP}", re.I),
    # date and dig's WHEN, C/en_US: Tue Mar 10 14:00:01 EST 2026, Tue Mar 10 02:00:01 PM EDT 2026
    re.compile(
        rf"{_DAY}\s+{_MON}\s+(?P<d>\d{{1,2}})\s+{_HMS}{_AMPM}{_DATE_ZONE}\s+(?P<y>\d{{4}})"
        rf"{_SEP}",
        re.I,
    ),
    # date in en_GB and RFC 2822: Tue 10 Mar 14:00:01 GMT 2026, Tue, 10 Mar 2026 14:00:01 -0500
    re.compile(
        rf"{_DAY}\s+(?P<d>\d{{1,2}})\s+{_MON}\s+(?:(?P<y>\d{{4}})\s+)?{_HMS}{_AMPM}{_DATE_ZONE}"
        rf"(?:\s+(?P<y2>\d{{4}}))?{_SEP}",
        re.I,
    ),
    # PowerShell Get-Date alone, en-US: Tuesday, March 10, 2026 2:00:01 PM
    re.compile(
        rf"{_DAY}\s+{_MON}\s+(?P<d>\d{{1,2}}),\s+(?P<y>\d{{4}})\s+{_HMS}{_AMPM}{_SEP}", re.I
    ),
    # ts (moreutils) and syslog, no year: Mar 10 14:00:01
    re.compile(rf"[\[(]?{_MON}\s+(?P<d>\d{{1,2}})\s+{_HMS}{_SEP}", re.I),
]
_EPOCH, _ISO, _SLASH, _DOTTED, _DATE_US, _DATE_GB, _PS_LONG, _TS = PATTERNS
_BY_FIRST = {"[": PATTERNS[:4] + [_TS], "(": [_ISO, _SLASH, _DOTTED, _TS]}
_DIGIT_FIRST = [_ISO, _SLASH, _DOTTED]
_LETTER_FIRST = [_SLASH, _DATE_US, _DATE_GB, _PS_LONG, _TS]
_LEADING_SEP = re.compile(r"[-|:]\s+|[-|:]$")
_UNIX_MIN, _UNIX_MAX = 946_684_800, 4_102_444_800  # 2000 .. 2100: an epoch outside is not one


class Clock:
    """Reads the times in one file, and remembers what it had to assume."""

    def __init__(self, tz: tzinfo, year: int | None):
        self.tz = tz
        self.tzname = getattr(tz, "key", None) or str(tz)
        self.year = year
        self.now: datetime | None = None  # the last standalone `date` line
        self.naive = 0
        self.yearless = 0
        self.day_first = 0
        self.ambiguous = 0
        self.skipped = 0
        self.epochs = 0  # lines stamped by ping -D
        self.unknown_zones: set[str] = set()
        self._last_month = 0

    def split(self, line: str) -> tuple[datetime | None, str]:
        """The instant a line starts with (UTC) and the rest of the line, stripped."""
        line = line.strip()
        if not line:
            return None, ""
        first = line[0]
        if first.isdigit():
            patterns = _DIGIT_FIRST
        elif first.isalpha():
            patterns = _LETTER_FIRST
        else:
            patterns = _BY_FIRST.get(first)
            if patterns is None:
                return None, line
        for pattern in patterns:
            m = pattern.match(line)
            if m is None:
                continue
            try:
                at = self._instant(pattern, m)
            except (ValueError, OverflowError, OSError):
                at = None
            if at is None:
                continue
            rest = line[m.end() :].strip()
            lead = _LEADING_SEP.match(rest)
            if lead:
                rest = rest[lead.end() :]
            return at, rest
        return None, line

    def _instant(self, pattern: re.Pattern, m: re.Match) -> datetime | None:
        g = m.groupdict()
        micro = int((g.get("f") or "0")[:6].ljust(6, "0"))
        if pattern is _EPOCH:
            seconds = int(g["epoch"])
            if not _UNIX_MIN <= seconds < _UNIX_MAX:
                return None
            self.epochs += 1
            return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro)
        hour, minute, second = int(g["h"]), int(g["mi"]), int(g.get("s") or 0)
        if g.get("ampm"):
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if g["ampm"][0] in "pP" else 0)
        if pattern is _SLASH:
            a, b = int(g["a"]), int(g["b"])
            # An AM/PM time or cmd's weekday-first %date% is the US format, month first; a bare
            # 24-hour d/m/y is what en-GB, fr-FR and most other cultures print.
            if g["ampm"] or g["wd"] or b > 12:
                month, day = a, b
            else:
                month, day = b, a
                self.day_first += 1
        elif "mon" in g and g["mon"]:
            month, day = MONTHS[g["mon"][:3].lower()], int(g["d"])
        else:
            month, day = int(g["m"]), int(g["d"])
        year = g.get("y") or g.get("y2")
        if year:
            year = int(year)
        else:
            year = self._guess_year(month)
        # Naive on purpose: the zone on the line, or else the claimant's, decides the offset.
        naive = datetime(year, month, day, hour, minute, second, micro)  # noqa: DTZ001
        zone = (g.get("zone") or "").upper()
        if zone:
            offset = _offset(zone)
            if offset is not None:
                return (naive - offset).replace(tzinfo=UTC)
            self.unknown_zones.add(zone)
        return self.localize(naive)

    def _guess_year(self, month: int) -> int:
        if self.year is None:
            self.year = datetime.now(UTC).year
        if self._last_month == 12 and month == 1:  # a `ts` log running over New Year
            self.year += 1
        self._last_month = month
        self.yearless += 1
        return self.year

    def localize(self, naive: datetime) -> datetime:
        first = naive.replace(tzinfo=self.tz)
        at = first.astimezone(UTC)
        if first.utcoffset() != naive.replace(tzinfo=self.tz, fold=1).utcoffset():
            # In a DST change: fold=0 is the first of a repeated hour, and for a skipped hour
            # the offset before the change.
            if at.astimezone(self.tz).replace(tzinfo=None) == naive:
                self.ambiguous += 1
            else:
                self.skipped += 1
        self.naive += 1
        return at

    def notes(self) -> list[str]:
        notes = []
        if self.naive:
            notes.append(f"times without an offset read in {self.tzname}")
        if self.unknown_zones:
            names = ", ".join(sorted(self.unknown_zones))
            notes.append(f"zone abbreviation {names} not known: read in {self.tzname}")
        if self.yearless:
            notes.append(f"year {self.year} assumed for dates without one")
        if self.day_first:
            notes.append("dates like 10/03/2026 read as day/month/year")
        if self.ambiguous:
            notes.append(
                f"{plural(self.ambiguous, 'local time')} in the hour repeated when clocks went"
                " back: read as the first"
            )
        if self.skipped:
            notes.append(
                f"{plural(self.skipped, 'local time')} in the hour skipped when clocks went"
                " forward: read with the offset before the change"
            )
        return notes


def _offset(zone: str) -> timedelta | None:
    if zone in ZONES:
        return timedelta(hours=ZONES[zone])
    if zone[0] in "+-" and zone[1:].replace(":", "").isdigit():
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 14 or minutes > 59:
            return None
        sign = -1 if zone[0] == "-" else 1
        return sign * timedelta(hours=hours, minutes=minutes)
    return None
