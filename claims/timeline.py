"""The picture on the claim page: the claimed period against the provider's own incident and
maintenance records and what each proof file showed (its episodes of failure and success, not
its probes), on one time axis."""

import datetime as dt
from dataclasses import dataclass, field

from sla.models import Incident, Maintenance

WIDTH = 1000  # SVG user units; the picture scales with the page
# A proof row is drawn in slots of this width: episodes narrower than a slot share it, and a
# slot holding any failure is drawn failing, so a short outage never disappears. At most
# WIDTH / SLOT bars a row, however many probes the file holds.
SLOT = 2


@dataclass
class Row:
    label: str
    bars: list = field(default_factory=list)  # (x, width, css class, title)


@dataclass
class Timeline:
    start: dt.datetime
    end: dt.datetime
    rows: list
    axis: list  # (x, instant)

    @property
    def height(self):
        return 30 + 34 * len(self.rows)


def _x(instant, start, span):
    return round(WIDTH * (instant - start).total_seconds() / span, 1)


def timeline_for(claim, proofs):
    margin = max((claim.period_end - claim.period_start) / 5, dt.timedelta(minutes=15))
    start, end = claim.period_start - margin, claim.period_end + margin
    span = (end - start).total_seconds()

    def bar(a, b, css, title):
        a, b = max(a, start), min(b, end)
        return (_x(a, start, span), max(_x(b, start, span) - _x(a, start, span), 1.5), css, title)

    services = [line.subscription.service_id for line in claim.lines.all()]
    rows = [
        Row("Claimed", [bar(claim.period_start, claim.period_end, "claimed", "Claimed period")])
    ]
    incidents = Row("Incidents")
    for incident in (
        Incident.objects.filter(service__in=services)
        .affecting(claim.account)
        .overlapping(start, end)
    ):
        incidents.bars.append(
            bar(incident.starts_at, incident.ends_at, "incident", incident.summary)
        )
    maintenance = Row("Maintenance")
    for event in (
        Maintenance.objects.filter(service__in=services)
        .affecting(claim.account)
        .overlapping(start, end)
    ):
        notice = f"notice {event.notice_at:%Y-%m-%d %H:%M} UTC" if event.notice_at else "no notice"
        maintenance.bars.append(
            bar(event.starts_at, event.ends_at, "maintenance", f"{event.summary} ({notice})")
        )
    rows += [incidents, maintenance]
    for proof in proofs:
        if proof.reading is None or not proof.reading.readable:
            continue
        rows.append(_proof_row(proof, start, end, span))
    axis = [(round(WIDTH * i / 4, 1), start + (end - start) * i / 4) for i in range(5)]
    return Timeline(start=start, end=end, rows=rows, axis=axis)


def _proof_row(proof, start, end, span):
    """The proof's episodes of failure and success on the axis, one bar per run of slots in
    one state. An episode holds from its first probe to the next episode's first."""
    slots = [None] * (WIDTH // SLOT)  # "fail", "ok" or None (nothing recorded)
    titles = {}
    episodes = proof.reading.episodes
    for i, episode in enumerate(episodes):
        until = episodes[i + 1].start if i + 1 < len(episodes) else episode.end
        if until < start or episode.start > end:
            continue
        css = "ok" if episode.ok else "fail"
        first = _slot(episode.start, start, span)
        last = _slot(until, start, span)
        for n in range(first, max(last, first + 1)):
            if 0 <= n < len(slots) and slots[n] != "fail":
                slots[n] = css
                titles.setdefault((n, css), episode.describe())
    row = Row(proof.display_name[:24])
    n = 0
    while n < len(slots):
        css = slots[n]
        m = n
        while m + 1 < len(slots) and slots[m + 1] == css:
            m += 1
        if css is not None:
            row.bars.append((n * SLOT, (m - n + 1) * SLOT, css, titles[(n, css)]))
        n = m + 1
    return row


def _slot(instant, start, span):
    return int(WIDTH * (instant - start).total_seconds() / span) // SLOT
