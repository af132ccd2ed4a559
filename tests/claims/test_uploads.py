"""Proof intake: what is accepted, what is refused and in which words, how proofs are stored and
served, and how uploads arrive. Every attack sample is built here, in memory or under tmp_path."""

import codecs
import gzip
import hashlib
import io
import os
import re
import struct
import tarfile
import tracemalloc
import zipfile
import zlib

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    SimpleUploadedFile,
    TemporaryUploadedFile,
)
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import JsonResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from PIL import Image, ImageDraw

from claims.uploads import (
    ACCEPTED_TYPES,
    Inspected,
    ProofRejected,
    StreamingUploadHandlers,
    clean_display_name,
    inspect_upload,
    proof_download_response,
    rejected_uploads,
    server_name,
    store,
)

MB = 1024 * 1024
TEN_MB = 10 * MB

PROGRAM = (
    "This file is a program, not a proof: attach ping, DNS or telnet output as text, a PDF or a "
    "screenshot."
)
ARCHIVE = "Archives are not accepted: attach each log, PDF or screenshot on its own."
MARKUP = "HTML and other markup is not accepted: save the test output as plain text (.txt)."
NOT_ACCEPTED = "This kind of file is not accepted: attach plain text, PDF, PNG or JPEG."
BAD_IMAGE = (
    "This image is damaged or is not really a PNG or JPEG: save the screenshot again as PNG or "
    "JPEG and attach the new file."
)
BAD_PDF = (
    "This PDF is incomplete or damaged: save or print it as PDF again and attach the new file."
)
EMPTY = "This file is empty: check that you picked the right file and attach it again."
PATH_IN_NAME = (
    'The file name contains a folder path ("/", "\\" or ".."): attach the file under its own '
    "name only."
)
CONTROL_IN_NAME = (
    "The file name contains invisible control characters: rename the file and attach it again."
)


# --- Samples ---------------------------------------------------------------------------------


def ping_log(lines=20):
    out = ["PING mail.acme-dental.example (203.0.113.10) 56(84) bytes of data."]
    for seq in range(1, lines + 1):
        out.append(f"64 bytes from 203.0.113.10: icmp_seq={seq} ttl=57 time=12.3 ms")
    return ("\n".join(out) + "\n").encode()


def powershell_log(lines=3000):
    """`Test-Connection ... > ping.txt` in Windows PowerShell 5: UTF-16LE, BOM, CRLF."""
    rows = ["", "Pinging mail.acme-dental.example [203.0.113.10] with 32 bytes of data:"]
    rows += ["Reply from 203.0.113.10: bytes=32 time=12ms TTL=57"] * lines
    return codecs.BOM_UTF16_LE + "\r\n".join(rows).encode("utf-16-le")


def minimal_pdf():
    """A one-page PDF with a cross-reference table whose offsets are right."""
    text = b"BT /F1 12 Tf 20 50 Td (mail.acme-dental.example down 19:00-19:47 UTC) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def screenshot(image_format):
    image = Image.new("RGB", (320, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 310, 40), outline="black")
    draw.text((16, 18), "Request timed out.", fill="red")
    out = io.BytesIO()
    image.save(out, format=image_format)
    return out.getvalue()


def elf_executable():
    ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
    header = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    return ident + header + b"\x00" * 64


def pe_executable():
    dos = b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 42
    dos += struct.pack("<I", 0x80) + b"This program cannot be run in DOS mode.\r\r\n$"
    return dos.ljust(0x80, b"\x00") + b"PE\x00\x00" + b"\x64\x86" + b"\x00" * 18


def png_with_bad_crc():
    png = bytearray(screenshot("PNG"))
    idat = png.index(b"IDAT")
    png[idat + 10] ^= 0xFF  # one flipped byte inside the image data; its CRC no longer matches
    return bytes(png)


