"""Every capture in tests/claims/samples/ made by capture/capture.sh (see MANIFEST.md there), read
as the tool printed it: kind, target, each episode of failure and success to the second, the
outcomes named as the tool said them, and whether it covers a window."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from claims.evidence import Evidence, read_evidence
from claims.evidence.outcomes import SUCCESSES

SAMPLES = Path(__file__).parent / "samples"
DAY = datetime(2026, 12, 2, tzinfo=UTC)


def at(hms: str) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return DAY.replace(hour=h, minute=m, second=s)


def read(name: str) -> Evidence:
    return read_evidence((SAMPLES / name).read_bytes(), year=2026)


# (file, kind, target, [(ok, start, end, outcomes)], reason when unread)
CASES = [
    (
        "combined_loop.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:51", "01:16:51", ("reply",)),
            (False, "01:16:51", "01:16:51", ("connection-refused",)),
            (True, "01:16:54", "01:16:58", ("connected", "dns-answer", "reply")),
            (False, "01:17:00", "01:17:05", ("connection-timeout", "timeout")),
            (True, "01:17:10", "01:17:12", ("connected", "dns-answer", "reply")),
        ],
        None,
    ),
    (
        "curl_trace_time_status.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (True, "01:16:43", "01:16:48", ("http-status",)),
            (False, "01:16:49", "01:16:54", ("http-error",)),
            (True, "01:16:55", "01:16:56", ("http-status",)),
        ],
        None,
    ),
    (
        "curl_v_ts_refused.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (True, "01:16:43", "01:16:48", ("http-status",)),
            (False, "01:16:49", "01:16:54", ("connection-refused",)),
            (True, "01:16:56", "01:16:57", ("http-status",)),
        ],
        None,
    ),
    (
        "dig_full_nxdomain.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:16:44", "01:16:48", ("dns-answer",)),
            (False, "01:16:50", "01:16:55", ("nxdomain",)),
            (True, "01:16:56", "01:16:57", ("dns-answer",)),
        ],
        None,
    ),
    (
        "dig_full_servfail.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:16:44", "01:16:48", ("dns-answer",)),
            (False, "01:16:49", "01:16:55", ("servfail",)),
            (True, "01:16:56", "01:16:57", ("dns-answer",)),
        ],
        None,
    ),
    (
        "dig_netunreach_date.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:16:45", "01:16:50", ("dns-answer",)),
            (False, "01:16:51", "01:16:56", ("network-unreachable",)),
            (True, "01:16:57", "01:16:58", ("dns-answer",)),
        ],
        None,
    ),
    (
        "dig_refused_date.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:16:44", "01:16:49", ("dns-answer",)),
            (False, "01:16:50", "01:16:55", ("connection-refused",)),
            (True, "01:16:56", "01:16:57", ("dns-answer",)),
        ],
        None,
    ),
    (
        "dig_short_date.txt",
        "dns",
        None,
        [
            (True, "01:16:45", "01:16:49", ("dns-answer",)),
            (False, "01:16:50", "01:16:56", ("no-answer",)),
            (True, "01:16:57", "01:16:58", ("dns-answer",)),
        ],
        None,
    ),
    (
        "dig_short_ts.txt",
        "dns",
        None,
        [
            (True, "01:16:46", "01:16:49", ("dns-answer",)),
            (False, "01:16:50", "01:16:56", ("no-answer",)),
            (True, "01:16:57", "01:16:59", ("dns-answer",)),
        ],
        None,
    ),
    (
        "dig_timeout_date.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:21:26", "01:21:30", ("dns-answer",)),
            (False, "01:21:31", "01:21:35", ("timeout",)),
            (True, "01:21:37", "01:21:40", ("dns-answer",)),
        ],
        None,
    ),
    (
        "drill_date.txt",
        "dns",
        "portal.example.test A",
        [(True, "01:16:48", "01:17:09", ("dns-answer",))],
        None,
    ),
    (
        "drill_servfail.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:16:48", "01:16:53", ("dns-answer",)),
            (False, "01:16:54", "01:16:58", ("servfail",)),
            (True, "01:16:59", "01:17:00", ("dns-answer",)),
        ],
        None,
    ),
    (
        "fping_D_c.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:41", "01:16:45", ("reply",)),
            (False, "01:16:47", "01:16:50", ("timeout",)),
            (True, "01:16:50", "01:16:52", ("reply",)),
        ],
        None,
    ),
    (
        "fping_D_l.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:41", "01:16:44", ("reply",)),
            (False, "01:16:46", "01:16:50", ("timeout",)),
            (True, "01:16:50", "01:16:54", ("reply",)),
        ],
        None,
    ),
    (
        "fping_e_date.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:42", "01:16:46", ("reply",)),
            (False, "01:16:47", "01:16:51", ("unreachable",)),
            (True, "01:16:53", "01:16:55", ("reply",)),
        ],
        None,
    ),
    (
        "host_date_servfail.txt",
        "dns",
        "portal.example.test",
        [
            (True, "01:16:46", "01:16:50", ("dns-answer",)),
            (False, "01:16:52", "01:16:57", ("servfail",)),
            (True, "01:16:58", "01:16:59", ("dns-answer",)),
        ],
        None,
    ),
    (
        "host_date_timeout.txt",
        "dns",
        "portal.example.test",
        [
            (True, "01:21:26", "01:21:30", ("dns-answer",)),
            (False, "01:21:31", "01:21:34", ("timeout",)),
            (True, "01:21:37", "01:21:41", ("dns-answer",)),
        ],
        None,
    ),
    (
        "host_ts_nxdomain.txt",
        "dns",
        "portal.example.test",
        [
            (True, "01:16:46", "01:16:50", ("dns-answer",)),
            (False, "01:16:52", "01:16:57", ("nxdomain",)),
            (True, "01:16:58", "01:17:00", ("dns-answer",)),
        ],
        None,
    ),
    (
        "hping3_icmp_ts.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:42", "01:16:45", ("reply",)),
            (False, "01:16:46", "01:16:50", ("timeout",)),
            (True, "01:16:51", "01:16:53", ("reply",)),
        ],
        None,
    ),
    (
        "hping3_syn_date.txt",
        "ping",
        "127.0.0.1:8080",
        [
            (True, "01:16:42", "01:16:45", ("port-open",)),
            (False, "01:16:46", "01:16:52", ("port-closed",)),
            (True, "01:16:53", "01:16:53", ("port-open",)),
        ],
        None,
    ),
    (
        "kdig_date_servfail.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:16:49", "01:16:53", ("dns-answer",)),
            (False, "01:16:54", "01:16:59", ("servfail",)),
            (True, "01:17:00", "01:17:01", ("dns-answer",)),
        ],
        None,
    ),
    (
        "kdig_timeout.txt",
        "dns",
        "portal.example.test A",
        [
            (True, "01:17:27", "01:17:31", ("dns-answer",)),
            (False, "01:17:38", "01:17:38", ("timeout",)),
            (True, "01:17:38", "01:17:41", ("dns-answer",)),
        ],
        None,
    ),
    (
        "mtr_report_loop.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:42", "01:16:42", ("reply",)),
            (False, "01:16:49", "01:16:49", ("timeout",)),
            (True, "01:16:57", "01:17:11", ("reply",)),
        ],
        None,
    ),
    (
        "nc_vz_date.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (False, "01:16:49", "01:16:49", ("connection-refused",)),
            (True, "01:16:50", "01:16:54", ("connected",)),
            (False, "01:16:55", "01:17:01", ("connection-refused",)),
        ],
        None,
    ),
    (
        "nc_vz_ts_timeout.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (False, "01:16:50", "01:16:50", ("connection-refused",)),
            (True, "01:16:52", "01:16:54", ("connected",)),
            (False, "01:16:56", "01:17:00", ("connection-timeout",)),
            (True, "01:17:02", "01:17:06", ("connected",)),
        ],
        None,
    ),
    (
        "ncat_ts_timeout.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (True, "01:16:53", "01:16:54", ("connected",)),
            (False, "01:16:57", "01:17:02", ("connection-timeout",)),
            (True, "01:17:03", "01:17:10", ("connected",)),
        ],
        None,
    ),
    (
        "ncat_v_date.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (True, "01:16:50", "01:16:54", ("connected",)),
            (False, "01:16:55", "01:17:01", ("connection-refused",)),
            (True, "01:17:02", "01:17:07", ("connected",)),
        ],
        None,
    ),
    (
        "nslookup_date_servfail.txt",
        "dns",
        "portal.example.test",
        [
            (True, "01:16:47", "01:16:50", ("dns-answer",)),
            (False, "01:16:52", "01:16:58", ("servfail",)),
            (True, "01:16:59", "01:17:00", ("dns-answer",)),
        ],
        None,
    ),
    (
        "nslookup_ts_timeout.txt",
        "dns",
        "portal.example.test",
        [
            (True, "01:21:26", "01:21:31", ("dns-answer",)),
            (False, "01:21:33", "01:21:37", ("timeout",)),
            (True, "01:21:38", "01:21:41", ("dns-answer",)),
        ],
        None,
    ),
    (
        "ping_D.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:39", "01:16:42", ("reply",)),
            (False, "01:16:43", "01:16:46", ("timeout",)),
            (True, "01:16:47", "01:16:50", ("reply",)),
        ],
        None,
    ),
    (
        "ping_D_O.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:39", "01:16:42", ("reply",)),
            (False, "01:16:44", "01:16:47", ("timeout",)),
            (True, "01:16:47", "01:16:50", ("reply",)),
        ],
        None,
    ),
    (
        "ping_D_host_unreachable.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:40", "01:16:43", ("reply",)),
            (False, "01:16:44", "01:16:47", ("host-unreachable",)),
            (True, "01:16:48", "01:16:51", ("reply",)),
        ],
        None,
    ),
    (
        "ping_O_ts.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:39", "01:16:42", ("reply",)),
            (False, "01:16:44", "01:16:47", ("timeout",)),
            (True, "01:16:47", "01:16:50", ("reply",)),
        ],
        None,
    ),
    (
        "ping_date_plain.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:38", "01:16:41", ("reply",)),
            (False, "01:16:42", "01:16:45", ("timeout",)),
            (True, "01:16:46", "01:16:49", ("reply",)),
        ],
        None,
    ),
    (
        "ping_loop_connect_netunreach.txt",
        "ping",
        "10.9.9.9",
        [
            (True, "01:16:40", "01:16:44", ("reply",)),
            (False, "01:16:45", "01:16:50", ("network-unreachable",)),
            (True, "01:16:52", "01:16:52", ("reply",)),
        ],
        None,
    ),
    (
        "ping_loop_ts_connect.txt",
        "ping",
        "10.9.9.9",
        [
            (True, "01:16:40", "01:16:45", ("reply",)),
            (False, "01:16:46", "01:16:51", ("network-unreachable",)),
            (True, "01:16:53", "01:16:54", ("reply",)),
        ],
        None,
    ),
    ("ping_plain_untimed.txt", None, None, [], "ping output without a time on its result"),
    ("ping_stats_only.txt", None, None, [], "ping output without a time on its result"),
    (
        "ping_ts_iso.txt",
        "ping",
        "127.0.0.1",
        [
            (True, "01:16:39", "01:16:42", ("reply",)),
            (False, "01:16:43", "01:16:46", ("timeout",)),
            (True, "01:16:48", "01:16:51", ("reply",)),
        ],
        None,
    ),
    (
        "tcptraceroute_date.txt",
        "telnet",
        "127.0.0.1:8080",
        [
            (True, "01:16:43", "01:16:47", ("port-open",)),
            (False, "01:16:48", "01:16:51", ("port-closed",)),
        ],
        None,
    ),
    (
        "telnet_date.txt",
        "telnet",
        "127.0.0.1",
        [
            (False, "01:16:49", "01:16:49", ("connection-refused",)),
            (True, "01:16:50", "01:16:53", ("connected",)),
            (False, "01:16:54", "01:17:00", ("connection-refused",)),
            (True, "01:17:01", "01:17:01", ("connected",)),
        ],
        None,
    ),
    (
        "telnet_ts_outage.txt",
        "telnet",
        "127.0.0.1",
        [
            (False, "01:16:49", "01:16:49", ("connection-refused",)),
            (True, "01:16:51", "01:16:53", ("connected",)),
            (False, "01:16:54", "01:17:00", ("connection-refused",)),
            (True, "01:17:01", "01:17:02", ("connected",)),
        ],
        None,
    ),
]


@pytest.mark.parametrize("name, kind, target, episodes, reason", CASES, ids=[c[0] for c in CASES])
def test_capture_is_read_episode_by_episode(name, kind, target, episodes, reason):
    evidence = read(name)

    if reason is not None:
        assert not evidence.readable
        assert evidence.notes[0].startswith(reason)
        return
    assert (evidence.readable, evidence.kind, evidence.target) == (True, kind, target)
    seen = [
        (e.ok, f"{e.start:%H:%M:%S}", f"{e.end:%H:%M:%S}", tuple(sorted(dict(e.outcomes))))
        for e in evidence.episodes
    ]
    assert seen == episodes
    for episode in evidence.episodes:
        assert all((outcome in SUCCESSES) == episode.ok for outcome, _ in episode.outcomes)


@pytest.mark.parametrize("name, kind, target, episodes, reason", CASES, ids=[c[0] for c in CASES])
def test_capture_covers_its_outage_and_not_the_time_it_answered(
    name, kind, target, episodes, reason
):
    if reason is not None:
        return
    evidence = read(name)
    for ok, start, end, _ in episodes:
        window = (at(start), at(end) + timedelta(seconds=1))
        if not ok:
            assert evidence.covers(*window)
    answering = [e for e in evidence.episodes if e.ok and e.probes > 1]
    for episode in answering:
        inside = evidence.within(episode.start, episode.end + timedelta(microseconds=1))
        if all(o.ok for o in inside):
            assert not evidence.covers(episode.start, episode.end + timedelta(microseconds=1))


def test_summary_says_when_failures_began_and_ended():
    summary = read("ping_D_O.txt").summary()

    assert summary == (
        "ping to 127.0.0.1: 12 probes 2026-12-02 01:16:39-01:16:50 UTC, 4 timeouts; failing"
        " from 2026-12-02 01:16:44 to 01:16:47 UTC, 3 s, 4 timeouts; answering before and after"
    )


def test_statistics_only_ping_is_unread_for_want_of_times_not_for_want_of_ping():
    evidence = read("ping_stats_only.txt")

    assert not evidence.readable
    assert evidence.notes[0].startswith("ping output without a time on its results")


def test_no_servers_after_connection_refused_is_refused_not_a_timeout():
    outcomes = {o.outcome for o in read("dig_refused_date.txt").observations if not o.ok}

    assert outcomes == {"connection-refused"}


def test_no_servers_after_network_unreachable_is_that():
    outcomes = {o.outcome for o in read("dig_netunreach_date.txt").observations if not o.ok}

    assert outcomes == {"network-unreachable"}


def test_host_output_is_read_by_the_host_reader_not_nslookup():
    evidence = read("host_date_servfail.txt")

    assert (evidence.format, evidence.target) == ("host", "portal.example.test")
    assert "127.0.0.1" not in {o.detail for o in evidence.observations}
    assert {o.outcome for o in evidence.observations if not o.ok} == {"servfail"}


def test_telnet_trying_line_gives_the_target():
    assert read("telnet_date.txt").target == "127.0.0.1"


def test_empty_dig_short_under_a_date_line_is_a_failure():
    evidence = read("dig_short_date.txt")

    failed = [o for o in evidence.observations if not o.ok]
    assert {o.outcome for o in failed} == {"no-answer"}
    assert len(failed) == 6


def test_combined_loop_is_read_tool_by_tool():
    evidence = read("combined_loop.txt")

    assert evidence.format == "linux-ping-timestamped+dig-short+nc"
    outcomes = {o.outcome for o in evidence.observations}
    assert {"reply", "dns-answer", "connected", "timeout", "connection-timeout"} <= outcomes


def test_ping_connect_errors_carry_the_date_lines_time():
    evidence = read("ping_loop_connect_netunreach.txt")

    failed = [o for o in evidence.observations if not o.ok]
    assert {o.outcome for o in failed} == {"network-unreachable"}
    assert [o.line for o in failed][:2] == [37, 39]


def test_compact_form_keeps_episodes_counts_and_the_lines_that_show_them():
    evidence = read("ping_D_host_unreachable.txt")
    compact = evidence.compact()

    back = Evidence.from_dict(compact)
    assert compact["counts"] == {"reply": 8, "host-unreachable": 4}
    assert compact["first_at"] == evidence.first_at.isoformat()
    assert [e["lines"] for e in compact["episodes"]] == [[2, 5], [6, 9], [10, 13]]
    assert "Destination Host Unreachable" in compact["episodes"][1]["first_line"]
    assert back.episodes == evidence.episodes
    assert (back.failures, back.successes) == (4, 8)
    assert back.summary() == evidence.summary()
    start, end = evidence.failure_episodes[0].start, evidence.failure_episodes[0].end
    assert back.covers(start, end + timedelta(seconds=1))
    assert not back.covers(evidence.first_at, start)


def test_thinned_evidence_keeps_the_episodes_of_the_whole_file():
    evidence = read("kdig_timeout.txt")

    thinned = evidence.thinned(3)
    assert thinned.episodes == evidence.episodes
    assert Evidence.from_dict(thinned.to_dict()).episodes == evidence.episodes
