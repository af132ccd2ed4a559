"""The portal's pages and API at a provider's size. Run from the project root:
python -m bench.bench_web [--accounts 10000] [--claims 100000] [--rounds 3]

Data: bench.scale_data (manage.py load_scale) in a database of its own, bench_web_<pid>,
dropped at the end. Server: gunicorn as in production (gunicorn.conf.py, 2 workers of 4
threads on this 2-core machine, DEBUG off, CONN_MAX_AGE=60) with the benchmark's URLconf
(bench.web_urls: the portal's, plus an endpoint that reads a body and discards it). Clients: a
bounded loop of threads over http.client. Each timed figure is a ratio of two sides measured
alternately in one process, `--rounds` times (min / median / max of the ratios):

B1  claims list API (50 rows; as a reviewer, as the large reseller's agent) req/s over
    GET /api/v1/me/ req/s                                                    (at least 0.4)
B2  queries per page at page size 10 and at 100 (equal), counted in-process with Django's
    test client against the same database; a page 90 % deep over the first page, timed over
    HTTP (at most 1.3); every HTML list page at 50 rows (at most 150 KB)
B3  a 10 MB text proof upload MB/s over the same bytes posted to the discard endpoint (at
    least 0.5); the gunicorn workers' memory growth per upload (at most 5 MB)
B5  claim page and review page of a claim with 20 proofs x 5,000 lines over an ordinary
    claim's (at most 2); the API's claim detail of that claim (at most 100 KB)

The month-end run's growth from 10,000 to 100,000 accounts is bench.bench_month_end's (d).
"""

import argparse
import contextlib
import datetime as dt
import http.client
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

TAG = f"bench_web_{os.getpid()}"
POSTGRES = "postgres://postgres:postgres@127.0.0.1:5432"
PROOFS = tempfile.mkdtemp(prefix=f"{TAG}_proofs_")
SETTINGS = {
    "DATABASE_URL": f"{POSTGRES}/{TAG}",
    "DEBUG": "false",
    "SECRET_KEY": f"bench-web-{uuid.uuid4().hex}{uuid.uuid4().hex}",
    # Plain HTTP on loopback, personas without a second factor, and no rate limit in the way
    # of a load test: production's guards, measured elsewhere, would only measure themselves.
    "SECURE_SSL_REDIRECT": "false",
    "STAFF_MFA_REQUIRED": "false",
    "API_RATE_TOKEN": "100000000/min",
    "API_RATE_USER": "100000000/min",
    "API_RATE_ANON": "100000000/min",
    "API_RATE_QUOTES": "100000000/min",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SESSION_COOKIE_SECURE": "false",
    "CONN_MAX_AGE": "60",
    "PROOF_STORAGE_DIR": PROOFS,
    "PROOF_MAX_CLAIM_MB": "100000",  # the upload figure posts many files to one claim
    "LOG_LEVEL": "WARNING",
    "BENCH_STATIC_ROOT": str(Path(PROOFS) / "static"),
}
os.environ.update(SETTINGS, DJANGO_SETTINGS_MODULE="bench.web_settings")
os.environ.pop("REDIS_URL", None)  # tasks in-process: an approval's nudge needs no broker

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import scale_data  # noqa: E402
from billing.models import CreditEntry, CreditKind  # noqa: E402
from claims.models import PROOF_OPEN_STATES, Claim  # noqa: E402
from portal.models import User  # noqa: E402
from portal.tokens import create_token  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REVIEWER, _, BILLING, AGENT, CUSTOMER = (persona[0] for persona in scale_data.PERSONAS)
TARGETS = {"B1": 0.4, "B2 queries": 1.0, "B2 deep": 1.3, "B2 KB": 150, "B3": 0.5}
TARGETS.update({"B3 MB": 5.0, "B5": 2.0, "B5 KB": 100})
THREADS = 4
WINDOW = 3.0  # seconds a request rate is measured over (at least two requests)
UPLOAD_MB = 10


