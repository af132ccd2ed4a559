"""Reading proof files: real tool output in, what it shows and when out.

The samples under samples/ are written as the tools print them. Their outage runs from about
2026-03-10 20:00 UTC (dig_servfail.txt: 2026-02-10 19:00 UTC, while New York is on EST).
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.evidence import KINDS, Evidence, Observation, read_evidence

SAMPLES = Path(__file__).parent / "samples"
CHICAGO = ZoneInfo("America/Chicago")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def sample(name, **kwargs):
    return read_evidence((SAMPLES / name).read_bytes(), **kwargs)


# name, read with, kind, format, target, observations, failures, first, last, summary
CASES = [
    (
        "linux_ping_D_O_outage.txt",
        {},
        "ping",
        "linux-ping-D",
        "mail.example.com",
        20,
        10,
        utc(2026, 3, 10, 19, 59, 55, 113334),
        utc(2026, 3, 10, 20, 0, 14, 137564),
        "ping to mail.example.com: 20 probes 2026-03-10 19:59:55-20:00:14 UTC, 10 timeouts",
    ),
    (
        "linux_ping_D_outage.txt",
        {},
        "ping",
        "linux-ping-D",
        "mail.example.com",
        20,
        12,
        utc(2026, 3, 10, 19, 59, 55, 216411),
        utc(2026, 3, 10, 20, 0, 14, 236211),
        "ping to mail.example.com: 20 probes 2026-03-10 19:59:55-20:00:14 UTC, 9 timeouts,"
        " 3 host unreachable",
    ),
    (
        "linux_ping_ts_iso.txt",
        {"tz": BERLIN},
        "ping",
        "linux-ping-timestamped",
        "203.0.113.10",
        10,
        3,
        utc(2026, 3, 10, 20, 0, 0),
        utc(2026, 3, 10, 20, 0, 9),
        "ping to 203.0.113.10: 10 probes 2026-03-10 20:00:00-20:00:09 UTC, 3 timeouts",
    ),
    (
        "windows_ping_powershell_utf16.txt",
        {"tz": CHICAGO},
        "ping",
        "windows-ping-timestamped",
        "mail.example.com",
        14,
        5,
        utc(2026, 3, 10, 19, 59, 55),
        utc(2026, 3, 10, 20, 0, 18),
        "ping to mail.example.com: 14 probes 2026-03-10 19:59:55-20:00:18 UTC, 3 timeouts,"
        " 2 unreachable",
    ),
    (
        "windows_ping_iso_german.txt",
        {"tz": BERLIN},
        "ping",
        "windows-ping-timestamped",
        "mail.example.com",
        4,
        2,
        utc(2026, 3, 10, 20, 0, 0),
        utc(2026, 3, 10, 20, 0, 10),
        "ping to mail.example.com: 4 probes 2026-03-10 20:00:00-20:00:10 UTC, 2 timeouts",
    ),
    (
        "dig_servfail.txt",
        {},
        "dns",
        "dig",
        "example.com MX",
        3,
        2,
        utc(2026, 2, 10, 18, 55, 1),
        utc(2026, 2, 10, 19, 5, 7),
        "DNS lookup of example.com MX: 3 lookups 2026-02-10 18:55:01-19:05:07 UTC, 2 SERVFAIL",
    ),
    (
        "dig_loop_timeout.txt",
        {},
        "dns",
        "dig",
        "mail.example.com A",
        4,
        2,
        utc(2026, 3, 10, 19, 55, 0),
        utc(2026, 3, 10, 20, 10, 30),
        "DNS lookup of mail.example.com A: 4 lookups 2026-03-10 19:55:00-20:10:30 UTC, 2 timeouts",
    ),
    (
        "nslookup_with_date.txt",
        {},
        "dns",
        "nslookup",
        "mail.example.com",
        5,
        3,
        utc(2026, 3, 10, 19, 58, 0),
        utc(2026, 3, 10, 20, 6, 10),
        "DNS lookup of mail.example.com: 5 lookups 2026-03-10 19:58:00-20:06:10 UTC,"
        " 1 SERVFAIL, 1 timeout, 1 NXDOMAIN",
    ),
    (
        "nslookup_windows.txt",
        {"tz": CHICAGO},
        "dns",
        "nslookup",
        "mail.example.com",
        3,
        2,
        utc(2026, 3, 10, 20, 0, 1, 520000),
        utc(2026, 3, 10, 20, 2, 1, 700000),
        "DNS lookup of mail.example.com: 3 lookups 2026-03-10 20:00:01-20:02:01 UTC,"
        " 1 timeout, 1 SERVFAIL",
    ),
    (
        "telnet_refused.txt",
        {},
        "telnet",
        "telnet",
        "mail.example.com:25",
        4,
        3,
        utc(2026, 3, 10, 20, 0, 1),
        utc(2026, 3, 10, 20, 10, 40),
        "TCP connect to mail.example.com:25: 4 attempts 2026-03-10 20:00:01-20:10:40 UTC,"
        " 2 refused, 1 timed out",
    ),
    (
        "telnet_ts.txt",
        {"year": 2026},
        "telnet",
        "telnet",
        "mail.example.com",
        3,
        2,
        utc(2026, 3, 10, 20, 0, 1),
        utc(2026, 3, 10, 20, 2, 1),
        "TCP connect to mail.example.com: 3 attempts 2026-03-10 20:00:01-20:02:01 UTC, 2 refused",
    ),
    (
        "nc_timeout.txt",
        {},
        "telnet",
        "nc",
        "mail.example.com:25",
        5,
        3,
        utc(2026, 3, 10, 19, 59, 0),
        utc(2026, 3, 10, 20, 3, 10),
        "TCP connect to mail.example.com:25: 5 attempts 2026-03-10 19:59:00-20:03:10 UTC,"
        " 2 timed out, 1 refused",
    ),
]


@pytest.mark.parametrize(
    "name, kwargs, kind, fmt, target, n, failures, first, last, summary",
    CASES,
    ids=[case[0] for case in CASES],
)
def test_sample_is_read_as_the_tool_printed_it(
    name, kwargs, kind, fmt, target, n, failures, first, last, summary
):
    evidence = sample(name, **kwargs)

    assert evidence.readable
    assert (evidence.kind, evidence.format, evidence.target) == (kind, fmt, target)
    assert kind in KINDS
    assert len(evidence.observations) == n
    assert (evidence.failures, evidence.successes) == (failures, n - failures)
    assert (evidence.first_at, evidence.last_at) == (first, last)
    assert [o.at for o in evidence.observations] == sorted(o.at for o in evidence.observations)
    # The summary goes on with the failure episodes, checked in test_evidence_samples.py.
    assert evidence.summary().startswith(summary)


@pytest.mark.parametrize("name, kwargs", [(case[0], case[1]) for case in CASES])
def test_sample_covers_its_outage_and_not_the_quiet_hour_before(name, kwargs):
    evidence = sample(name, **kwargs)
    outage_start = utc(2026, 2, 10, 19) if name == "dig_servfail.txt" else utc(2026, 3, 10, 20)
    outage_end = outage_start + timedelta(minutes=30)
    quiet_start = outage_start - timedelta(hours=2)

    assert evidence.covers(outage_start, outage_end)
    assert not evidence.covers(quiet_start, quiet_start + timedelta(hours=1))
    assert evidence.summary(outage_start, outage_end).endswith("inside the claimed period")
    assert evidence.summary(quiet_start, quiet_start + timedelta(hours=1)).endswith(
        "; nothing recorded inside the claimed period"
    )


@pytest.mark.parametrize("name, kwargs", [(case[0], case[1]) for case in CASES])
def test_sample_survives_a_json_round_trip(name, kwargs):
    evidence = sample(name, **kwargs)

    stored = json.loads(json.dumps(evidence.to_dict()))

    assert Evidence.from_dict(stored) == evidence
    assert stored["observations"][0]["at"].endswith("+00:00")


# --- ping ---------------------------------------------------------------------------------


def test_ping_without_O_infers_the_silent_probes_between_replies():
    evidence = sample("linux_ping_D_outage.txt")

    inferred = [o for o in evidence.observations if "inferred" in o.detail]
    assert [o.detail.split(":")[0] for o in inferred] == [
        f"icmp_seq={seq}" for seq in (6, 7, 8, 9, 10, 11, 15, 16, 17)
    ]
    # seq 5 at :59.220411 and seq 12 at 20:00:06.236511: seven steps of 1.002300 s
    assert inferred[0].at == utc(2026, 3, 10, 20, 0, 0, 222711)
    assert all(o.outcome == "timeout" and not o.ok for o in inferred)
    assert evidence.notes[0].startswith("9 timeouts inferred from missing icmp_seq numbers")


def test_ping_with_O_needs_no_inference():
    evidence = sample("linux_ping_D_O_outage.txt")

    assert evidence.within(utc(2026, 3, 10, 20, 0, 1), utc(2026, 3, 10, 20, 0, 2))[0].detail == (
        "[1773172801.108854] no answer yet for icmp_seq=6"
    )
    assert evidence.notes == ()


def test_ping_infers_probes_lost_before_the_first_and_after_the_last_reply():
    text = "\n".join(
        [
            "PING mail.example.com (203.0.113.10) 56(84) bytes of data.",
            "[1773172803.000000] 64 bytes from 203.0.113.10: icmp_seq=4 ttl=57 time=12.1 ms",
            "[1773172804.000000] 64 bytes from 203.0.113.10: icmp_seq=5 ttl=57 time=12.1 ms",
            "^C",
            "--- mail.example.com ping statistics ---",
            "8 packets transmitted, 2 received, 75% packet loss, time 7010ms",
        ]
    )

    evidence = read_evidence(text)

    # 1-3 before the first reply; 6 and 7 after the last; 8, the last sent, may have been
    # cut short by Ctrl-C and is not counted.
    assert [o.at for o in evidence.observations if not o.ok] == [
        utc(2026, 3, 10, 20, 0, s) for s in (0, 1, 2, 5, 6)
    ]


def test_ping_run_that_got_nothing_back_is_placed_by_its_date_line():
    text = "\n".join(
        [
            "Tue Mar 10 20:00:00 UTC 2026",
            "PING mail.example.com (203.0.113.10) 56(84) bytes of data.",
            "",
            "--- mail.example.com ping statistics ---",
            "5 packets transmitted, 0 received, 100% packet loss, time 4080ms",
        ]
    )

    evidence = read_evidence(text)

    assert evidence.failures == 5
    assert evidence.first_at == utc(2026, 3, 10, 20, 0, 0)
    assert evidence.last_at == utc(2026, 3, 10, 20, 0, 4, 80000)


def test_ping_reply_after_no_answer_yet_counts_as_a_reply():
    text = "\n".join(
        [
            "PING 203.0.113.10 (203.0.113.10) 56(84) bytes of data.",
            "[1773172800.000000] 64 bytes from 203.0.113.10: icmp_seq=1 ttl=57 time=12.1 ms",
            "[1773172802.000000] no answer yet for icmp_seq=2",
            "[1773172802.300000] 64 bytes from 203.0.113.10: icmp_seq=2 ttl=57 time=1300 ms",
        ]
    )

    evidence = read_evidence(text)

    assert (evidence.successes, evidence.failures) == (2, 0)
    assert "1 reply after 'no answer yet' counted as replies" in evidence.notes


def test_ping_sequence_numbers_wrapping_at_65536_are_not_a_gap():
    text = "\n".join(
        [
            "PING 203.0.113.10 (203.0.113.10) 56(84) bytes of data.",
            "[1773172800.000000] 64 bytes from 203.0.113.10: icmp_seq=65535 ttl=57 time=12 ms",
            "[1773172801.000000] 64 bytes from 203.0.113.10: icmp_seq=0 ttl=57 time=12 ms",
            "[1773172802.000000] 64 bytes from 203.0.113.10: icmp_seq=1 ttl=57 time=12 ms",
        ]
    )

    evidence = read_evidence(text)

    assert (len(evidence.observations), evidence.failures) == (3, 0)


def test_ping_unknown_host_takes_the_time_of_the_date_line_before_it():
    text = (
        "Tue Mar 10 20:00:00 UTC 2026\n"
        "ping: mail.example.com: Temporary failure in name resolution\n"
        "Tue Mar 10 20:01:00 UTC 2026\n"
        "ping: mail.example.com: Name or service not known\n"
    )

    evidence = read_evidence(text)

    assert [(o.at, o.outcome) for o in evidence.observations] == [
        (utc(2026, 3, 10, 20, 0), "unknown-host"),
        (utc(2026, 3, 10, 20, 1), "unknown-host"),
    ]
    assert evidence.target == "mail.example.com"


def test_ping_output_without_any_time_is_unread_and_says_why():
    text = (
        "PING mail.example.com (203.0.113.10) 56(84) bytes of data.\n"
        "64 bytes from mail.example.com (203.0.113.10): icmp_seq=1 ttl=57 time=12.3 ms\n"
        "ping: mail.example.com: Name or service not known\n"
    )

    evidence = read_evidence(text)

    assert not evidence.readable
    assert evidence.notes == (
        "ping output without a time on its results (linux-ping-timestamped, 2 results): it needs"
        " a time on each line"
        " (ping -D, ts) or a `date` line before each run",
    )
    assert evidence.summary().startswith("unreadable: ping output without a time")


def test_windows_reply_from_a_router_saying_unreachable_is_a_failure():
    evidence = sample("windows_ping_powershell_utf16.txt", tz=CHICAGO)

    routed = [o for o in evidence.observations if "192.0.2.1" in o.detail]
    assert [(o.ok, o.outcome) for o in routed] == [(False, "unreachable")]


def test_windows_ping_in_german_culture_with_dotted_dates():
    text = (
        "10.03.2026 21:00:00 - Antwort von 203.0.113.10: Bytes=32 Zeit=23ms TTL=54\n"
        "10.03.2026 21:00:05 - Zeitüberschreitung der Anforderung.\n"
        "10.03.2026 21:00:06 - PING: Fehler bei der Übertragung. Allgemeiner Fehler.\n"
    )

    evidence = read_evidence(text, tz=BERLIN)

    assert [(o.at, o.outcome) for o in evidence.observations] == [
        (utc(2026, 3, 10, 20, 0, 0), "reply"),
        (utc(2026, 3, 10, 20, 0, 5), "timeout"),
        (utc(2026, 3, 10, 20, 0, 6), "unreachable"),
    ]


def test_ping_request_that_cannot_find_the_host():
    text = (
        "2026-03-10 20:00:00 - Ping request could not find host mail.example.com. "
        "Please check the name and try again.\n"
    )

    evidence = read_evidence(text)

    assert (evidence.target, evidence.observations[0].outcome) == (
        "mail.example.com",
        "unknown-host",
    )


def test_all_replies_is_readable_and_proves_the_service_was_up():
    text = "".join(
        f"[{1773172800 + i}.000000] 64 bytes from 203.0.113.10: icmp_seq={i + 1} ttl=57 "
        "time=12.0 ms\n"
        for i in range(60)
    )

    evidence = read_evidence(text)

    assert evidence.readable
    assert evidence.failures == 0
    assert not evidence.covers(utc(2026, 3, 10, 20), utc(2026, 3, 10, 21))
    assert evidence.summary(utc(2026, 3, 10, 20), utc(2026, 3, 10, 21)) == (
        "ping to 203.0.113.10: 60 probes 2026-03-10 20:00:00-20:00:59 UTC, no failures;"
        " no failures inside the claimed period"
    )


# --- DNS ----------------------------------------------------------------------------------


DIG_TIMEOUT = """
; <<>> DiG 9.16.1-Ubuntu <<>> @198.51.100.53 mail.example.com
; (1 server found)
;; global options: +cmd
;; connection timed out; no servers could be reached
"""

DIG_ANSWER = """
; <<>> DiG 9.16.1-Ubuntu <<>> @198.51.100.53 mail.example.com
; (1 server found)
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 5071
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1

