import logging

from django.apps import AppConfig

from portal.tasks import publish

logger = logging.getLogger(__name__)


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and credits"

    def ready(self):
        from claims.signals import claim_approved  # noqa: PLC0415 - apps load before ready

        claim_approved.connect(enqueue_grant, dispatch_uid="billing.enqueue_grant")


def enqueue_grant(sender, claim_id, **kwargs):
    """After an approval commits, grant its credit. If the broker is down the approval stands
    and the periodic billing run grants it (an approved claim without its grant)."""
    from billing.tasks import grant_credit  # noqa: PLC0415

    if not publish(grant_credit, claim_id):
        logger.warning("could not enqueue the grant of claim %s; the billing run will", claim_id)
