from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and credits"

    def ready(self):
        # Imported here, not at the top: tasks import models, which load after the app registry.
        from billing import tasks  # noqa: PLC0415
        from billing.status import LedgerStatus  # noqa: PLC0415
        from claims import status  # noqa: PLC0415
        from claims.signals import awards_written  # noqa: PLC0415

        awards_written.connect(tasks.nudge_grant, dispatch_uid="billing.nudge_grant")
        # The claim page, the claims API and the mail read credit status from the ledger.
        status.register(LedgerStatus())
