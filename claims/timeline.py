"""The picture on the claim page: the claimed period against the provider's own incident and
maintenance records and what each proof file showed, on one time axis."""

import datetime as dt
from dataclasses import dataclass, field

from claims.evidence import Evidence
from sla.models import Incident, Maintenance

WIDTH = 1000  # SVG user units; the picture scales with the page
MAX_TICKS = 400  # per evidence row: enough to see a pattern, few enough to draw


@dataclass
class Row:
    label: str
    bars: list = field(default_factory=list)  # (x, width, css class, title)
    ticks: list = field(default_factory=list)  # (x, css class, title)


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
        if not proof.evidence:
            continue
        evidence = Evidence.from_dict(proof.evidence)
        seen = evidence.within(start, end)
        step = max(1, len(seen) // MAX_TICKS)
        row = Row(proof.display_name[:24])
        for observation in seen[::step]:
            css = "ok" if observation.ok else "fail"
            row.ticks.append((_x(observation.at, start, span), css, observation.outcome))
        # Thinning must never hide a failure: draw every failure the step skipped.
        if step > 1:
            for observation in seen:
                if not observation.ok:
                    row.ticks.append((_x(observation.at, start, span), "fail", observation.outcome))
        rows.append(row)
    axis = [(round(WIDTH * i / 4, 1), start + (end - start) * i / 4) for i in range(5)]
    return Timeline(start=start, end=end, rows=rows, axis=axis)
