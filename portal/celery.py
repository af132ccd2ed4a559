"""The Celery application. Configuration comes from Django settings (CELERY_* names, read by
portal.celeryconfig when the app first needs it)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("portal.celeryconfig")
app.autodiscover_tasks()