def png_claiming(width, height):
    """A PNG header for a huge canvas: cheap to send, expensive to decode."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def zip_archive(tmp_path):
    target = tmp_path / "proofs.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("ping.txt", ping_log())
    return target.read_bytes()


def gzip_archive(tmp_path):
    target = tmp_path / "ping.txt.gz"
    with gzip.open(target, "wb") as archive:
        archive.write(ping_log())
    return target.read_bytes()


def tar_archive(tmp_path):
    (tmp_path / "ping.txt").write_bytes(ping_log())
    target = tmp_path / "proofs.tar"
    with tarfile.open(target, "w") as archive:
        archive.add(tmp_path / "ping.txt", arcname="ping.txt")
    return target.read_bytes()


@pytest.fixture(params=["in memory", "on disk"])
def make_upload(request):
    """Both kinds of upload Django hands a view: InMemoryUploadedFile and TemporaryUploadedFile."""
    made = []

    def make(name, data):
        if request.param == "in memory":
            upload = InMemoryUploadedFile(
                io.BytesIO(data), "file", name, "application/octet-stream", len(data), None
            )
        else:
            upload = TemporaryUploadedFile(name, "application/octet-stream", len(data), None)
            upload.write(data)
            upload.seek(0)
        made.append(upload)
        return upload

    yield make
    for upload in made:
        upload.close()


def refusal(upload, max_bytes=TEN_MB):
    with pytest.raises(ProofRejected) as caught:
        inspect_upload(upload, max_bytes=max_bytes)
    return caught.value


# --- What is accepted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sample", "content_type", "extension"),
    [
        ("ping.txt", ping_log(), "text/plain", ".txt"),
        ("Ping (PowerShell).txt", powershell_log(), "text/plain", ".txt"),
        (
            "ping-be.txt",
            codecs.BOM_UTF16_BE + "Reply\r\n".encode("utf-16-be"),
            "text/plain",
            ".txt",
        ),
        ("ping-de.log", b"Zeit\xfcberschreitung der Anforderung.\r\n", "text/plain", ".txt"),
        ("outage report.pdf", minimal_pdf(), "application/pdf", ".pdf"),
        ("monitor.png", screenshot("PNG"), "image/png", ".png"),
        ("monitor.jpeg", screenshot("JPEG"), "image/jpeg", ".jpg"),
        ("ping.pdf", ping_log(), "text/plain", ".txt"),  # the content wins over the name
        ("screenshot", screenshot("PNG"), "image/png", ".png"),
    ],
    ids=[
        "UTF-8 ping log",
        "UTF-16LE PowerShell log",
        "UTF-16BE log",
        "latin-1 log",
        "PDF",
        "PNG",
        "JPEG",
        "log named .pdf",
        "PNG without extension",
    ],
)
def test_real_proofs_are_accepted_by_their_content(
    make_upload, name, sample, content_type, extension
):
    upload = make_upload(name, sample)
    upload.seek(100)

    inspected = inspect_upload(upload, max_bytes=TEN_MB)

    assert inspected == Inspected(
        content_type=content_type,
        extension=extension,
        size=len(sample),
        sha256=hashlib.sha256(sample).hexdigest(),
        display_name=name,
    )
    assert ACCEPTED_TYPES[inspected.content_type] == inspected.extension
    assert upload.tell() == 0


class ReadRecorder:
    """Stands in for an upload's file and notes how much each read asked for."""

    def __init__(self, file):
        self.file = file
        self.reads = []

    def read(self, size=-1):
        self.reads.append(size)
        return self.file.read(size)

    def __getattr__(self, name):
        return getattr(self.file, name)


def test_inspecting_and_storing_read_in_bounded_pieces(make_upload, tmp_path):
    sample = ping_log(lines=40_000)  # about 2.6 MB
    upload = make_upload("long ping.txt", sample)
    upload.file = recorder = ReadRecorder(upload.file)

    inspected = inspect_upload(upload, max_bytes=TEN_MB)
    name = store(upload, inspected, FileSystemStorage(location=tmp_path))

    assert (tmp_path / name).read_bytes() == sample
    assert recorder.reads and all(0 < size <= 64 * 1024 for size in recorder.reads)


# --- What is refused, and the words that say what to do instead ---------------------------------


def test_a_file_over_the_limit_is_refused_with_both_sizes(make_upload):
    upload = make_upload("capture.txt", b"a" * 13_002_342)  # 12.4 MB

    assert refusal(upload).message == "This file is 12.4 MB; the limit is 10 MB per file."
    assert refusal(upload).code == "too_large"


