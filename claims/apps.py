from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims"

    def ready(self):
        # Register the tasks in every process (web too): claims.notifications enqueues its
        # send task by name from the Celery app's registry. Imported here, as tasks import
        # models, which load after the app registry.
        from claims import tasks  # noqa: F401, PLC0415
