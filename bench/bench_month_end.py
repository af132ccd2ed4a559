"""How long the month-end billing run takes. Run from the project root:
python -m bench.bench_month_end [--sizes 1000,10000] [--repeats 3] [--largest-repeats 1] [--profile]

The run is billing.tasks.run_billing_once(now): every billed party (a direct customer, or a
reseller for its end customers) in chunks of billing.services.CHUNK, each chunk in one
transaction: grant what approvals left ungranted, draft the cycle's invoice with its lines,
apply open credit to it. Data (bench.month_end_data): N customer accounts, three subscriptions
and ten incidents each, approved claims for a fifth of them, March already invoiced and paid.

(a) the run in one process over PostgreSQL merely scanning and aggregating the same rows
    (subscriptions, incidents, approved decisions) in one SQL statement (target: at most 3);
    beside it, the floor no implementation goes below: COPY writing the rows the run writes
    (drafts, their lines, ledger entries, grant outcomes) over the same scan (into tables with
    the same indexes and checks, but no foreign keys, which the run's commits also check);
(b) the run as chunked Celery tasks on a 2-process worker over the same run in one process
    (target: at most 0.8);
(c) credits applied per second by the run's apply step (billing.services.apply_open_credit)
    over rows per second of a COPY of the same ledger rows into a scratch table shaped like the
    ledger (target: at least 0.3); the same rate over the whole run's time is shown beside it;
(d) the one-process run at each size, and its growth (linear: 10x for 10x the accounts).
The figures are judged at the largest size; a table shows every size and where the time went.

Each timed run starts from a fresh copy of the data (CREATE DATABASE ... TEMPLATE) and is
checked: a draft invoice per billed party, every grant applied, the applied total equal to the
approved credit. Times are wall-clock (PostgreSQL's work happens in other processes), best of
the repeats, the sides measured alternately so both see the same machine (about 40 s in all
on a 2-core machine). Everything lives in
databases named bench_month_end_<pid>* and a Redis queue of that name, all removed at the end.
"""

import argparse
import contextlib
import cProfile
import io
import math
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TAG = f"bench_month_end_{os.getpid()}"
POSTGRES = "postgres://postgres:postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"
os.environ.update(
    DATABASE_URL=f"{POSTGRES}/{TAG}",
    REDIS_URL=REDIS,
    CELERY_QUEUE=TAG,
    DJANGO_SETTINGS_MODULE="portal.settings",
)
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
import redis  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from bench import month_end_data  # noqa: E402
from billing import services  # noqa: E402
from billing.services import applying, grants, invoices, ledger, run  # noqa: E402
from billing.tasks import run_billing_once  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000)
# Best of REPEATS at every size (--largest-repeats for the largest alone).
REPEATS = 3
LARGEST_REPEATS = 3
CHUNK = services.CHUNK  # accounts per task and per transaction, as the run sends them
WORKERS = 2
TARGETS = {"a": 3.0, "b": 0.8, "c": 0.3}
LINEAR_SLACK = 1.1  # growth up to 1.1x the accounts' growth (11x for 10x) reads as linear
# The run's steps, timed (and their queries counted) where billing.tasks and billing.services
# call them; a step called inside another counts for itself only.
PHASES = (
    "billing_chunks",
    "lock_billing_accounts",
    "pending_awards",
    "grant_credits",
    "draft_invoices",
    "issue_ended",
    "pay_out_terminated",
    "apply_open_credit",
    "settle_claims",
    "mark_overdue",
)
# What PostgreSQL alone needs to read the run's input: every billed party's active
# subscriptions and fees, its accounts' incidents and their downtime, its approved credit.
SCAN_SQL = """
WITH fees AS (
    SELECT organisation_id AS org, count(*) AS subscriptions, sum(monthly_fee) AS fees
    FROM sla_subscription
    WHERE starts_at <= %(instant)s AND (ends_at IS NULL OR ends_at > %(instant)s)
    GROUP BY organisation_id
), outages AS (
    SELECT link.organisation_id AS org, count(*) AS incidents,
           sum(incident.ends_at - incident.starts_at) AS downtime
    FROM sla_incident incident
    JOIN sla_incident_organisations link ON link.incident_id = incident.id
    GROUP BY link.organisation_id
), credits AS (
    SELECT claim.account_id AS org, count(*) AS decisions, sum(decision.amount) AS credit
    FROM claims_decision decision
    JOIN claims_claim claim ON claim.id = decision.claim_id
    WHERE claim.state = 'approved' AND decision.kind = 'approve'
    GROUP BY claim.account_id
)
SELECT coalesce(account.reseller_id, account.id) AS payer, sum(fees.subscriptions),
       sum(fees.fees), sum(outages.incidents), sum(outages.downtime), sum(credits.credit)
FROM portal_organisation account
JOIN fees ON fees.org = account.id
LEFT JOIN outages ON outages.org = account.id
LEFT JOIN credits ON credits.org = account.id
GROUP BY coalesce(account.reseller_id, account.id)
"""
# Every row the run writes (the data holds March's paid invoices and no ledger before it).
OUTPUT = (
    ("billing_invoice", "status = 'draft'"),
    (
        "billing_invoiceline",
        "invoice_id IN (SELECT id FROM billing_invoice WHERE status = 'draft')",
    ),
    ("billing_creditentry", "true"),
    ("billing_grantoutcome", "true"),
)
SERVICE_MODULES = (services, ledger, grants, invoices, applying, run)
LEDGER_COLUMNS = (
    "kind, key, claim_id, account_id, billing_account_id, subscription_id, service_month, "
    "amount, grant_id, invoice_id, invoice_line_id, actor_id, at, reason"
)