# --- the server ----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_token(user):
    """A personal API token's secret for `user` (hashed tokens: the secret is known only now)."""
    _, secret = create_token(
        user=user, name="bench", expires_at=timezone.now() + dt.timedelta(days=1)
    )
    return secret


class Server:
    """gunicorn with the production configuration, on a free port."""

    def __init__(self):
        self.port = free_port()
        self.log = open(Path(PROOFS) / "gunicorn.log", "w")  # noqa: SIM115
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="bench.web_settings",
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS=str(THREADS),
        )
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "portal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                status, _, _ = request("GET", "/healthz?parts=database", port=self.port)
                if status == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer /healthz in 60 s")

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def rss(self):
        """Resident memory of the workers together, bytes."""
        total = 0
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def stop(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        self.log.close()


def request(method, path, *, port, headers=None, body=None, connection_=None):
    """One request; returns (status, body bytes, seconds)."""
    own = connection_ is None
    conn = connection_ or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started
    finally:
        if own:
            conn.close()


class As:
    """Requests as one persona: a session cookie (pages) and a token (API)."""

    def __init__(self, email, port):
        self.port = port
        user = User.objects.get(email=email)
        client = Client()
        client.force_login(user)
        self.cookie = f"sessionid={client.cookies['sessionid'].value}"
        self.token = bench_token(user)
        self.user = user

    def headers(self, api):
        if api:
            return {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        return {"Cookie": self.cookie}

    def get(self, path, *, api=False, connection_=None):
        return request(
            "GET", path, port=self.port, headers=self.headers(api), connection_=connection_
        )

    def rate(self, path, *, api=True):
        """Requests per second from THREADS threads over WINDOW seconds (each thread keeps
        its connection alive); a request still running at the end is waited for and counted."""
        done, failed = [], []
        deadline = time.perf_counter() + WINDOW

        def loop():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                while True:
                    status, _, _ = self.get(path, api=api, connection_=conn)
                    (done if status == 200 else failed).append(status)
                    if time.perf_counter() >= deadline and len(done) >= 2:
                        return
            finally:
                conn.close()

        started = time.perf_counter()
        threads = [threading.Thread(target=loop) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failed:
            raise RuntimeError(f"{path}: answered {sorted(set(failed))}")
        return len(done) / (time.perf_counter() - started)


# --- figures -------------------------------------------------------------------------------------


def spread(values):
    values = sorted(values)
    return values[0], statistics.median(values), values[-1]


def shown(values, unit="", digits=2):
    low, mid, high = spread(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}{unit}"


ROWS = []


def figure(name, measured, target, met):
    ROWS.append((name, measured, target, "met" if met else "NOT met"))
    print(f"  {name}: {measured} (target {target}: {'met' if met else 'NOT met'})", flush=True)


def b1(personas, rounds):
    me, reviewer_list, agent_list = [], [], []
    for _ in range(rounds):
        me.append(personas["reviewer"].rate("/api/v1/me/"))
        reviewer_list.append(personas["reviewer"].rate("/api/v1/claims/?page_size=50"))
        agent_list.append(personas["agent"].rate("/api/v1/claims/?page_size=50"))
    print(f"  GET /api/v1/me/ req/s {shown(me, digits=1)}")
    for who, rates in (("reviewer", reviewer_list), ("reseller agent", agent_list)):
        ratios = [rate / base for rate, base in zip(rates, me, strict=True)]
        figure(
            f"B1 claims list (50 rows, {who}) req/s / me req/s",
            f"{shown(ratios, digits=4)} ({statistics.median(rates):.2f} req/s)",
            f">= {TARGETS['B1']}",
            statistics.median(ratios) >= TARGETS["B1"],
        )


def list_pages(personas):
    """(name, persona, path, html, rows the list holds) for every list B2 measures."""
    agent = personas["agent"].user
    agent_claims = Claim.objects.visible_to(agent).count()
    queue = Claim.objects.awaiting_review().count()
    ledger = CreditEntry.objects.count()
    credits = CreditEntry.objects.filter(kind=CreditKind.GRANTED).count()
    return [
        ("API claims list (reviewer)", "reviewer", "/api/v1/claims/", False, Claim.objects.count()),
        ("API claims list (agent)", "agent", "/api/v1/claims/", False, agent_claims),
        ("API review queue", "reviewer", "/api/v1/review-queue/", False, queue),
        ("review queue page", "reviewer", "/claims/review/", True, queue),
        ("ledger page", "billing", "/billing/ledger/", True, ledger),
        ("credits page (billing)", "billing", "/billing/credits/", True, credits),
        ("customer's claims page (agent)", "agent", "/claims/", True, agent_claims),
        ("invoices page (billing)", "billing", "/billing/invoices/", True, None),
        ("organisations page (billing)", "billing", "/organisations/", True, None),
    ]


def queries(user, path, page_size):
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"page_size": page_size}, HTTP_ACCEPT="application/json")
    return response.status_code, len(captured), len(response.content)


def b2(personas, rounds):
    for name, who, path, html, rows in list_pages(personas):
        persona = personas[who]
        status, small, _ = queries(persona.user, path, 10)
        if status != 200:
            figure(f"B2 {name} queries", f"answered {status}", "200", False)
            continue
        _, large, _ = queries(persona.user, path, 100)
        _, _, size_50 = queries(persona.user, path, 50)
        figure(
            f"B2 {name} queries at page size 10 / 100",
            f"{small} / {large}",
            "equal",
            small == large,
        )
        if html:
            figure(
                f"B2 {name} size at 50 rows",
                f"{size_50 / 1024:,.0f} KB",
                f"<= {TARGETS['B2 KB']} KB",
                size_50 / 1024 <= TARGETS["B2 KB"],
            )
        if not rows:
            continue
        deep_page = max(2, math.ceil(0.9 * rows / 50))
        first_path = f"{path}?page_size=50"
        deep_path = f"{path}?page_size=50&page={deep_page}"
        ratios = []
        for _ in range(rounds):
            first_status, first_body, first = persona.get(first_path, api=not html)
            deep_status, deep_body, deep = persona.get(deep_path, api=not html)
            if deep_status != 200 or deep_body == first_body:
                break
            ratios.append(deep / first)
        if not ratios:
            why = f"page {deep_page} answered {deep_status}" if deep_status != 200 else "ignored"
            figure(f"B2 {name} page 90 % deep / first", f"?page= {why}", "<= 1.3", False)
            continue
        figure(
            f"B2 {name} page {deep_page} (90 % deep) / first, time",
            shown(ratios),
            f"<= {TARGETS['B2 deep']}",
            statistics.median(ratios) <= TARGETS["B2 deep"],
        )


def upload_body(data, boundary):
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nping\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="ping-10mb.txt"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode()


def b3(server, rounds):
    claim = Claim.objects.filter(state__in=PROOF_OPEN_STATES).select_related("filed_by").first()
    token = bench_token(claim.filed_by)
    start = claim.period_start - scale_data.dt.timedelta(hours=1)
    lines = UPLOAD_MB * 1024 * 1024 // 95
    text = scale_data.ping_log(
        "mail.example.com",
        start,
        start + scale_data.dt.timedelta(seconds=lines),
        claim.period_start,
        claim.period_end,
        interval=1,
        seed=1,
    ).encode()
    data = text[: UPLOAD_MB * 1024 * 1024 - 4096]
    data = data[: data.rindex(b"\n") + 1]
    boundary = uuid.uuid4().hex
    body = upload_body(data, boundary)
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept": "application/json",
    }
    upload_path = f"/api/v1/claims/{claim.pk}/proofs/"
    megabytes = len(data) / 1e6
    status, answer, _ = request("POST", upload_path, port=server.port, headers=headers, body=body)
    if status != 201:
        figure("B3 upload", f"answered {status}: {answer[:200]!r}", "201", False)
        return
    ratios, growth, rates = [], [], []
    for _ in range(rounds):
        _, _, discard = request(
            "POST", "/bench/discard/", port=server.port, headers=headers, body=body
        )
        before = server.rss()
        status, _, upload = request(
            "POST", upload_path, port=server.port, headers=headers, body=body
        )
        growth.append((server.rss() - before) / 1e6)
        rates.append(megabytes / upload)
        ratios.append((megabytes / upload) / (megabytes / discard))
    figure(
        f"B3 {megabytes:.1f} MB proof upload MB/s / discard MB/s",
        f"{shown(ratios, digits=3)} ({statistics.median(rates):.1f} MB/s)",
        f">= {TARGETS['B3']}",
        statistics.median(ratios) >= TARGETS["B3"],
    )
    figure(
        "B3 workers' memory growth per upload",
        shown(growth, " MB", 1),
        f"<= {TARGETS['B3 MB']:g} MB",
        statistics.median(growth) <= TARGETS["B3 MB"],
    )


