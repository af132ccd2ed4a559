"""`python manage.py quote_credit [--input FILE]`: the quote contract of SLA_RULES.md.

Reads JSON from FILE or standard input, writes the quote JSON to standard output. Bad input:
exit status 2 and one line on standard error naming the field; never a traceback.
"""

import json
import sys

from django.core.management.base import BaseCommand

from sla.engine import QuoteInputError
from sla.quotes import quote_payload


class Command(BaseCommand):
    help = "Quote SLA credits for JSON input (see SLA_RULES.md, 'The quote contract')."

    def add_arguments(self, parser):
        parser.add_argument("--input", metavar="FILE", help="Read JSON from FILE (default stdin).")
        parser.add_argument(
            "--breakdown", action="store_true", help="Add each month's breakdown lines."
        )

    def handle(self, *args, input=None, breakdown=False, **options):
        try:
            text = self._read(input)
            result = quote_payload(text, breakdown=breakdown)
        except QuoteInputError as exc:
            self._refuse(str(exc))
        self.stdout.write(json.dumps(result))

    def _read(self, path):
        if path is None:
            return sys.stdin.buffer.read()
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as exc:
            self._refuse(f"--input: cannot read {path}: {exc.strerror}")

    def _refuse(self, message):
        sys.stderr.write(message.replace("\n", " ") + "\n")
        sys.stderr.flush()
        sys.exit(2)
