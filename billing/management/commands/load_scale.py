"""Load a provider's portal at size (bench.scale_data): accounts, resellers, claims in every
state with their reviews, proofs with long logs, messages, invoices and the ledger."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import scale_data
from sla.management.commands.load_demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Load deterministic generated data of a provider's size into a migrated database that "
        "holds no claims yet (a fresh migrate, or make run's demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=10_000, help="customer accounts")
        parser.add_argument("--claims", type=int, default=100_000)
        parser.add_argument(
            "--long-logs",
            type=int,
            default=3,
            help=f"claims with {scale_data.LONG_PROOFS} ping logs of "
            f"{scale_data.LONG_LINES:,} lines each",
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, accounts, claims, long_logs, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "load_scale writes with PostgreSQL's COPY: run it with "
                "DATABASE_URL=postgres://... (see README, Trying it at size)."
            )
        if accounts < 4 or claims < len(scale_data.STATES):
            raise CommandError(
                f"--accounts must be at least 4 and --claims at least {len(scale_data.STATES)}."
            )
        if claims > accounts * 200:
            raise CommandError("At most 200 claims an account: raise --accounts.")
        started = time.monotonic()
        try:
            loaded = scale_data.load(
                accounts, claims, long_logs=long_logs, seed=seed, say=self.stdout.write
            )
        except scale_data.NotEmpty as exc:
            raise CommandError(
                f"Refused: {exc}. load_scale writes into a migrated database with no claims "
                "(a fresh one, or make run's demo data only)."
            ) from None
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Loaded in {seconds:.0f} s: {loaded.accounts:,} accounts "
            f"({loaded.organisations:,} organisations), {loaded.subscriptions:,} subscriptions, "
            f"{loaded.claims:,} claims, {loaded.proofs:,} proofs, {loaded.messages:,} messages, "
            f"{loaded.invoices:,} invoices, {loaded.ledger:,} ledger entries."
        )
        self.stdout.write(
            "Claims by state: "
            + ", ".join(f"{state} {count:,}" for state, count in sorted(loaded.states.items()))
        )
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for email, role in loaded.logins:
            self.stdout.write(f"  {email:<42} {role}")