def b5(personas, rounds):
    long_claim = (
        Claim.objects.annotate(n=Count("proofs"))
        .filter(n__gte=scale_data.LONG_PROOFS)
        .order_by("pk")
        .first()
    )
    ordinary = (
        Claim.objects.annotate(n=Count("proofs"))
        .filter(
            state=long_claim.state, n=0, policy_version__policy=long_claim.policy_version.policy
        )
        .order_by("pk")
        .first()
    )
    reviewer = personas["reviewer"]
    for label, template in (("claim page", "/claims/{}/"), ("review page", "/claims/{}/review/")):
        ratios = []
        for _ in range(rounds):
            _, _, base = reviewer.get(template.format(ordinary.pk))
            status, _, heavy = reviewer.get(template.format(long_claim.pk))
            ratios.append(heavy / base)
        figure(
            f"B5 {label}: 20 proofs x 5,000 lines / ordinary claim, time",
            shown(ratios),
            f"<= {TARGETS['B5']:g}",
            statistics.median(ratios) <= TARGETS["B5"],
        )
    status, body, _ = reviewer.get(f"/api/v1/claims/{long_claim.pk}/", api=True)
    figure(
        "B5 API claim detail of that claim",
        f"{len(body) / 1024:,.0f} KB",
        f"<= {TARGETS['B5 KB']} KB",
        status == 200 and len(body) / 1024 <= TARGETS["B5 KB"],
    )