def test_a_small_limit_is_stated_in_the_unit_that_fits(make_upload):
    upload = make_upload("ping.txt", b"a" * 2764)

    assert refusal(upload, max_bytes=1024).message == (
        "This file is 2.7 KB; the limit is 1 KB per file."
    )


def test_a_file_just_over_the_limit_never_reads_as_the_limit(make_upload):
    upload = make_upload("ping.txt", b"a" * (TEN_MB + 1))

    assert refusal(upload).message == "This file is 10.1 MB; the limit is 10 MB per file."


@pytest.mark.parametrize(
    ("name", "sample", "message"),
    [
        ("ping.txt", b"", EMPTY),
        ("report.pdf", elf_executable(), PROGRAM),
        ("report.pdf", pe_executable(), PROGRAM),
        ("ping.txt", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 56, PROGRAM),
        ("ping.txt", b"#!/bin/sh\necho 'ping ok'\n", PROGRAM),
        (
            "monitor.png",
            b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script>",
            BAD_IMAGE,
        ),
        ("monitor.png", png_with_bad_crc(), BAD_IMAGE),
        (
            "monitor.png",
            png_claiming(8000, 8000),
            "This image has more than 50 million pixels: attach a screenshot at the screen's own "
            "size.",
        ),
        ("monitor.jpg", screenshot("JPEG")[:600], BAD_IMAGE),
        ("report.pdf", minimal_pdf()[:-60], BAD_PDF),
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', MARKUP),
        ("chart.txt", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', MARKUP),
        ("page.txt", b"\xef\xbb\xbf\n  <!DOCTYPE html>\n<title>Status</title>", MARKUP),
        ("ping.txt", b"PING ok\n" + b"<p>x</p>\n" * 20 + b"<script>fetch('/')</script>", MARKUP),
        ("ping.txt", "<html>".encode("utf-16"), MARKUP),
        ("monitor.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", NOT_ACCEPTED),
        ("ping.txt", bytes(range(256)) * 4, NOT_ACCEPTED),
        ("ping.txt", ping_log(lines=2000) + b"\x00\x01\x02 appended binary", NOT_ACCEPTED),
        ("ping.txt", b"\xfd7zXZ\x00" + b"\x00" * 20, ARCHIVE),
        ("ping.txt", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24, ARCHIVE),
        ("ping.txt", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 24, ARCHIVE),
    ],
    ids=[
        "empty",
        "ELF renamed .pdf",
        "PE renamed .pdf",
        "Mach-O",
        "shell script",
        "HTML behind a PNG header",
        "PNG with a bad CRC",
        "PNG of 64 megapixels",
        "truncated JPEG",
        "truncated PDF",
        "SVG",
        "SVG with XML prolog",
        "HTML after a BOM",
        "script near the top of a log",
        "UTF-16 HTML",
        "GIF",
        "binary",
        "NUL past the first 64 KB",
        "xz",
        "7z",
        "rar",
    ],
)
def test_what_is_not_a_proof_is_refused_with_what_to_do_instead(make_upload, name, sample, message):
    upload = make_upload(name, sample)

    assert refusal(upload).message == message
    assert upload.tell() == 0


@pytest.mark.parametrize("build", [zip_archive, gzip_archive, tar_archive])
def test_archives_are_refused(make_upload, tmp_path, build):
    upload = make_upload("proofs.pdf", build(tmp_path))

    assert refusal(upload).message == ARCHIVE
    assert refusal(upload).code == "archive"


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/passwd", PATH_IN_NAME),
        ("a/b.txt", PATH_IN_NAME),
        ("C:\\Users\\kim\\ping.txt", PATH_IN_NAME),
        ("..", PATH_IN_NAME),
        ("evil\x00.txt", CONTROL_IN_NAME),
        ("ping\x1b[31m.txt", CONTROL_IN_NAME),
        ("ping\r\nSet-Cookie: a=b.txt", CONTROL_IN_NAME),
        ("invoice\u202egnp.exe", CONTROL_IN_NAME),  # shows as "invoiceexe.png"
        ("", "The file has no name: give it a name and attach it again."),
        ("   ", "The file has no name: give it a name and attach it again."),
        (
            "p" * 296 + ".txt",
            "The file name is 300 characters long; the limit is 200: shorten it and attach it "
            "again.",
        ),
    ],
)
def test_unsafe_names_are_refused(name, message):
    with pytest.raises(ProofRejected) as caught:
        clean_display_name(name)

    assert caught.value.message == message


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("Ping log (März).txt", "Ping log (März).txt"),
        ("Ping log (Ma\u0308rz).txt", "Ping log (März).txt"),  # macOS sends decomposed accents
        ("p" * 196 + ".txt", "p" * 196 + ".txt"),
        ("ping 'quoted' \"name\"; x=1.txt", "ping 'quoted' \"name\"; x=1.txt"),
    ],
)
def test_ordinary_names_are_kept(name, kept):
    assert clean_display_name(name) == kept


