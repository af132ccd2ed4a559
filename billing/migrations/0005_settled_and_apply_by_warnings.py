"""Billing owns "settled" and the apply-by warnings: GrantOutcome.settled_at (carried over from
Claim.credit_settled_at, which claims' 0007 then drops) and ApplyByWarning (carried over from
claims' apply-by escalations, so a warning already mailed is not mailed again)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import Exists, OuterRef


def carry_over(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Decision = apps.get_model("claims", "Decision")
    Escalation = apps.get_model("claims", "Escalation")
    GrantOutcome = apps.get_model("billing", "GrantOutcome")
    ApplyByWarning = apps.get_model("billing", "ApplyByWarning")
    # The decision in force: the latest that is not a confirmation.
    later = Decision.objects.filter(
        claim=OuterRef("claim"), sequence__gt=OuterRef("sequence")
    ).exclude(kind="confirm")
    in_force = Decision.objects.exclude(kind="confirm").exclude(Exists(later))
    settled = dict(
        Claim.objects.filter(credit_settled_at__isnull=False).values_list("pk", "credit_settled_at")
    )
    for outcome in GrantOutcome.objects.filter(claim__in=list(settled), decision__in=in_force):
        outcome.settled_at = settled[outcome.claim_id]
        outcome.save(update_fields=["settled_at"])
    ApplyByWarning.objects.bulk_create(
        ApplyByWarning(claim_id=claim, threshold=threshold, raised_at=raised_at)
        for claim, threshold, raised_at in Escalation.objects.filter(
            threshold__in=["apply_by_soon", "apply_by_passed"]
        ).values_list("claim", "threshold", "raised_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_anchor_day_on_organisation"),
        ("claims", "0006_award"),
    ]
    run_before = [("claims", "0007_remove_claim_credit_settled_at")]

    operations = [
        migrations.AddField(
            model_name="grantoutcome",
            name="settled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="ApplyByWarning",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "threshold",
                    models.CharField(
                        choices=[
                            ("apply_by_soon", "Apply-by date within seven days"),
                            ("apply_by_passed", "Apply-by date passed"),
                        ],
                        max_length=24,
                    ),
                ),
                ("raised_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="apply_by_warnings",
                        to="claims.claim",
                    ),
                ),
            ],
            options={
                "ordering": ["raised_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("claim", "threshold"), name="applybywarning_once_per_threshold"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("threshold__in", ["apply_by_soon", "apply_by_passed"])),
                        name="applybywarning_threshold_valid",
                    ),
                ],
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
