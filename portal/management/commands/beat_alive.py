"""`manage.py beat_alive`: exit 0 when Celery beat has sent the mail sweep recently (compose's
health check of the beat service), 1 with a message when it has not."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

# Due every minute (settings.CELERY_BEAT_SCHEDULE): the liveliest sign of a running beat.
WATCHED = "send-pending-notifications"


class Command(BaseCommand):
    help = "Exit 1 unless Celery beat sent the mail sweep within --within seconds."

    def add_arguments(self, parser):
        parser.add_argument("--within", type=int, default=600, help="seconds (default 600)")

    def handle(self, *args, within, **options):
        last = (
            PeriodicTask.objects.filter(name=WATCHED).values_list("last_run_at", flat=True).first()
        )
        if last is None or last < timezone.now() - timedelta(seconds=within):
            raise CommandError(f"beat has not sent {WATCHED} within {within} s (last: {last})")
        self.stdout.write(f"beat sent {WATCHED} at {last.isoformat()}")
