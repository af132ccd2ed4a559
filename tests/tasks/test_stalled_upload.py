"""A client that sends half an upload and goes silent holds one gunicorn thread for a bounded
time, not the server, and leaves no temporary file. A real gunicorn with the project's
gunicorn.conf.py; the client is a raw socket."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
BODY_TIMEOUT = 2  # seconds of client silence the server waits for the rest of a body
MB = 1024 * 1024


def wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status
    except OSError:
        return None


@pytest.fixture
def server(tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "FILE_UPLOAD_TEMP_DIR": str(incoming),
        "TMPDIR": str(incoming),
        "GUNICORN_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(f"{url}/accounts/login/") == 200, "gunicorn to start")
        yield {"port": port, "url": url, "incoming": incoming}
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_a_stalled_upload_is_cut_off_and_leaves_no_temporary_file(server):
    boundary = "stalled-upload-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="proof.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    declared = 6 * MB  # over FILE_UPLOAD_MAX_MEMORY_SIZE: Django spools it to a file on disk
    client = socket.create_connection(("127.0.0.1", server["port"]))
    try:
        client.sendall(
            (
                "POST /accounts/login/ HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server['port']}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {declared}\r\n"
                # A CSRF cookie, so the middleware reads the body for the token.
                f"Cookie: csrftoken={'a' * 32}\r\n\r\n"
            ).encode()
            + head
            + b"%PDF-1.7 " * (3 * MB // 9)  # half of it, then silence
        )
        wait_for(lambda: list(server["incoming"].iterdir()), "the upload's temporary file")

        # Meanwhile the server answers others.
        assert answers(f"{server['url']}/accounts/login/") == 200

        # After BODY_TIMEOUT of silence the request ends: the connection is closed on the
        # client and the temporary file is gone.
        client.settimeout(BODY_TIMEOUT * 10)
        reply = b""
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            while chunk := client.recv(65536):
                reply += chunk
            raise ConnectionResetError  # closed cleanly after whatever it answered
        wait_for(lambda: not list(server["incoming"].iterdir()), "the temporary file to go")
    finally:
        client.close()
    assert answers(f"{server['url']}/accounts/login/") == 200