def test_a_server_name_never_comes_from_the_customer():
    first, second = server_name(".pdf"), server_name(".pdf")

    assert re.fullmatch(r"proofs/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", first)
    assert first != second
    with pytest.raises(ValueError):
        server_name(".html")


# --- Storing ------------------------------------------------------------------------------------


def test_a_proof_is_stored_under_the_server_name_with_identical_content(make_upload, tmp_path):
    sample = powershell_log()
    upload = make_upload("Ping log (März).txt", sample)
    storage = FileSystemStorage(location=tmp_path / "proofs")
    inspected = inspect_upload(upload, max_bytes=TEN_MB)

    name = store(upload, inspected, storage)

    assert re.fullmatch(r"proofs/\d{4}/\d{2}/[0-9a-f]{32}\.txt", name)
    assert (tmp_path / "proofs" / name).read_bytes() == sample
    assert upload.tell() == 0
    if isinstance(upload, TemporaryUploadedFile):  # written from the upload, not moved away
        assert os.path.exists(upload.temporary_file_path())


class DiskFullMidway(FileSystemStorage):
    """Writes the first chunk, then fails as a full disk would."""

    partial_existed = False

    def _save(self, name, content):
        chunks = content.chunks

        def failing_chunks(chunk_size=None):
            iterator = chunks(chunk_size)
            yield next(iterator)
            self.partial_existed = self.exists(name)
            raise OSError(28, "No space left on device")

        content.chunks = failing_chunks
        return super()._save(name, content)


def test_a_failure_midway_leaves_nothing_behind(make_upload, tmp_path):
    upload = make_upload("ping.txt", ping_log(lines=10_000))  # several 64 KB chunks
    storage = DiskFullMidway(location=tmp_path / "proofs")
    inspected = inspect_upload(upload, max_bytes=TEN_MB)

    with pytest.raises(OSError, match="No space left"):
        store(upload, inspected, storage)

    assert storage.partial_existed
    assert [f for _, _, files in os.walk(tmp_path / "proofs") for f in files] == []


# --- Serving ------------------------------------------------------------------------------------


def stored(tmp_path, sample, name="proofs/2026/03/0123456789abcdef0123456789abcdef.png"):
    storage = FileSystemStorage(location=tmp_path / "proofs", base_url=None)
    storage.save(name, io.BytesIO(sample))
    return storage, name


# Closing a response ends the request (request_finished), which checks the database
# connection; SQLite's in-memory test database keeps that connection open between tests.
served = pytest.mark.django_db


def body(response):
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@served
def test_a_proof_is_served_as_a_download_the_csrf_client_will_not_render(tmp_path):
    sample = screenshot("PNG")
    storage, name = stored(tmp_path, sample)

    response = proof_download_response(
        storage, name, content_type="image/png", display_name="monitor.png"
    )

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"monitor.png\"; filename*=UTF-8''monitor.png"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert body(response) == sample


