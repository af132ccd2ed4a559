"""A billed party's anchor day moves to its organisation (portal), where claims can count
apply-by dates in the party's own cycles. Each account's day is carried over first."""

from django.db import migrations


def carry_over(apps, schema_editor):
    BillingAccount = apps.get_model("billing", "BillingAccount")
    Organisation = apps.get_model("portal", "Organisation")
    for organisation_id, day in BillingAccount.objects.exclude(anchor_day=1).values_list(
        "organisation_id", "anchor_day"
    ):
        Organisation.objects.filter(pk=organisation_id).update(billing_anchor_day=day)


def carry_back(apps, schema_editor):
    BillingAccount = apps.get_model("billing", "BillingAccount")
    for account in BillingAccount.objects.select_related("organisation"):
        account.anchor_day = account.organisation.billing_anchor_day
        account.save(update_fields=["anchor_day"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_grantoutcome"),
        ("portal", "0002_organisation_billing_anchor_day"),
    ]

    operations = [
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveConstraint(
            model_name="billingaccount",
            name="billingaccount_anchor_day_range",
        ),
        migrations.RemoveField(
            model_name="billingaccount",
            name="anchor_day",
        ),
    ]
