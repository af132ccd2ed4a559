"""BSD and macOS ping, read with jc: real captures from jc's own test fixtures (see
samples/MANIFEST.md), untimed as captured, and the same lines under a `date` line or `ts`."""

from claims.evidence import read_evidence

from .test_evidence_samples import SAMPLES, at

UNREACHABLE = (SAMPLES / "jc_osx_ping_unreachable.txt").read_text()


def test_untimed_bsd_and_macos_pings_are_kept_unread_with_a_true_reason():
    for name, results in (("jc_osx_ping_unreachable.txt", 13), ("jc_freebsd_ping.txt", 3)):
        evidence = read_evidence((SAMPLES / name).read_bytes())

        assert not evidence.readable
        assert evidence.notes[0].startswith(
            f"ping output without a time on its results (bsd-ping, {results} results)"
        )


def test_traceroutes_are_not_proof():
    for name in ("jc_osx_traceroute.txt", "jc_freebsd_traceroute.txt"):
        evidence = read_evidence((SAMPLES / name).read_bytes())

        assert not evidence.readable
        assert "output found" in evidence.notes[0]


def test_macos_timeouts_and_unreachables_under_a_date_line_are_timed_by_icmp_seq():
    evidence = read_evidence("Wed Dec  2 01:16:40 UTC 2026\n" + UNREACHABLE, year=2026)

    assert (evidence.kind, evidence.format, evidence.target) == (
        "ping",
        "bsd-ping",
        "192.168.1.220",
    )
    (episode,) = evidence.episodes
    assert (episode.ok, episode.start, episode.end) == (False, at("01:16:40"), at("01:16:46"))
    assert dict(episode.outcomes) == {"timeout": 7, "host-unreachable": 6}
    assert episode.lines == (3, 33)
    assert evidence.covers(at("01:16:45"), at("01:16:50"))
    assert not evidence.covers(at("01:16:47"), at("01:16:50"))


def test_ts_stamped_freebsd_replies_keep_their_own_times():
    lines = (SAMPLES / "jc_freebsd_ping.txt").read_text().split("\n")
    stamped = "\n".join(
        f"2026-12-02 01:20:0{i} {line}" if line else "" for i, line in enumerate(lines)
    )

    evidence = read_evidence(stamped, year=2026)

    assert evidence.format == "bsd-ping"
    assert [(o.at, o.outcome, o.line) for o in evidence.observations] == [
        (at("01:20:01"), "reply", 2),
        (at("01:20:02"), "reply", 3),
        (at("01:20:03"), "reply", 4),
    ]