@served
def test_a_non_ascii_name_is_sent_per_rfc_6266(tmp_path):
    storage, name = stored(tmp_path, ping_log(), "proofs/2026/03/ab.txt")

    response = proof_download_response(
        storage, name, content_type="text/plain", display_name='Ping log (März) "1".txt'
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="Ping log (Marz) _1_.txt"; '
        "filename*=UTF-8''Ping%20log%20%28M%C3%A4rz%29%20%221%22.txt"
    )
    assert body(response) == ping_log()


@served
def test_a_download_carries_the_extension_of_what_it_really_is(tmp_path):
    storage, name = stored(tmp_path, ping_log(), "proofs/2026/03/cd.txt")

    response = proof_download_response(
        storage, name, content_type="text/plain", display_name="ping.pdf"
    )

    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"ping.pdf.txt\"; filename*=UTF-8''ping.pdf.txt"
    )
    body(response)


# --- Receiving uploads ------------------------------------------------------------------------
# The views below install the handlers the way claims.uploads documents: exempt from the CSRF
# middleware, handlers in, then the same CSRF check by csrf_protect. The tests post with a real
# CSRF token, so the pattern is shown to keep that check.

CSRF = "a" * 32  # a CSRF secret: the cookie and the form field carry the same value


@csrf_exempt
def receive(request):
    request.upload_handlers = StreamingUploadHandlers(request)
    return _receive(request)


