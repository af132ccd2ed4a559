from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db


def sweep_sent(ago):
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="send-pending-notifications",
        defaults={
            "task": "claims.tasks.send_pending",
            "interval": every,
            "last_run_at": timezone.now() - ago,
        },
    )


def test_beat_that_sent_the_sweep_lately_is_alive(capsys):
    sweep_sent(timedelta(minutes=2))
    call_command("beat_alive", "--within", "600")
    assert "beat sent send-pending-notifications" in capsys.readouterr().out


def test_beat_that_sent_nothing_for_long_is_not():
    sweep_sent(timedelta(minutes=30))
    with pytest.raises(CommandError, match="beat has not sent send-pending-notifications"):
        call_command("beat_alive", "--within", "600")


def test_beat_that_never_ran_is_not():
    PeriodicTask.objects.filter(name="send-pending-notifications").delete()
    with pytest.raises(CommandError):
        call_command("beat_alive")
