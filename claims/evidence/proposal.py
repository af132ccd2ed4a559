"""The settlement the portal proposes for a claim: which part of the claimed period the proofs
and the provider's own incident records show as downtime, each stretch citing where it comes
from.

Pure: no models, no Django. The caller hands over the claimed period, the proofs' readings
(`Evidence`, each with its file name) and the provider's incidents as plain data; the credit
for the proposed downtime is the SLA engine's business, not this module's.

How a failure episode becomes downtime. A probe tells the state of the service at one instant;
between two probes nothing is known except what the two ends said. The reading taken here is
the one monitoring systems use to count an agreement's "downtime": each probe's result holds
until the next probe. So a failure episode runs from its first failing probe to the first
probe after it that succeeded (the service was seen answering again there, not earlier), and a
success episode from its first succeeding probe to the next failing one. Not earlier than the
first failure: the probe just before it saw the service answer. An episode the file ends in
stops at its last probe, since nothing after it was observed; a single failing probe with
nothing after it is a stretch of 0 s, still cited so the reviewer sees it.

What is proposed:
- `downtime`: the claimed period [start, end) intersected with the union of every proof's
  failure stretches and every incident interval; overlapping or touching stretches are one,
  citing all their sources.
- `answering`: the stretches inside the period where a proof shows the service answering (the
  union of success stretches, cited the same way). They are shown beside the downtime, not
  taken out of it: a DNS lookup answering while pings fail is for the reviewer to weigh.
- `covers_none`: no proof shows a failure stretch inside the period (incidents do not count:
  the flag is about the claimant's proof).
- `unread`: the proofs that could not be read, by file name; they add nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .common import Episode, Evidence


@dataclass(frozen=True)
class Incident:
    """One of the provider's incident records, as plain data."""

    id: int | str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Source:
    """Where a proposed stretch comes from: lines of a proof file, or an incident."""

    file: str = ""
    lines: tuple[int, int] = (0, 0)  # the episode's first and last probe (1-based; 0: unknown)
    until_line: int = 0  # the line of the probe that ended the episode (0: the file ends first)
    incident: int | str | None = None

    def describe(self) -> str:
        if self.incident is not None:
            return f"incident {self.incident}"
        first, last = self.lines
        if not first:
            return self.file
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        return f"{self.file}, {where}"

    def to_dict(self) -> dict:
        if self.incident is not None:
            return {"incident": self.incident}
        return {"file": self.file, "lines": list(self.lines), "until_line": self.until_line}


@dataclass(frozen=True)
class Stretch:
    start: datetime
    end: datetime
    sources: tuple[Source, ...]

    @property
    def seconds(self) -> int:
        return round((self.end - self.start).total_seconds())

    def to_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": self.seconds,
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass(frozen=True)
class Proposal:
    start: datetime
    end: datetime
    downtime: tuple[Stretch, ...]
    answering: tuple[Stretch, ...]
    covers_none: bool
    unread: tuple[str, ...] = ()

    @property
    def downtime_seconds(self) -> int:
        return sum(s.seconds for s in self.downtime)

    def to_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "downtime": [s.to_dict() for s in self.downtime],
            "downtime_seconds": self.downtime_seconds,
            "answering": [s.to_dict() for s in self.answering],
            "covers_none": self.covers_none,
            "unread": list(self.unread),
        }


def propose(
    *,
    start: datetime,
    end: datetime,
    proofs: Iterable[tuple[str, Evidence]],
    incidents: Iterable[Incident | tuple] = (),
) -> Proposal:
    """The proposed settlement for the claimed period [start, end). `proofs` are (file name,
    reading) pairs; `incidents` are `Incident`s or (id, start, end) tuples. All instants aware."""
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("the claimed period's instants must be aware")
    if end <= start:
        raise ValueError("the claimed period must end after it starts")
    failing: list[Stretch] = []
    answering: list[Stretch] = []
    unread = []
    for name, evidence in proofs:
        if not evidence.readable:
            unread.append(name)
            continue
        for ok, stretch in _stretches(name, evidence.episodes):
            (answering if ok else failing).append(stretch)
    proof_downtime = _clip(failing, start, end)
    known = []
    for incident in incidents:
        if not isinstance(incident, Incident):
            incident = Incident(*incident)
        known.append(Stretch(incident.start, incident.end, (Source(incident=incident.id),)))
    return Proposal(
        start=start,
        end=end,
        downtime=_union(proof_downtime + _clip(known, start, end)),
        answering=_union(_clip(answering, start, end)),
        covers_none=not proof_downtime,
        unread=tuple(unread),
    )


def _stretches(name: str, episodes: tuple[Episode, ...]):
    """(ok, stretch) for each episode: from its first probe to the first probe of the next
    episode, or to its own last probe where the file ends."""
    for i, episode in enumerate(episodes):
        following = episodes[i + 1] if i + 1 < len(episodes) else None
        until = following.start if following else episode.end
        until_line = following.lines[0] if following else 0
        source = Source(file=name, lines=tuple(episode.lines), until_line=until_line)
        yield episode.ok, Stretch(episode.start, until, (source,))


def _clip(stretches: list[Stretch], start: datetime, end: datetime) -> list[Stretch]:
    clipped = []
    for s in stretches:
        # A stretch of 0 s (one probe, nothing after) counts when its instant is in the period.
        inside = s.start < end and (s.end > start or s.start == s.end >= start)
        if inside:
            clipped.append(Stretch(max(s.start, start), min(s.end, end), s.sources))
    return clipped


def _union(stretches: list[Stretch]) -> tuple[Stretch, ...]:
    merged: list[Stretch] = []
    for s in sorted(stretches, key=lambda s: (s.start, s.end)):
        if merged and s.start <= merged[-1].end:
            last = merged[-1]
            sources = last.sources + tuple(x for x in s.sources if x not in last.sources)
            merged[-1] = Stretch(last.start, max(last.end, s.end), sources)
        else:
            merged.append(s)
    return tuple(merged)