@csrf_protect
def _receive(request):
    return JsonResponse(
        {
            "files": {
                key: {"class": type(upload).__name__, "size": upload.size}
                for key, upload in request.FILES.items()
            },
            "fields": {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
            "rejected": [[r.file_name, r.message] for r in rejected_uploads(request)],
            "temporary_files": len(os.listdir(settings.FILE_UPLOAD_TEMP_DIR)),
        }
    )


@csrf_exempt
def receive_with_django_defaults(request):
    return JsonResponse({key: type(upload).__name__ for key, upload in request.FILES.items()})


@csrf_exempt
def receive_and_store_measured(request):
    return _measured(request, StreamingUploadHandlers(request))


@csrf_exempt
def receive_in_memory_measured(request):
    """Django's memory handler, to show that the measurement sees a file held in memory."""
    return _measured(request, [MemoryFileUploadHandler(request)])


def _measured(request, handlers):
    """Python's allocations while the view reads, inspects and stores the upload. The test
    client built the whole request body in memory before the view ran; that is not counted."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        request.upload_handlers = handlers
        response = _inspect_and_store(request)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    response["X-Peak-Growth"] = str(peak - before)
    return response


@csrf_protect
def _inspect_and_store(request):
    upload = request.FILES["proof"]
    inspected = inspect_upload(upload, max_bytes=settings.PROOF_MAX_FILE_MB * MB)
    name = store(upload, inspected, storages["proofs"])
    return JsonResponse({"name": name, "sha256": inspected.sha256, "class": type(upload).__name__})


urlpatterns = [
    path("receive/", receive),
    path("receive-with-django-defaults/", receive_with_django_defaults),
    path("receive-and-store/", receive_and_store_measured),
    path("receive-in-memory/", receive_in_memory_measured),
]


@pytest.fixture
def csrf_client(settings, tmp_path):
    """A client that must pass the CSRF check, with uploads going to a folder we can look in."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    os.mkdir(settings.FILE_UPLOAD_TEMP_DIR)
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF
    return client


def post(csrf_client, url, **files_and_fields):
    return csrf_client.post(url, {"csrfmiddlewaretoken": CSRF, **files_and_fields})


def text_file(name, size):
    line = b"64 bytes from 203.0.113.10: icmp_seq=1 ttl=57 time=12.3 ms\n"
    return SimpleUploadedFile(name, (line * (size // len(line) + 1))[:size], "text/plain")


@pytest.mark.urls(__name__)
def test_even_a_small_proof_goes_to_disk_not_memory(csrf_client, settings):
    with_handlers = post(csrf_client, "/receive/", proof=text_file("ping.txt", 2000)).json()
    django_defaults = post(
        csrf_client, "/receive-with-django-defaults/", proof=text_file("ping.txt", 2000)
    ).json()

    assert with_handlers["files"] == {"proof": {"class": "TemporaryUploadedFile", "size": 2000}}
    assert django_defaults == {"proof": "InMemoryUploadedFile"}


@pytest.mark.urls(__name__)
def test_a_20_mb_upload_lands_in_a_temporary_file(csrf_client, settings):
    settings.PROOF_MAX_FILE_MB = 30

    response = post(csrf_client, "/receive/", proof=text_file("capture.txt", 20 * MB))

    assert response.json()["files"] == {
        "proof": {"class": "TemporaryUploadedFile", "size": 20 * MB}
    }
    assert response.json()["temporary_files"] == 1


@pytest.mark.urls(__name__)
def test_a_file_over_the_limit_is_dropped_while_it_uploads(csrf_client, settings):
    settings.PROOF_MAX_FILE_MB = 1

    response = post(
        csrf_client,
        "/receive/",
        big=text_file("capture.log", 3 * MB),
        small=text_file("ping.txt", 4000),
        note="after the big file",
    )

    assert response.json() == {
        "files": {"small": {"class": "TemporaryUploadedFile", "size": 4000}},
        "fields": {"note": "after the big file"},
        "rejected": [
            ["capture.log", "capture.log: This file is too large: the limit is 1 MB per file."]
        ],
        "temporary_files": 1,  # the dropped file's partial copy is already gone
    }


@pytest.mark.urls(__name__)
def test_a_part_that_declares_its_size_over_the_limit_is_dropped_at_once(csrf_client, settings):
    settings.PROOF_MAX_FILE_MB = 1
    boundary = "proof-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{CSRF}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="proof"; filename="capture.log"\r\n'
        "Content-Type: text/plain\r\n"
        f"Content-Length: {5 * MB}\r\n\r\n"
        "only the first line arrived\r\n"
        f"--{boundary}--\r\n"
    )

    response = csrf_client.post(
        "/receive/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.json()["files"] == {}
    assert response.json()["rejected"] == [
        ["capture.log", "capture.log: This file is too large: the limit is 1 MB per file."]
    ]


@pytest.mark.urls(__name__)
def test_a_request_over_the_claim_limit_stops_there(csrf_client, settings):
    settings.PROOF_MAX_CLAIM_MB = 2

    response = post(
        csrf_client,
        "/receive/",
        first=text_file("first.log", 1536 * 1024),
        second=text_file("second.log", 1536 * 1024),
    )

    assert response.json()["files"] == {
        "first": {"class": "TemporaryUploadedFile", "size": 1536 * 1024}
    }
    assert response.json()["rejected"] == [
        [
            "second.log",
            "second.log: These files are too large together: the limit is 2 MB per claim. "
            "Attach fewer or smaller files.",
        ]
    ]


@pytest.mark.urls(__name__)
def test_the_view_pattern_keeps_the_csrf_check(csrf_client):
    response = csrf_client.post("/receive/", {"proof": text_file("ping.txt", 2000)})

    assert response.status_code == 403


@pytest.mark.urls(__name__)
def test_a_50_mb_upload_is_received_inspected_and_stored_in_little_memory(csrf_client, settings):
    settings.PROOF_MAX_FILE_MB = settings.PROOF_MAX_CLAIM_MB = 60
    upload = text_file("capture.txt", 50 * MB)
    sample_sha256 = hashlib.sha256(upload.read()).hexdigest()
    upload.seek(0)

    response = post(csrf_client, "/receive-and-store/", proof=upload)

    assert response.status_code == 200
    assert response.json()["class"] == "TemporaryUploadedFile"
    assert response.json()["sha256"] == sample_sha256
    assert storages["proofs"].size(response.json()["name"]) == 50 * MB
    assert int(response["X-Peak-Growth"]) < 8 * MB


@pytest.mark.urls(__name__)
def test_the_memory_measurement_sees_a_file_held_in_memory(csrf_client, settings):
    settings.PROOF_MAX_FILE_MB = settings.PROOF_MAX_CLAIM_MB = 60
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 60 * MB

    response = post(csrf_client, "/receive-in-memory/", proof=text_file("capture.txt", 20 * MB))

    assert response.json()["class"] == "InMemoryUploadedFile"
    assert int(response["X-Peak-Growth"]) > 20 * MB