# --- databases -----------------------------------------------------------------------------------


class Cluster:
    """Creates, copies and drops this run's databases over a maintenance connection."""

    def __init__(self):
        self.admin = psycopg2.connect(f"{POSTGRES}/postgres")
        self.admin.autocommit = True
        self.made = []

    def execute(self, statement):
        with self.admin.cursor() as cursor:
            cursor.execute(statement)

    def create(self, name, template=None):
        """A new database; from `template` it is a copy of that database's rows."""
        self.drop(name)
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        if name not in self.made:
            self.made.append(name)

    def drop(self, name):
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self):
        for name in reversed(self.made):
            self.drop(name)
        self.admin.close()


def use_database(name):
    """Point this process's Django connection at `name` (reconnecting on next use)."""
    connections.close_all()
    connection.settings_dict["NAME"] = name


def fresh_copy(cluster, template):
    connections.close_all()
    cluster.create(TAG, template=template)
    use_database(TAG)


def ledger_state():
    """(draft invoices, grants, grants with an applied entry, applied total, settled claims)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM billing_invoice WHERE status = 'draft'),"
            " (SELECT count(*) FROM billing_creditentry WHERE kind = 'granted'),"
            " (SELECT count(DISTINCT grant_id) FROM billing_creditentry WHERE kind = 'applied'),"
            " (SELECT coalesce(sum(amount), 0) FROM billing_creditentry WHERE kind = 'applied'),"
            " (SELECT count(*) FROM billing_grantoutcome WHERE settled_at IS NOT NULL)"
        )
        return cursor.fetchone()


def finished(loaded):
    drafts, _, applied, _, _ = ledger_state()
    return drafts == loaded.billed and applied == loaded.grants


def check(loaded, label):
    """Warn when the run did not do all it should have; returns the credits applied."""
    found = ledger_state()
    expected = (loaded.billed, loaded.grants, loaded.grants, loaded.credit, loaded.claims)
    if found != expected:
        print(
            f"    WARNING {label}: drafts/grants/applied/applied total/settled claims = "
            f"{'/'.join(map(str, found))}, expected {'/'.join(map(str, expected))}"
        )
    return found[2]


# --- the run and its baselines -------------------------------------------------------------------


@contextlib.contextmanager
def timed_phases(count_queries=False):
    """Seconds spent in each of PHASES (less the steps it calls), and optionally its queries."""
    seconds = dict.fromkeys(PHASES, 0.0)
    queries = dict.fromkeys((*PHASES, "other"), 0)
    stack, nested = [], []
    # Each step is looked up at each call in the module that calls it (billing.tasks uses the
    # package, the steps one another's modules): every binding of it is timed.
    bound = [
        (module, name, getattr(module, name))
        for module in SERVICE_MODULES
        for name in PHASES
        if hasattr(module, name)
    ]

    def wrap(name, function):
        def timed(*args, **kwargs):
            stack.append(name)
            nested.append(0.0)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                stack.pop()
                seconds[name] += elapsed - nested.pop()
                if nested:
                    nested[-1] += elapsed

        return timed

    def count(execute, sql, params, many, context):
        queries[stack[-1] if stack else "other"] += 1
        return execute(sql, params, many, context)

    wrapped = {}
    for module, name, function in bound:
        setattr(module, name, wrapped.setdefault(name, wrap(name, function)))
    try:
        with connection.execute_wrapper(count) if count_queries else contextlib.nullcontext():
            yield seconds, queries
    finally:
        for module, name, function in bound:
            setattr(module, name, function)


def one_process(loaded, count_queries=False):
    """(seconds, applied credits, seconds per phase, queries per phase) of one run. Counting
    queries costs a counter increment per query (each takes a few hundred microseconds)."""
    with timed_phases(count_queries) as (phases, queries):
        started = time.perf_counter()
        run_billing_once(month_end_data.NOW)
        seconds = time.perf_counter() - started
    return seconds, check(loaded, "one process"), phases, queries


def scan():
    """Seconds for PostgreSQL to scan and aggregate the run's input rows, best of five."""
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SCAN_SQL, {"instant": month_end_data.NOW})
            cursor.fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def copy_rates():
    """What COPY does with the rows the run wrote, best of five, each into fresh scratch tables
    with the originals' columns, defaults, checks and indexes, committed: (applied ledger rows
    per second, seconds to write every row the run wrote)."""
    dumps = {}
    with connection.cursor() as cursor:
        for table, where in OUTPUT:
            dump = io.StringIO()
            # Constants only: table names and conditions from OUTPUT.
            query = f"SELECT * FROM {table} WHERE {where}"  # noqa: S608
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT", dump)
            dumps[table] = dump
    applied = io.StringIO()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY (SELECT {LEDGER_COLUMNS} FROM billing_creditentry WHERE kind = 'applied')"  # noqa: S608
            " TO STDOUT",
            applied,
        )
    rows = applied.getvalue().count("\n")
    scratch = psycopg2.connect(f"{POSTGRES}/{TAG}")
    best_applied = best_output = math.inf
    try:
        with scratch.cursor() as cursor:
            for _ in range(5):
                for table in dumps:
                    cursor.execute(f"CREATE TABLE scratch_{table} (LIKE {table} INCLUDING ALL)")
                cursor.execute(
                    "CREATE TABLE scratch_ledger (LIKE billing_creditentry INCLUDING ALL)"
                )
                scratch.commit()
                applied.seek(0)
                started = time.perf_counter()
                cursor.copy_expert(f"COPY scratch_ledger ({LEDGER_COLUMNS}) FROM STDIN", applied)
                scratch.commit()
                best_applied = min(best_applied, time.perf_counter() - started)
                started = time.perf_counter()
                for table, dump in dumps.items():
                    dump.seek(0)
                    cursor.copy_expert(f"COPY scratch_{table} FROM STDIN", dump)
                scratch.commit()
                best_output = min(best_output, time.perf_counter() - started)
                for table in (*dumps, "ledger"):
                    cursor.execute(f"DROP TABLE scratch_{table}")
                scratch.commit()
    finally:
        scratch.close()
    return rows / best_applied, best_output


