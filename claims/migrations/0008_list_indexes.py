"""Indexes the claims lists filter and sort on (issue #11): newest first, by state, and the
review queue's due-first order over the states it lists."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("claims", "0007_remove_claim_credit_settled_at")]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["created_at", "id"], name="claim_created_id"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["state"], name="claim_state"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                condition=models.Q(
                    state__in=["submitted", "under_review", "info_requested", "awaiting_second"]
                ),
                fields=["decision_due_at", "submitted_at", "id"],
                name="claim_queue_due",
            ),
        ),
    ]