;; ANSWER SECTION:
mail.example.com.	300	IN	A	203.0.113.10

;; Query time: 12 msec
;; SERVER: 198.51.100.53#53(198.51.100.53)
;; WHEN: Tue Mar 10 20:05:00 UTC 2026
;; MSG SIZE  rcvd: 61
"""


def test_dig_timeout_without_a_date_takes_the_next_when():
    evidence = read_evidence(DIG_TIMEOUT + DIG_ANSWER)

    assert [(o.at, o.outcome) for o in evidence.observations] == [
        (utc(2026, 3, 10, 20, 5), "timeout"),
        (utc(2026, 3, 10, 20, 5), "dns-answer"),
    ]
    assert "1 timeout without a time of its own given the next WHEN" in evidence.notes


def test_dig_timeout_with_no_time_anywhere_is_left_out():
    evidence = read_evidence(DIG_ANSWER + DIG_TIMEOUT)

    assert [o.outcome for o in evidence.observations] == ["dns-answer"]
    assert "1 result without a time left out" in evidence.notes


def test_dig_noerror_without_answers_is_a_failure():
    text = DIG_ANSWER.replace("ANSWER: 1", "ANSWER: 0")

    evidence = read_evidence(text)

    assert [(o.ok, o.outcome) for o in evidence.observations] == [(False, "no-answer")]


def test_dig_when_in_an_unknown_zone_is_read_in_the_claimants_timezone():
    text = DIG_ANSWER.replace("20:05:00 UTC", "21:05:00 XYZ")

    evidence = read_evidence(text, tz=BERLIN)

    assert evidence.first_at == utc(2026, 3, 10, 20, 5)
    assert "zone abbreviation XYZ not known: read in Europe/Berlin" in evidence.notes


def test_dig_with_the_type_first_and_options():
    text = DIG_ANSWER.replace("<<>> @198.51.100.53 mail.example.com", "<<>> MX +tcp example.org")

    assert read_evidence(text).target == "example.org MX"


def test_nslookup_result_takes_an_iso_date_line():
    text = (
        "2026-03-10T16:00:00-04:00\n"
        "Server:\t\t127.0.0.53\n"
        "Address:\t127.0.0.53#53\n"
        "\n"
        "** server can't find mail.example.com: REFUSED\n"
        "\n"
        "2026-03-10T16:01:00-04:00\n"
        "*** Can't find mail.example.com: No answer\n"
    )

    evidence = read_evidence(text)

    assert [(o.at, o.outcome) for o in evidence.observations] == [
        (utc(2026, 3, 10, 20, 0), "refused-dns"),
        (utc(2026, 3, 10, 20, 1), "no-answer"),
    ]
    assert evidence.notes == ()


def test_nslookup_target_comes_from_the_command_line():
    text = (
        "$ date; nslookup -type=mx example.com\n"
        "Tue Mar 10 20:00:00 UTC 2026\n"
        "Server:\t\t127.0.0.53\n"
        "Address:\t127.0.0.53#53\n"
        "\n"
        "Non-authoritative answer:\n"
        "example.com\tmail exchanger = 10 mail.example.com.\n"
    )

    evidence = read_evidence(text)

    assert evidence.target == "example.com MX"
    assert [o.outcome for o in evidence.observations] == ["dns-answer"]


# --- telnet and nc ------------------------------------------------------------------------


def test_telnet_failure_on_one_address_then_another_is_one_attempt():
    evidence = sample("telnet_refused.txt")

    third = evidence.within(utc(2026, 3, 10, 20, 6), utc(2026, 3, 10, 20, 7))
    assert [o.outcome for o in third] == ["connection-refused"]
    assert evidence.notes == (
        "not counted: 1 failure on one address where the same attempt went on to another",
    )


def test_telnet_no_route_alone_is_a_failure():
    text = (
        "Tue Mar 10 20:00:00 UTC 2026\n"
        "Trying 203.0.113.10...\n"
        "telnet: connect to address 203.0.113.10: No route to host\n"
        "Tue Mar 10 20:01:00 UTC 2026\n"
        "Trying 203.0.113.10...\n"
        "telnet: connect to address 203.0.113.10: No route to host\n"
    )

    evidence = read_evidence(text)

    assert [o.outcome for o in evidence.observations] == ["no-route", "no-route"]


def test_bsd_telnet_without_a_reason_takes_the_last_address_reason():
    text = (
        "[2026-03-10 20:00:00] Trying 127.0.0.1...\n"
        "[2026-03-10 20:00:00] telnet: connect to address 127.0.0.1: Connection refused\n"
        "[2026-03-10 20:00:00] Trying ::1...\n"
        "[2026-03-10 20:00:00] telnet: connect to address ::1: Connection refused\n"
        "[2026-03-10 20:00:00] telnet: Unable to connect to remote host\n"
    )

    evidence = read_evidence(text)

    assert [o.outcome for o in evidence.observations] == ["connection-refused"]


def test_nc_failing_on_ipv6_then_connecting_on_ipv4_is_one_success():
    text = (
        "Tue Mar 10 20:00:00 UTC 2026\n"
        "nc: connect to mail.example.com (2001:db8::10) port 25 (tcp) failed: Network is"
        " unreachable\n"
        "Connection to mail.example.com (203.0.113.10) 25 port [tcp/smtp] succeeded!\n"
    )

    evidence = read_evidence(text)

    assert [(o.ok, o.outcome) for o in evidence.observations] == [(True, "connected")]


def test_nc_loop_without_date_lines_keeps_every_run():
    failed = (
        "nc: connect to mail.example.com (2001:db8::10) port 25 (tcp) timed out:"
        " Operation now in progress\n"
        "nc: connect to mail.example.com (203.0.113.10) port 25 (tcp) failed:"
        " Connection refused\n"
    )
    text = "".join(
        "".join(f"Mar 10 20:0{minute}:0{i} {line}\n" for i, line in enumerate(failed.splitlines()))
        for minute in range(3)
    )

    evidence = read_evidence(text, year=2026)

    assert [(o.at.minute, o.outcome) for o in evidence.observations] == [
        (0, "connection-refused"),
        (1, "connection-refused"),
        (2, "connection-refused"),
    ]


def test_nc_unknown_host_and_ncat():
    text = (
        "Tue Mar 10 20:00:00 UTC 2026\n"
        'nc: getaddrinfo for host "mail.example.com" port 25: Name or service not known\n'
        "Tue Mar 10 20:01:00 UTC 2026\n"
        "Ncat: Version 7.92 ( https://nmap.org/ncat )\n"
        "Ncat: TIMEOUT.\n"
        "Tue Mar 10 20:02:00 UTC 2026\n"
        "Ncat: Version 7.92 ( https://nmap.org/ncat )\n"
        "Ncat: Connected to 203.0.113.10:25.\n"
        "Ncat: 0 bytes sent, 0 bytes received in 0.02 seconds.\n"
    )

    evidence = read_evidence(text)

    assert evidence.format == "nc"
    assert evidence.target == "mail.example.com:25"
    assert [o.outcome for o in evidence.observations] == [
        "unknown-host",
        "connection-timeout",
        "connected",
    ]
    assert evidence.notes == ("also tried: 203.0.113.10:25",)


def test_nc_all_successes_is_readable_and_covers_nothing():
    evidence = sample("nc_success.txt")

    assert evidence.readable
    assert (evidence.format, evidence.target, evidence.failures) == ("nc", "mail.example.com:25", 0)
    assert not evidence.covers(utc(2026, 3, 10, 19), utc(2026, 3, 10, 21))


# --- files that prove nothing -------------------------------------------------------------


def test_prose_complaint_is_unread():
    evidence = sample("proves_nothing.txt")

    assert not evidence.readable
    assert (evidence.kind, evidence.format, evidence.observations) == (None, "unknown", ())
    assert evidence.notes == (
        "no ping, fping, mtr, hping3, tcptraceroute, curl, DNS lookup (dig, host, nslookup,"
        " drill, kdig), telnet or nc output found",
    )
    assert not evidence.covers(utc(2026, 3, 9), utc(2026, 3, 11))


def test_config_file_is_unread():
    assert not sample("config_file.txt").readable


@pytest.mark.parametrize("data", [b"", "", "  \n\r\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_file_is_unread(data):
    evidence = read_evidence(data)

    assert not evidence.readable
    assert evidence.notes == ("the file is empty",)
    assert evidence.summary() == "unreadable: the file is empty"
    assert (evidence.first_at, evidence.last_at, evidence.failures) == (None, None, 0)


def test_pdf_is_unread():
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n" + bytes(
        range(256)
    )

    evidence = read_evidence(pdf)

    assert not evidence.readable
    assert evidence.notes == ("a PDF: only plain-text tool output can be read",)


def test_binary_file_is_unread():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4

    evidence = read_evidence(png)

    assert not evidence.readable
    assert evidence.notes == ("not a text file: only plain-text tool output can be read",)


# --- decoding and time --------------------------------------------------------------------


LINE = "[2026-03-10 21:00:00] Reply from 203.0.113.10: bytes=32 time=12ms TTL=57\r\n"


@pytest.mark.parametrize(
    "data",
    [
        LINE.encode("utf-8"),
        b"\xef\xbb\xbf" + LINE.encode("utf-8"),
        b"\xff\xfe" + LINE.encode("utf-16-le"),
        b"\xfe\xff" + LINE.encode("utf-16-be"),
        LINE.encode("utf-16-le"),
        LINE,
    ],
    ids=["utf-8", "utf-8 BOM", "utf-16le BOM", "utf-16be BOM", "utf-16le bare", "str"],
)
def test_encodings_read_alike(data):
    evidence = read_evidence(data, tz=BERLIN)

    assert evidence.first_at == utc(2026, 3, 10, 20)
    assert evidence.observations[0].detail == LINE.strip()


def test_latin1_file_is_read_with_a_note():
    text = "10.03.2026 21:00:05 - Zeitüberschreitung der Anforderung.\r\n"

    evidence = read_evidence(text.encode("cp1252"), tz=BERLIN)

    assert evidence.observations[0].outcome == "timeout"
    assert "not UTF-8: read as Latin-1" in evidence.notes


def test_time_in_the_repeated_hour_is_read_as_the_first_with_a_note():
    # Berlin's clocks went back at 03:00 CEST on 2026-10-25: 02:30 happened twice.
    evidence = read_evidence(
        "[2026-10-25 02:30:00] Reply from 203.0.113.10: bytes=32 time=12ms TTL=57", tz=BERLIN
    )

    assert evidence.first_at == utc(2026, 10, 25, 0, 30)
    assert (
        "1 local time in the hour repeated when clocks went back: read as the first"
        in evidence.notes
    )


def test_time_in_the_skipped_hour_is_read_with_the_offset_before_with_a_note():
    # Berlin's clocks went forward at 02:00 CET on 2026-03-29: 02:30 never happened.
    evidence = read_evidence("[2026-03-29 02:30:00] Request timed out.", tz=BERLIN)

    assert evidence.first_at == utc(2026, 3, 29, 1, 30)
    assert any("skipped when clocks went forward" in note for note in evidence.notes)


def test_explicit_offsets_and_epochs_ignore_the_claimants_timezone():
    text = (
        "2026-03-10T20:00:00Z Request timed out.\n"
        "2026-03-10T21:00:01+01:00 Request timed out.\n"
        "Tue, 10 Mar 2026 15:00:02 -0500\n"
        "Request timed out.\n"
    )

    evidence = read_evidence(text, tz=CHICAGO)

    assert [o.at for o in evidence.observations] == [utc(2026, 3, 10, 20, 0, s) for s in (0, 1, 2)]
    assert not any("read in" in note for note in evidence.notes)


def test_dates_without_a_year_take_this_year_in_utc():
    with time_machine.travel(utc(2027, 1, 15, 12), tick=False):
        evidence = read_evidence("Mar 10 20:00:01 Request timed out.")

    assert evidence.first_at == utc(2027, 3, 10, 20, 0, 1)
    assert "year 2027 assumed for dates without one" in evidence.notes


def test_a_ts_log_across_new_year_moves_to_the_next_year():
    text = "Dec 31 23:59:59 Request timed out.\nJan  1 00:00:00 Request timed out.\n"

    evidence = read_evidence(text, year=2026)

    assert [o.at for o in evidence.observations] == [
        utc(2026, 12, 31, 23, 59, 59),
        utc(2027, 1, 1, 0, 0, 0),
    ]


def test_slash_dates_with_24_hour_times_are_day_first():
    evidence = read_evidence("10/03/2026 20:00:00 - Request timed out.")

    assert evidence.first_at == utc(2026, 3, 10, 20)
    assert "dates like 10/03/2026 read as day/month/year" in evidence.notes


def test_other_date_line_forms():
    lines = [
        "Tue Mar 10 04:00:01 PM EDT 2026",  # GNU date in en_US
        "Tue 10 Mar 20:00:02 GMT 2026",  # GNU date in en_GB
        "Tuesday, March 10, 2026 3:00:03 PM",  # PowerShell Get-Date, en-US, in Chicago
        "Tue 03/10/2026 15:00:04.27",  # cmd: echo %date% %time%, en-US, in Chicago
    ]
    text = "".join(f"{line}\nRequest timed out.\n" for line in lines)

    evidence = read_evidence(text, tz=CHICAGO)

    assert [o.at for o in evidence.observations] == [
        utc(2026, 3, 10, 20, 0, 1),
        utc(2026, 3, 10, 20, 0, 2),
        utc(2026, 3, 10, 20, 0, 3),
        utc(2026, 3, 10, 20, 0, 4, 270000),
    ]


# --- the result type ----------------------------------------------------------------------


def test_within_is_half_open():
    evidence = sample("dig_servfail.txt")
    servfail = utc(2026, 2, 10, 19, 0, 1)

    assert evidence.within(servfail, servfail + timedelta(seconds=1))[0].outcome == "servfail"
    assert evidence.within(servfail - timedelta(minutes=1), servfail) == ()
    assert not evidence.covers(servfail - timedelta(minutes=1), servfail)


def test_summary_counts_failures_inside_the_period_only():
    evidence = sample("linux_ping_D_O_outage.txt")

    assert evidence.summary(utc(2026, 3, 10, 20, 0, 5), utc(2026, 3, 10, 21)) == (
        "ping to mail.example.com: 20 probes 2026-03-10 19:59:55-20:00:14 UTC, 10 timeouts;"
        " failing from 2026-03-10 20:00:01 to 20:00:10 UTC, 9 s, 10 timeouts; answering before"
        " and after; 6 failures inside the claimed period"
    )


def test_summary_names_both_days_when_the_file_spans_midnight():
    text = "[2026-03-10 23:59:59] Request timed out.\n[2026-03-11 00:00:00] Request timed out.\n"

    assert read_evidence(text).summary() == (
        "ping to unknown target: 2 probes 2026-03-10 23:59:59-2026-03-11 00:00:00 UTC, 2 timeouts;"
        " failing from 2026-03-10 23:59:59 to 2026-03-11 00:00:00 UTC, 1 s, 2 timeouts; not"
        " answering at any time in the file"
    )


def test_from_dict_normalises_offsets_to_utc():
    stored = sample("nc_timeout.txt").to_dict()
    stored["observations"][0]["at"] = "2026-03-10T15:59:00-04:00"

    evidence = Evidence.from_dict(stored)

    assert evidence.first_at == utc(2026, 3, 10, 19, 59)
    assert evidence.first_at.tzinfo is UTC


def test_unread_evidence_round_trips():
    evidence = read_evidence(b"%PDF-1.4 ...")

    assert Evidence.from_dict(json.loads(json.dumps(evidence.to_dict()))) == evidence


def test_observation_refuses_a_naive_instant():
    with pytest.raises(ValueError):
        Observation(datetime(2026, 3, 10, 20), False, "timeout")  # noqa: DTZ001


# --- size and robustness ------------------------------------------------------------------


def test_ten_megabyte_ping_log_is_read_whole():
    # 24 hours at one probe a second with a loss every 20th, ~10 MB. No timing asserted:
    # the machine's cores are shared.
    lines = ["PING mail.example.com (203.0.113.10) 56(84) bytes of data."]
    seq = 0
    for i in range(118_000):
        seq = seq % 65535 + 1
        if i % 20:
            lines.append(
                f"[{1773100800 + i}.{i % 1000:03d}123] 64 bytes from mail.example.com "
                f"(203.0.113.10): icmp_seq={seq} ttl=57 time=12.{i % 10} ms"
            )
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 10_000_000

    evidence = read_evidence(data)

    assert evidence.failures == 5_900
    assert len(evidence.observations) == 118_000


FRAGMENTS = [
    "PING mail.example.com (203.0.113.10) 56(84) bytes of data.",
    "[1773172801.123456] 64 bytes from 203.0.113.10: icmp_seq=1 ttl=57 time=12.3 ms",
    "[1773172803.125000] no answer yet for icmp_seq=3",
    "[9999999999.9] From 192.0.2.1 icmp_seq=99999999999 Destination Host Unreachable",
    "1 packets transmitted, 0 received, 100% packet loss, time 0ms",
    "3/10/2026 2:00:01 PM - Request timed out.",
    "13/13/2026 25:61:61 PM - Reply from 192.0.2.1: Destination host unreachable.",
    "Tue Mar 10 14:00:01 EST 2026",
    "Tue Feb 30 14:00:01 ZZZZ 0000",
    "; <<>> DiG 9.18.1 <<>> -x",
    ";; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 1",
    ";; WHEN: Sun Oct 25 02:30:00 2026",
    ";; connection timed out; no servers could be reached",
    "** server can't find : ",
    "Server: x",
    "Name: ",
    "$ telnet",
    "telnet: connect to address : ",
    "Connection to h (a) 25 port [tcp/smtp] succeeded!",
    "nc: connect to h (b) port 25 (tcp) timed out: x",
    "Ncat: ",
    "Mar 31 24:00:00 ",
    "[2026-03-29 02:30:00] ",
    "",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=3000),
        st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=60).map(
            "\n".join
        ),
    ),
    tz=st.sampled_from([UTC, BERLIN, CHICAGO, ZoneInfo("Australia/Lord_Howe")]),
    year=st.one_of(st.none(), st.integers(min_value=1, max_value=9999)),
)
def test_reader_never_raises(data, tz, year):
    evidence = read_evidence(data, tz=tz, year=year)

    assert "the file could not be read (internal error)" not in evidence.notes
    assert Evidence.from_dict(json.loads(json.dumps(evidence.to_dict()))) == evidence
    assert evidence.readable == bool(evidence.observations)
    assert all(o.at.utcoffset() == timedelta(0) for o in evidence.observations)
    evidence.summary(utc(2026, 3, 10), utc(2026, 3, 11))