# --- the chunked run on a worker -----------------------------------------------------------------


class Worker:
    """`celery worker` with WORKERS pool processes on this run's queue and database, in a
    process group of its own. Its log is kept only to show when something went wrong."""

    def __init__(self):
        self.folder = tempfile.TemporaryDirectory(prefix=f"{TAG}_")
        self.log = log = Path(self.folder.name) / "worker.log"
        env = {**os.environ, "CONN_MAX_AGE": "0"}  # the database is recreated between runs
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "celery", "-A", "portal", "worker", "-l", "info"),
                    *("--pool", "prefork", "--concurrency", str(WORKERS), "-Q", TAG),
                    *("-n", f"{TAG}@%h"),
                    *("--without-mingle", "--without-gossip", "--without-heartbeat"),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self, lines=30):
        return "\n".join(self.log.read_text().splitlines()[-lines:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.folder.cleanup()


def chunked(loaded, worker, timeout):
    """Seconds from starting the chunked run until the database shows it finished."""
    started = time.perf_counter()
    run_billing_once(month_end_data.NOW, tasks=True)
    while not finished(loaded):
        if time.perf_counter() - started > timeout:
            raise RuntimeError(
                f"the chunked run did not finish in {timeout:.0f} s; the worker's log:\n"
                f"{worker.tail()}"
            )
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    check(loaded, "chunked")
    return seconds


def clean_redis():
    """Remove this run's queue, its bindings and its worker's control queue from Redis."""
    client = redis.Redis.from_url(REDIS)
    try:
        for key in client.scan_iter(match=f"*{TAG}*"):
            client.delete(key)
        for key in client.scan_iter(match="_kombu.binding.*"):
            for member in client.smembers(key):
                if TAG.encode() in member:
                    client.srem(key, member)
    finally:
        client.close()


# --- measuring and reporting --------------------------------------------------------------------


def load_datasets(cluster, sizes):
    """A migrated template database per size, loaded with that many accounts."""
    base = f"{TAG}_base"
    cluster.create(base)
    use_database(base)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    datasets = {}
    for size in sizes:
        template = f"{TAG}_{size}"
        connections.close_all()
        cluster.create(template, template=base)
        use_database(template)
        started = time.perf_counter()
        loaded = month_end_data.load(size)
        seconds = time.perf_counter() - started
        connections.close_all()
        datasets[size] = (template, loaded)
        print(
            f"{size:,} accounts: {loaded.billed:,} billed parties, "
            f"{loaded.subscriptions:,} subscriptions, {loaded.incidents:,} incidents, "
            f"{loaded.claims:,} approved claims, {loaded.grants:,} credits to grant; "
            f"written in {seconds:.1f} s ({loaded.rows() / seconds:,.0f} rows/s)"
        )
    return datasets


def measure(cluster, worker, template, loaded, repeats):
    """Best times at one size, each side on a fresh copy, the sides alternating."""
    best = {"run": math.inf, "scan": math.inf, "copy": 0.0, "floor": math.inf, "chunked": math.inf}
    for repeat in range(repeats):
        fresh_copy(cluster, template)
        best["scan"] = min(best["scan"], scan())
        seconds, applied, phases, queries = one_process(loaded, count_queries=True)
        if seconds < best["run"]:
            best.update(run=seconds, phases=phases, queries=queries, applied=applied)
        copy, floor = copy_rates()
        best.update(copy=max(best["copy"], copy), floor=min(best["floor"], floor))
        fresh_copy(cluster, template)
        chunk_seconds = chunked(loaded, worker, timeout=max(120.0, 3 * seconds))
        best["chunked"] = min(best["chunked"], chunk_seconds)
        print(
            f"    {loaded.accounts:,} accounts, repeat {repeat + 1}: one process "
            f"{seconds:.2f} s, chunked ({math.ceil(loaded.billed / CHUNK)} tasks) on {WORKERS} "
            f"worker processes {chunk_seconds:.2f} s",
            flush=True,
        )
    return best


def print_breakdown(results):
    """Seconds, share and queries of each step, at every size: a step whose time or queries
    grow faster than the accounts is where the run stops being linear."""
    sizes = sorted(results)
    print("\nwhere the one-process run's time went (seconds, share, queries):")
    print(f"    {'step':<20}" + "".join(f"{f'{size:,} accounts':>30}" for size in sizes))
    for name in (*PHASES, "other"):
        cells = []
        for size in sizes:
            best = results[size]
            rest = best["run"] - sum(best["phases"].values())
            seconds = rest if name == "other" else best["phases"][name]
            queries = best["queries"][name]
            cells.append(f"{seconds:9.2f} s {seconds / best['run']:6.1%} {queries:8,} q")
        if any(results[size]["queries"][name] for size in sizes):
            print(f"    {name:<20}" + "".join(f"{cell:>30}" for cell in cells))


def print_profile(cluster, template, loaded):
    fresh_copy(cluster, template)
    profile = cProfile.Profile()
    profile.enable()
    run_billing_once(month_end_data.NOW)
    profile.disable()
    check(loaded, "profiled")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(12)
    stats.sort_stats("cumulative").print_stats(r"services|tasks", 20)
    print(out.getvalue())


def verdict(met):
    return "met" if met else "NOT met"


def print_figures(results):
    sizes = sorted(results)
    largest, best = sizes[-1], results[sizes[-1]]
    ratio_a = best["run"] / best["scan"]
    floor = best["floor"] / best["scan"]
    ratio_b = best["chunked"] / best["run"]
    # Applying credit is the run's apply step (billing.services.apply_open_credit); the whole
    # run's rate is shown beside it (it also drafts every invoice and grants every credit).
    rate = best["applied"] / best["phases"]["apply_open_credit"]
    run_rate = best["applied"] / best["run"]
    ratio_c = rate / best["copy"]
    rows = [
        (
            f"(a) one-process run / PostgreSQL scan+aggregate, {largest:,} accounts",
            f"{best['run']:.2f} s / {best['scan']:.3f} s = {ratio_a:,.0f}",
            f"<= {TARGETS['a']:g}",
            verdict(ratio_a <= TARGETS["a"]),
        ),
        (
            "    floor: COPY of the rows the run writes / the same scan",
            f"{best['floor']:.3f} s / {best['scan']:.3f} s = {floor:,.1f}",
            "",
            "",
        ),
        (
            f"(b) chunked on {WORKERS} worker processes / one process",
            f"{best['chunked']:.2f} s / {best['run']:.2f} s = {ratio_b:.2f}",
            f"<= {TARGETS['b']:g}",
            verdict(ratio_b <= TARGETS["b"]),
        ),
        (
            "(c) credits applied per s (apply step) / COPY rows per s",
            f"{rate:,.0f} / {best['copy']:,.0f} = {ratio_c:.2f}",
            f">= {TARGETS['c']:g}",
            verdict(ratio_c >= TARGETS["c"]),
        ),
        (
            "    the same over the whole run's time",
            f"{run_rate:,.0f} / {best['copy']:,.0f} = {run_rate / best['copy']:.3f}",
            "",
            "",
        ),
    ]
    if len(sizes) > 1:
        small = sizes[0]
        growth = best["run"] / results[small]["run"]
        linear = largest / small
        rows.append(
            (
                f"(d) one-process run, {small:,} -> {largest:,} accounts",
                f"{results[small]['run']:.2f} s -> {best['run']:.2f} s = {growth:.1f}x",
                f"<= {LINEAR_SLACK * linear:g}x",
                "linear" if growth <= LINEAR_SLACK * linear else "NOT linear",
            )
        )
    print()
    print(f"{'figure':<66} {'measured':<36} {'target':<9} verdict")
    for row in rows:
        print(f"{row[0]:<66} {row[1]:<36} {row[2]:<9} {row[3]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=[",".join(map(str, SIZES))],
        help="accounts, comma- or space-separated (--sizes 10000 100000)",
    )
    parser.add_argument("--repeats", type=int, default=REPEATS, help="at the smaller sizes")
    parser.add_argument("--largest-repeats", type=int, default=LARGEST_REPEATS)
    parser.add_argument("--profile", action="store_true", help="cProfile a run at the first size")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for value in args.sizes for size in value.split(",") if size)
    began = time.perf_counter()
    cluster = Cluster()
    worker = None
    try:
        datasets = load_datasets(cluster, sizes)
        if args.profile:
            print_profile(cluster, *datasets[sizes[0]])
        fresh_copy(cluster, datasets[sizes[0]][0])  # the database the worker is pointed at
        worker = Worker()
        results = {}
        for size in sizes:
            repeats = args.largest_repeats if size == sizes[-1] else args.repeats
            results[size] = measure(cluster, worker, *datasets[size], repeats)
        print()
        print(
            f"{'accounts':>9} {'billed':>7} {'credits':>7} {'run s':>8} {'scan s':>7} "
            f"{'run/scan':>8} {'chunked s':>9} {'chunked/run':>11} {'credits/s':>9} "
            f"{'COPY rows/s':>11}"
        )
        for size, best in results.items():
            loaded = datasets[size][1]
            print(
                f"{size:>9,} {loaded.billed:>7,} {best['applied']:>7,} {best['run']:>8.2f} "
                f"{best['scan']:>7.3f} {best['run'] / best['scan']:>8,.0f} "
                f"{best['chunked']:>9.2f} {best['chunked'] / best['run']:>11.2f} "
                f"{best['applied'] / best['run']:>9.1f} {best['copy']:>11,.0f}"
            )
        print_breakdown(results)
        print_figures(results)
        print(f"\nwhole benchmark: {time.perf_counter() - began:.0f} s")
    finally:
        if worker is not None:
            worker.stop()
        connections.close_all()
        cluster.close()
        clean_redis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
