"""Proof uploads through the API, end to end: attacks are refused with a clear message and
leave nothing behind; what is accepted is kept privately and read."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from claims import services
from claims.models import Proof
from tests.claims.conftest import END, START, ping_log, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(alice, acme_email):
    return services.save_draft(
        by=alice,
        data=services.ClaimInput(
            subscriptions=(acme_email,), period_start=START, period_end=END, basis="Down."
        ),
    )


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def post(api, claim, name, content, kind=""):
    return api.post(
        f"/api/v1/claims/{claim.pk}/proofs/",
        {"file": SimpleUploadedFile(name, content), "kind": kind},
        format="multipart",
    )


def refused(response, status, words):
    assert response.status_code == status, response.content
    assert words in response.json()["file"][0]
    assert Proof.objects.count() == 0
    assert stored_files() == []


def test_oversize_file_is_refused(api, draft, settings):
    settings.PROOF_MAX_FILE_MB = 1
    response = post(api, draft, "big.txt", b"x" * (2 * 1024 * 1024))
    refused(response, 413, "too large")


def test_executable_renamed_pdf_is_refused(api, draft):
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 500
    refused(post(api, draft, "proof.pdf", elf), 400, "This file is a program, not a proof")


def test_html_with_a_png_header_is_refused(api, draft):
    fake = b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"
    response = post(api, draft, "screenshot.png", fake)
    assert response.status_code == 400
    assert Proof.objects.count() == 0 and stored_files() == []


def test_zip_archive_is_refused(api, draft):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ping.txt", ping_log())
    refused(post(api, draft, "logs.zip", buffer.getvalue()), 400, "Archives are not accepted")


def test_path_in_the_name_never_reaches_storage(api, draft):
    response = post(api, draft, "../../etc/ping.txt", ping_log())
    # Django's multipart parser keeps only the last path part; the stored name is the server's.
    assert response.status_code == 201, response.json()
    proof = Proof.objects.get()
    assert proof.display_name == "ping.txt"
    assert proof.file.name.startswith("proofs/") and ".." not in proof.file.name


def test_a_file_the_portal_cannot_read_is_kept_and_marked_unread(api, draft):
    response = post(api, draft, "notes.txt", b"Our staff could not log in all afternoon.\n")
    assert response.status_code == 201
    assert response.json()["read"] is False
    assert response.json()["kind"] == "other"
    assert stored_files() == [Proof.objects.get().file.name]


def test_a_large_log_is_stored_compact_but_summarised_whole(api, draft):
    # 20,000 probes at 1 s: 10,000 replies, then the outage.
    start = START - dt.timedelta(seconds=10_000)
    log = ping_log(start=START, end=START + dt.timedelta(seconds=10_000)).decode()
    lines = [log.splitlines()[0]]
    for i in range(20_000):
        instant = start + dt.timedelta(seconds=i)
        stamp = f"[{instant.timestamp():.6f}]"
        if instant < START:
            lines.append(f"{stamp} 64 bytes from 203.0.113.10: icmp_seq={i + 1} ttl=57 time=9 ms")
        else:
            lines.append(f"{stamp} no answer yet for icmp_seq={i + 1}")
    response = post(api, draft, "long.txt", ("\n".join(lines) + "\n").encode())
    assert response.status_code == 201, response.json()
    proof = Proof.objects.get()
    assert "observations" not in proof.evidence  # compact: episodes, not probes
    assert [e["probes"] for e in proof.evidence["episodes"]] == [10_000, 10_000]
    assert "20000 probes" in proof.evidence_summary or "20,000 probes" in proof.evidence_summary
    assert "failing inside the claimed period from" in proof.evidence_summary
