"""Awards as data (claims.models.Award): the table, append-only on PostgreSQL like decisions,
and the awards of every decision made before it existed, so a database with history keeps
granting, correcting and reversing as before.

The history is read from what was stored then: each effective approval's amount allocated
over its settlement's per-month engine credits (the only place those were kept, as rendered
JSON: read here once, never again at run time), with the allocation of claims.services.awards
frozen below. An approval still waiting for its second reviewer is not effective yet and gets
its awards when it is confirmed."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def allocate(amount, rows):
    """claims.services.awards.allocate as of this migration."""
    if not rows:
        return {}
    engine_total = sum(credit for _, _, credit in rows)
    if amount == engine_total:
        return {(subscription, month): credit for subscription, month, credit in rows}
    weights = [credit for _, _, credit in rows] if engine_total > 0 else [Decimal(1)] * len(rows)
    weight_total = sum(weights)
    allocated, shares = ZERO, {}
    for index, ((subscription, month, _), weight) in enumerate(zip(rows, weights, strict=True)):
        if index == len(rows) - 1:
            share = amount - allocated
        else:
            share = (amount * weight / weight_total).quantize(CENT, ROUND_HALF_UP)
            share = min(share, amount - allocated)
        allocated += share
        shares[(subscription, month)] = share
    return shares


def engine_credits(settlement):
    rows = []
    for quote in settlement.quotes if settlement is not None else []:
        for month in quote["months"]:
            year, number = (int(part) for part in month["month"].split("-"))
            rows.append((quote["subscription"], dt.date(year, number, 1), Decimal(month["credit"])))
    return rows


def award_history(apps, schema_editor):
    Claim = apps.get_model("claims", "Claim")
    Decision = apps.get_model("claims", "Decision")
    Award = apps.get_model("claims", "Award")
    awards = []
    claims = Claim.objects.filter(decisions__isnull=False).distinct().select_related(
        "policy_version"
    )
    for claim in claims.iterator():
        decisions = list(
            Decision.objects.filter(claim=claim).select_related("settlement").order_by("sequence")
        )
        confirmed_at = {d.confirms_id: d.decided_at for d in decisions if d.kind == "confirm"}
        deciding = [d for d in decisions if d.kind != "confirm"]
        awarded = set()
        for decision in deciding:
            if decision.kind == "approve":
                pending = decision is deciding[-1] and claim.state == "awaiting_second"
                if pending:
                    continue
                if decision.pk in confirmed_at:
                    at = confirmed_at[decision.pk]
                else:
                    at = decision.decided_at
                shares = allocate(decision.amount, engine_credits(decision.settlement))
            else:
                at, shares = decision.decided_at, {}
            for key in awarded:
                shares.setdefault(key, ZERO)
            awarded |= set(shares)
            awards += [
                Award(
                    decision=decision,
                    claim=claim,
                    subscription_id=subscription,
                    service_month=month,
                    amount=amount,
                    cap_basis=claim.policy_version.cap_basis,
                    created_at=at,
                )
                for (subscription, month), amount in shares.items()
            ]
    Award.objects.bulk_create(awards, batch_size=1000)


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # claims_refuse_change() is migration 0004's.
        schema_editor.execute(
            "CREATE TRIGGER claims_award_append_only BEFORE UPDATE OR DELETE ON claims_award "
            "FOR EACH ROW EXECUTE FUNCTION claims_refuse_change()"
        )


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS claims_award_append_only ON claims_award")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_claim_credit_settled_at"),
        ("sla", "0003_policyversion_decision_days"),
    ]

    operations = [
        migrations.CreateModel(
            name="Award",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "service_month",
                    models.DateField(help_text="First day of the month (policy time) credited."),
                ),
                ("amount", models.DecimalField(decimal_places=2, max_digits=12)),
                (
                    "cap_basis",
                    models.CharField(
                        choices=[
                            ("mrc_paid", "Account's recurring charge actually paid for the month"),
                            ("service_fee", "The impacted service's fee for the month"),
                        ],
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="awards",
                        to="claims.claim",
                    ),
                ),
                (
                    "decision",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="awards",
                        to="claims.decision",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="sla.subscription",
                    ),
                ),
            ],
            options={
                "ordering": ["decision", "subscription", "service_month"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("decision", "subscription", "service_month"),
                        name="award_one_per_decision_month",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("amount__gte", 0)), name="award_amount_not_negative"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("cap_basis__in", ["mrc_paid", "service_fee"])),
                        name="award_cap_basis_valid",
                    ),
                ],
            },
        ),
        migrations.RunPython(award_history, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
