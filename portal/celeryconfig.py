"""Celery's configuration: Django's CELERY_* settings under Celery's own lower-case names.

Not `config_from_object(settings, namespace="CELERY")`: with a namespace, Celery 5.6 prefers
the CELERY_-prefixed key to a value set later as `app.conf.task_default_queue = ...`, so a
change made at run time (a test's private queue) would be silently ignored.
"""

from django.conf import settings

PREFIX = "CELERY_"

globals().update(
    {
        name.removeprefix(PREFIX).lower(): getattr(settings, name)
        for name in dir(settings)
        if name.startswith(PREFIX)
    }
)
