"""Every refused multi-file action stores nothing: no row and no file on disk. An attachment
over the size limit is a field error naming the file, on the pages and the API, never a
silent `"files": []`."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims import services
from claims.models import ClaimState, Message, MessageFile, Proof
from tests.claims.conftest import END, NOW, START, ping_log, stored_files, upload

pytestmark = pytest.mark.django_db

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 500


@pytest.fixture
def asked(nora, cedar_exchange, reviewer_user):
    """A claim with one proof, waiting for the claimant's answer."""
    claim = services.file_claim(
        by=nora,
        data=services.ClaimInput(
            subscriptions=(cedar_exchange,),
            period_start=START,
            period_end=END,
            basis="Exchange down.",
            representation=True,
        ),
        uploads=[(upload(), "ping")],
        now=NOW,
    )
    services.request_info(claim=claim, by=reviewer_user, question="A longer log?")
    return claim


def nothing_new_stored(claim, files_before):
    claim.refresh_from_db()
    assert claim.state == ClaimState.INFO_REQUESTED
    assert claim.proofs.count() == 1
    assert not Message.objects.filter(claim=claim, kind="answer").exists()
    assert stored_files() == files_before


def test_a_refused_answer_leaves_its_good_files_nowhere(asked, nora):
    before = stored_files()
    with pytest.raises(services.ClaimRefused):
        services.answer_info(
            claim=asked,
            by=nora,
            body="Here are two logs.",
            uploads=[(upload("good.txt"), "ping"), (upload("tool.pdf", ELF), "")],
        )
    nothing_new_stored(asked, before)


def test_an_answer_over_the_claims_size_cap_stores_nothing(asked, nora, settings):
    settings.PROOF_MAX_CLAIM_MB = 1
    big = ping_log() * (600 * 1024 // len(ping_log()))  # ~600 KB each: the second passes 1 MB
    before = stored_files()
    with pytest.raises(services.ClaimRefused) as refused:
        services.answer_info(
            claim=asked,
            by=nora,
            body="Two long logs.",
            uploads=[(upload("one.txt", big), "ping"), (upload("two.txt", big), "ping")],
        )
    assert "file" in refused.value.errors
    nothing_new_stored(asked, before)


def test_an_answer_to_no_open_question_stores_its_files_nowhere(asked, nora, reviewer_user):
    services.answer_info(claim=asked, by=nora, body="First answer.")
    before = stored_files()
    with pytest.raises(services.ClaimRefused):
        services.answer_info(claim=asked, by=nora, body="Again", uploads=[(upload(), "ping")])
    assert stored_files() == before
    assert Proof.objects.filter(claim=asked).count() == 1


def test_a_refused_answer_on_the_page_stores_nothing(asked, nora):
    client = Client()
    client.force_login(nora)
    before = stored_files()
    response = client.post(
        reverse("claims:answer", args=[asked.pk]),
        {
            "answer-body": "Logs attached.",
            "answer-file-TOTAL_FORMS": "2",
            "answer-file-INITIAL_FORMS": "0",
            "answer-file-0-file": upload("good.txt"),
            "answer-file-0-kind": "ping",
            "answer-file-1-file": upload("tool.pdf", ELF),
            "answer-file-1-kind": "",
        },
        follow=True,
    )
    assert "This file is a program, not a proof" in response.content.decode()
    nothing_new_stored(asked, before)


def test_an_oversize_answer_file_on_the_api_is_a_400_naming_it(asked, nora, settings):
    settings.PROOF_MAX_FILE_MB = 1
    api = APIClient()
    api.force_authenticate(nora)
    before = stored_files()

    response = api.post(
        f"/api/v1/claims/{asked.pk}/answer/",
        {"body": "The log.", "file": SimpleUploadedFile("huge-ping.txt", b"x" * (2 * 1024 * 1024))},
        format="multipart",
    )

    assert response.status_code == 400, response.content
    assert response.json()["file"] == [
        "huge-ping.txt: This file is too large: the limit is 1 MB per file."
    ]
    # The claim stays with the claimant, without an answer that lost its proof.
    nothing_new_stored(asked, before)


def test_an_oversize_message_file_on_the_api_is_a_400_naming_it(asked, nora, settings):
    settings.PROOF_MAX_FILE_MB = 1
    api = APIClient()
    api.force_authenticate(nora)

    response = api.post(
        f"/api/v1/claims/{asked.pk}/messages/",
        {"body": "See attached.", "file": SimpleUploadedFile("scan.txt", b"x" * (2 * 1024 * 1024))},
        format="multipart",
    )

    assert response.status_code == 400, response.content
    assert "scan.txt" in response.json()["file"][0]
    assert not Message.objects.filter(claim=asked, kind="message").exists()
    assert not MessageFile.objects.exists()


def test_an_oversize_message_file_on_the_page_names_it(asked, nora, settings):
    settings.PROOF_MAX_FILE_MB = 1
    client = Client()
    client.force_login(nora)
    response = client.post(
        reverse("claims:message-post", args=[asked.pk]),
        {
            "message-body": "See attached.",
            "message-file": SimpleUploadedFile("scan.txt", b"x" * (2 * 1024 * 1024)),
        },
        follow=True,
    )
    assert "scan.txt: This file is too large" in response.content.decode()
    assert not Message.objects.filter(claim=asked, kind="message").exists()
    assert not MessageFile.objects.exists()