# --- the run -------------------------------------------------------------------------------------


def maintenance(statement):
    conn = psycopg2.connect(f"{POSTGRES}/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    server = None
    maintenance(f'CREATE DATABASE "{TAG}"')
    try:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        loaded = scale_data.load(args.accounts, args.claims, say=lambda line: None)
        print(
            f"loaded {loaded.accounts:,} accounts, {loaded.claims:,} claims, "
            f"{loaded.proofs:,} proofs, {loaded.ledger:,} ledger entries in "
            f"{time.perf_counter() - began:.0f} s",
            flush=True,
        )
        server = Server()
        personas = {
            name: As(email, server.port)
            for name, email in (
                ("reviewer", REVIEWER),
                ("billing", BILLING),
                ("agent", AGENT),
                ("customer", CUSTOMER),
            )
        }
        print("B1", flush=True)
        b1(personas, args.rounds)
        print("B2", flush=True)
        b2(personas, args.rounds)
        print("B3", flush=True)
        b3(server, args.rounds)
        print("B5", flush=True)
        b5(personas, args.rounds)
        print()
        print(f"{'figure (min / median / max of the rounds)':<72} {'measured':<38} {'target':<9}")
        for name, measured, target, verdict in ROWS:
            print(f"{name:<72} {measured:<38} {target:<9} {verdict}")
        print("\nthe month-end run's growth 10,000 -> 100,000 accounts: bench.bench_month_end (d)")
        print(f"whole benchmark: {time.perf_counter() - began:.0f} s")
    finally:
        if server is not None:
            server.stop()
        connections.close_all()
        maintenance(f'DROP DATABASE IF EXISTS "{TAG}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", PROOFS], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
