"""A claim with many long proofs costs about what an ordinary claim does: stored evidence is
compact (episodes, not probes), the claim and review pages make the same queries and draw
episodes, each reading is rebuilt once per view, and an upload is read line by line."""

import datetime as dt
import io
import json
import re
import tracemalloc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.evidence import Evidence, read_evidence, read_evidence_file
from claims.models import Proof
from tests.claims.conftest import END, NOW, START, ping_log, upload

SAMPLES = Path(__file__).parent / "samples"
PROOFS = 20
LINES = 5_000


def long_log(n, lines=LINES):
    """`ping -D` at one probe a second from 20 minutes before the claimed period: replies, an
    outage of 10 minutes starting n minutes into the period, replies again."""
    first = START - dt.timedelta(minutes=20)
    out_from = START + dt.timedelta(minutes=n)
    out_to = out_from + dt.timedelta(minutes=10)
    rows = ["PING mail.acme-dental.example (203.0.113.10) 56(84) bytes of data."]
    for i in range(1, lines):
        at = first + dt.timedelta(seconds=i)
        stamp = f"[{at.timestamp():.6f}]"
        seq = i % 65536  # as iputils ping counts: from 1, wrapping from 65535 to 0
        if out_from <= at < out_to:
            rows.append(f"{stamp} no answer yet for icmp_seq={seq}")
        else:
            rows.append(
                f"{stamp} 64 bytes from 203.0.113.10: icmp_seq={seq} ttl=57 time=12.{i % 9} ms"
            )
    return ("\n".join(rows) + "\n").encode()


class RefusesWholeReads(io.BytesIO):
    """A file that fails the test if anyone reads it whole."""

    def read(self, size=-1):
        if size is None or size < 0:
            raise AssertionError("the proof was read whole")
        return super().read(size)

    def read1(self, size=-1):
        if size is None or size < 0:
            raise AssertionError("the proof was read whole")
        return super().read1(size)

    def readlines(self, hint=-1):
        raise AssertionError("the proof was read whole")


def streamed_upload(name, data):
    return InMemoryUploadedFile(
        RefusesWholeReads(data), "file", name, "text/plain", len(data), None
    )


# --- reading as it streams -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.txt")) + ["ten-megabytes"])
def test_a_file_read_line_by_line_reads_as_the_whole_bytes_do(name):
    if name == "ten-megabytes":
        data = long_log(0, lines=100_000)
    else:
        data = (SAMPLES / name).read_bytes()
    whole = read_evidence(data, year=2026)

    streamed = read_evidence_file(RefusesWholeReads(data), year=2026)

    assert streamed == whole
    assert streamed.episodes == whole.episodes


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "the file is empty"),
        (b"\n \n\t\n", "the file is empty"),
        (b"%PDF-1.7\n...", "a PDF"),
        ("PING x (192.0.2.1) 56(84) bytes of data.\n".encode("utf-16"), None),
        ("Pinging h\u00f6st\n".encode("latin-1"), None),
    ],
)
def test_odd_files_read_line_by_line_as_the_whole_bytes_do(data, why):
    streamed = read_evidence_file(RefusesWholeReads(data))
    assert streamed == read_evidence(data)
    if why:
        assert why in streamed.notes[0]


def test_a_ten_megabyte_log_is_read_in_bounded_memory():
    data = long_log(0, lines=125_000)
    assert len(data) > 10_000_000
    handle = io.BytesIO(data)

    tracemalloc.start()
    try:
        evidence = read_evidence_file(handle)
        compact = evidence.compact()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    # Measured: 48.6 MB for these 10.3 MB, nearly all of it one Observation per probe held by
    # the readers; the whole-bytes read upload used to make peaked at 60 MB here (the bytes,
    # their text and its list of lines on top of the same observations).
    assert peak < 5 * len(data)
    assert [e["probes"] for e in compact["episodes"]] == [1199, 600, 123_200]


