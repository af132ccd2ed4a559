"""Mail about claims, sent by Celery after the transaction that changed the claim commits."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from claims.models import Claim, reviewers


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
    acks_late=True,
)
def notify_claim_filed(claim_id):
    """Tell the claimant their claim was received, and the reviewers that one is waiting."""
    claim = Claim.objects.select_related("account", "filed_by", "policy_version__policy").get(
        pk=claim_id
    )
    context = {"claim": claim, "lines": claim.lines.select_related("subscription__service")}
    send_mail(
        f"Claim {claim.reference} received",
        render_to_string("claims/mail/filed_claimant.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [claim.filed_by.email],
    )
    staff = list(reviewers().values_list("email", flat=True))
    if staff:
        send_mail(
            f"New SLA claim {claim.reference} from {claim.account}",
            render_to_string("claims/mail/filed_reviewers.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            staff,
        )
