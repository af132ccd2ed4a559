"""The proposed settlement from the captured samples: the claimed period intersected with the
proofs' failure stretches and the provider's incidents, each stretch citing its sources."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from claims.evidence import Evidence, read_evidence
from claims.evidence.proposal import Incident, Source, propose

from .test_evidence_samples import SAMPLES, at, read

HOUR = (at("01:00:00"), at("02:00:00"))


def test_a_failure_episode_runs_from_its_first_failure_to_the_next_answer():
    proposal = propose(
        start=HOUR[0], end=HOUR[1], proofs=[("dig.txt", read("dig_full_servfail.txt"))]
    )

    (down,) = proposal.downtime
    assert (down.start, down.end, down.seconds) == (at("01:16:49"), at("01:16:56"), 7)
    assert down.sources == (Source(file="dig.txt", lines=(101, 165), until_line=181),)
    assert down.sources[0].describe() == "dig.txt, lines 101-165"
    assert [(s.start, s.end) for s in proposal.answering] == [
        (at("01:16:44"), at("01:16:49")),
        (at("01:16:56"), at("01:16:57")),
    ]
    assert proposal.covers_none is False
    assert proposal.downtime_seconds == 7


def test_the_claimed_period_clips_the_stretches():
    proposal = propose(
        start=at("01:16:52"),
        end=at("01:16:55"),
        proofs=[("dig.txt", read("dig_full_servfail.txt"))],
    )

    assert [(s.start, s.end) for s in proposal.downtime] == [(at("01:16:52"), at("01:16:55"))]
    assert proposal.answering == ()


def test_proofs_and_incidents_that_overlap_are_one_stretch_citing_all():
    ping = read("ping_D_O.txt")  # timeouts from 01:16:44.43, answering again at 01:16:47.49
    dig = read("dig_full_servfail.txt")  # SERVFAIL from 01:16:49, answering again at 01:16:56
    telnet = read("telnet_date.txt")  # refused at 01:16:49, and from 01:16:54 to 01:17:00

    proposal = propose(
        start=HOUR[0],
        end=HOUR[1],
        proofs=[("ping.txt", ping), ("dig.txt", dig), ("telnet.txt", telnet)],
        incidents=[
            Incident(7, at("01:16:47"), at("01:16:50")),
            (8, at("01:30:00"), at("01:40:00")),
        ],
    )

    first, second = proposal.downtime
    assert first.start == ping.failure_episodes[0].start
    assert first.end == at("01:17:01")  # telnet answers again at 01:17:01
    assert [s.describe() for s in first.sources] == [
        "ping.txt, lines 6-9",
        "incident 7",
        "telnet.txt, line 2",
        "dig.txt, lines 101-165",
        "telnet.txt, lines 25-40",
    ]
    assert (second.start, second.end, second.sources) == (
        at("01:30:00"),
        at("01:40:00"),
        (Source(incident=8),),
    )
    assert proposal.covers_none is False


def test_an_episode_the_file_ends_in_stops_at_its_last_probe():
    # The real ping -D -O capture, cut after its fourth timeout (line 9).
    lines = (SAMPLES / "ping_D_O.txt").read_text().split("\n")[:9]
    evidence = read_evidence("\n".join(lines), year=2026)

    proposal = propose(start=HOUR[0], end=HOUR[1], proofs=[("cut.txt", evidence)])

    (down,) = proposal.downtime
    last = evidence.failure_episodes[-1]
    assert (down.start, down.end) == (last.start, last.end)
    assert down.sources == (Source(file="cut.txt", lines=(6, 9), until_line=0),)


def test_a_single_failure_with_nothing_after_is_cited_with_no_length():
    # telnet_date.txt cut after its first probe: one refusal at 01:16:49.
    lines = (SAMPLES / "telnet_date.txt").read_text().split("\n")[:4]
    proposal = propose(
        start=HOUR[0], end=HOUR[1], proofs=[("t.txt", read_evidence("\n".join(lines), year=2026))]
    )

    (down,) = proposal.downtime
    assert (down.start, down.end, down.seconds) == (at("01:16:49"), at("01:16:49"), 0)
    assert proposal.covers_none is False


def test_proofs_covering_none_of_the_period_say_so_and_incidents_still_count():
    proposal = propose(
        start=at("03:00:00"),
        end=at("04:00:00"),
        proofs=[("dig.txt", read("dig_full_servfail.txt"))],
        incidents=[Incident("INC-1", at("02:50:00"), at("03:10:00"))],
    )

    assert proposal.covers_none is True
    assert [(s.start, s.end, s.sources) for s in proposal.downtime] == [
        (at("03:00:00"), at("03:10:00"), (Source(incident="INC-1"),))
    ]
    assert proposal.answering == ()


def test_a_period_where_the_proof_only_answers_is_covered_by_none():
    # ping_D.txt answers from 01:16:39.01 and loses its probes from 01:16:43.11.
    proposal = propose(start=at("01:16:30"), end=at("01:16:42"), proofs=[("p", read("ping_D.txt"))])

    assert proposal.downtime == ()
    assert proposal.covers_none is True
    (answering,) = proposal.answering
    assert (answering.start, answering.end) == (read("ping_D.txt").first_at, at("01:16:42"))


def test_an_unread_proof_adds_nothing_and_is_named():
    pdf = read_evidence(b"%PDF-1.7 not tool output")

    proposal = propose(
        start=HOUR[0],
        end=HOUR[1],
        proofs=[("scan.pdf", pdf), ("dig.txt", read("dig_full_servfail.txt"))],
    )

    assert proposal.unread == ("scan.pdf",)
    assert len(proposal.downtime) == 1


def test_the_stored_compact_form_proposes_the_same():
    dig = read("dig_full_servfail.txt")
    stored = Evidence.from_compact(dig.compact())

    assert propose(start=HOUR[0], end=HOUR[1], proofs=[("dig.txt", stored)]) == propose(
        start=HOUR[0], end=HOUR[1], proofs=[("dig.txt", dig)]
    )


def test_to_dict_is_json_shaped():
    proposal = propose(
        start=HOUR[0],
        end=HOUR[1],
        proofs=[("dig.txt", read("dig_full_servfail.txt"))],
        incidents=[(3, at("01:50:00"), at("01:55:00"))],
    )

    assert proposal.to_dict() == {
        "start": "2026-12-02T01:00:00+00:00",
        "end": "2026-12-02T02:00:00+00:00",
        "downtime": [
            {
                "start": "2026-12-02T01:16:49+00:00",
                "end": "2026-12-02T01:16:56+00:00",
                "seconds": 7,
                "sources": [{"file": "dig.txt", "lines": [101, 165], "until_line": 181}],
            },
            {
                "start": "2026-12-02T01:50:00+00:00",
                "end": "2026-12-02T01:55:00+00:00",
                "seconds": 300,
                "sources": [{"incident": 3}],
            },
        ],
        "downtime_seconds": 307,
        "answering": [
            {
                "start": "2026-12-02T01:16:44+00:00",
                "end": "2026-12-02T01:16:49+00:00",
                "seconds": 5,
                "sources": [{"file": "dig.txt", "lines": [6, 82], "until_line": 101}],
            },
            {
                "start": "2026-12-02T01:16:56+00:00",
                "end": "2026-12-02T01:16:57+00:00",
                "seconds": 1,
                "sources": [{"file": "dig.txt", "lines": [181, 200], "until_line": 0}],
            },
        ],
        "covers_none": False,
        "unread": [],
    }


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 12, 2, 1), datetime(2026, 12, 2, 2)),  # noqa: DTZ001
        (HOUR[1], HOUR[0]),
        (HOUR[0], HOUR[0]),
    ],
)
def test_a_period_that_is_not_one_is_refused(start, end):
    with pytest.raises(ValueError):
        propose(start=start, end=end, proofs=[])


def test_a_period_given_in_another_zone_is_the_same_instants():
    athens = ZoneInfo("Europe/Athens")  # UTC+2 in December
    start = datetime(2026, 12, 2, 3, 16, 52, tzinfo=athens)

    proposal = propose(
        start=start, end=start + timedelta(seconds=3), proofs=[("d", read("dig_full_servfail.txt"))]
    )

    assert [(s.start, s.end) for s in proposal.downtime] == [(at("01:16:52"), at("01:16:55"))]