@pytest.mark.django_db
def test_an_upload_is_read_from_its_file_line_by_line_and_stored_compact(alice, acme_email):
    claim = services.save_draft(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(acme_email,), period_start=START, period_end=END, basis="Down."
        ),
    )
    data = long_log(10)

    proof = services.attach_proof(claim=claim, by=alice, uploaded=streamed_upload("l.txt", data))

    stored = json.dumps(Proof.objects.get(pk=proof.pk).evidence)
    full = json.dumps(read_evidence(data).to_dict())
    assert len(full) > 800_000
    assert len(stored) < 3_000  # 3 episodes, their counts and the lines that show them
    assert proof.evidence["compact"] == 1
    assert [e["lines"] for e in proof.evidence["episodes"]] == [
        [2, 1800],
        [1801, 2400],
        [2401, 5000],
    ]


# --- the pages of a claim with 20 proofs x 5,000 lines --------------------------------------


@pytest.fixture
def big_claim(db, alice, acme_email):
    return services.file_claim(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(acme_email,), period_start=START, period_end=END, basis="Down."
        ),
        uploads=[(upload(f"ping-{n:02d}.txt", long_log(n)), "ping") for n in range(PROOFS)],
        now=NOW,
    )


@pytest.fixture
def ordinary_claim(db, nora, cedar_exchange):
    return services.file_claim(
        by=nora,
        data=services.ClaimInput(
            subscriptions=(cedar_exchange,),
            period_start=START,
            period_end=END,
            basis="Down.",
            representation=True,
        ),
        uploads=[(upload("ping.txt", ping_log()), "ping")],
        now=NOW,
    )


def measured(client, path, monkeypatch):
    rebuilt = []
    from_dict = Evidence.from_dict.__func__

    def counting(cls, d):
        rebuilt.append(1)
        return from_dict(cls, d)

    monkeypatch.setattr(Evidence, "from_dict", classmethod(counting))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    return len(queries), len(html), len(re.findall(r"<rect ", html)), len(rebuilt)


@pytest.mark.parametrize("view", ["claims:detail", "claims:review"])
def test_a_claim_with_20_long_proofs_costs_about_an_ordinary_claims_page(
    view, big_claim, ordinary_claim, alice, nora, reviewer_user, monkeypatch
):
    def client_for(user):
        client = Client()
        client.force_login(user)
        return client

    big_user = reviewer_user if view == "claims:review" else alice
    small_user = reviewer_user if view == "claims:review" else nora
    big = measured(client_for(big_user), reverse(view, args=[big_claim.pk]), monkeypatch)
    small = measured(client_for(small_user), reverse(view, args=[ordinary_claim.pk]), monkeypatch)
    big_queries, big_bytes, big_rects, big_rebuilt = big
    small_queries, small_bytes, _, small_rebuilt = small

    # The same queries whatever the number of proofs (a few more never scale with them).
    assert big_queries <= small_queries + 3, (big_queries, small_queries)
    # A proof adds its row to the table and the timeline, whatever its length: ~1.2 KB here
    # for 5,000 lines (the page was 1.8 MB).
    assert big_bytes <= small_bytes + PROOFS * 1_600, (big_bytes, small_bytes)
    # Episodes, not probes: a handful of bars a proof (it was ~20,000 rects).
    assert big_rects <= 10 + 5 * PROOFS, big_rects
    # Each stored reading is rebuilt once per view.
    assert big_rebuilt == PROOFS and small_rebuilt == 1


@pytest.mark.django_db
def test_the_migration_compacts_rows_stored_with_every_probe(alice, acme_email):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("claims.migrations.0009_compact_proof_evidence")
    claim = services.save_draft(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(acme_email,), period_start=START, period_end=END, basis="Down."
        ),
    )
    proof = services.attach_proof(claim=claim, by=alice, uploaded=upload("l.txt", long_log(10)))
    full = read_evidence(long_log(10)).to_dict()
    Proof.objects.filter(pk=proof.pk).update(evidence=full)  # as stored before compacting

    migration.compact(apps, None)

    stored = Proof.objects.get(pk=proof.pk).evidence
    assert stored == read_evidence(long_log(10)).compact()
    assert len(json.dumps(stored)) < 3_000
