"""Ships the service catalogue, groupSPARK's ten Exception categories, and the three policies
exactly as ../shared/SLA_RULES.md describes them."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

SERVICES = [
    ("email", "Email"),
    ("voip", "VoIP"),
    ("remote-desktop", "Remote desktop"),
    ("data-backup", "Data backup"),
    ("hosted-exchange", "Hosted MS Exchange"),
]

# groupSPARK SLA, C.1(a), in the agreement's order.
EXCEPTIONS = [
    ("force-majeure-or-third-party", "Beyond the provider's control, incl. third-party services and software failures"),
    ("hardware-not-provider", "Hardware failure not caused solely by the provider"),
    ("customer-circuit", "Failure of circuits used to reach the provider, not caused solely by the provider"),
    ("dns-issue", "DNS issues not caused solely by the provider"),
    ("customer-internet", "Reseller's or end customer's Internet access"),
    ("customer-act-or-omission", "Acts or omissions of the reseller or end customer"),
    ("non-compliant-use", "Use not complying with the End User Terms of Service or law"),
    ("dns-propagation", "DNS propagation"),
    ("internet-outage", "Internet outages"),
    ("browser-or-dns-cache", "Browser or DNS caching issues"),
]

SHIPPED = dt.date(2000, 1, 1)

POLICIES = [
    {
        "slug": "onepointsync",
        "name": "OnePointSync SLA",
        "timezone": "UTC-07:00",
        "version": {
            "kind": "per_block",
            "target_percent": Decimal("99.99"),
            "block_minutes": 15,
            "block_rounding": "complete",
            "day_rate_basis": "days_in_month",
            "maintenance_rule": "noticed_in_window",
            "notice_hours": 72,
            "window_start": dt.time(10, 0),
            "window_end": dt.time(2, 0),
            "honours_exceptions": False,
            "cap_basis": "mrc_paid",
            "apply_by_cycles": 1,
            "requires_good_standing": True,
            "required_evidence": "network_test",
            "requires_representation": False,
            "payout_on_termination": False,
            "note": "As shipped: SLA_RULES.md, onepointsync.",
        },
        "exceptions": False,
        "agreement": "000_c1166e9883344065.txt",
    },
    {
        "slug": "groupspark",
        "name": "groupSPARK Reseller SLA",
        "timezone": "UTC-05:00",
        "version": {
            "kind": "hourly",
            "target_percent": Decimal("99.999"),
            "hourly_divisor": Decimal("720"),
            "hour_rounding": "ceil",
            "maintenance_rule": "all",
            "window_start": dt.time(23, 0),
            "window_end": dt.time(7, 0),
            "honours_exceptions": True,
            "cap_basis": "service_fee",
            "apply_by_cycles": 2,
            "requires_good_standing": False,
            "required_evidence": "none",
            "requires_representation": True,
            "payout_on_termination": True,
            "note": "As shipped: SLA_RULES.md, groupspark.",
        },
        "exceptions": True,
        "agreement": "004_2848725c670e6b3c.txt",
    },
    {
        "slug": "tiered-example",
        "name": "Tiered example SLA",
        "timezone": "UTC",
        "version": {
            "kind": "tiered",
            "target_percent": Decimal("99.99"),
            "tiers": [["99.99", "10"], ["99.0", "25"], ["95.0", "100"]],
            "maintenance_rule": "all",
            "honours_exceptions": True,
            "cap_basis": "service_fee",
            "requires_good_standing": False,
            "required_evidence": "none",
            "requires_representation": False,
            "payout_on_termination": False,
            "note": "As shipped: SLA_RULES.md, tiered-example.",
        },
        "exceptions": True,
        "agreement": None,
    },
]


def ship(apps, schema_editor):
    Service = apps.get_model("sla", "Service")
    ExceptionCategory = apps.get_model("sla", "ExceptionCategory")
    Policy = apps.get_model("sla", "Policy")
    PolicyVersion = apps.get_model("sla", "PolicyVersion")
    for position, (slug, name) in enumerate(SERVICES):
        Service.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})
    categories = []
    for position, (slug, name) in enumerate(EXCEPTIONS):
        category, _ = ExceptionCategory.objects.update_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
        categories.append(category)
    for spec in POLICIES:
        policy, _ = Policy.objects.get_or_create(
            slug=spec["slug"], defaults={"name": spec["name"], "timezone": spec["timezone"]}
        )
        version, made = PolicyVersion.objects.get_or_create(
            policy=policy, effective_from=SHIPPED, defaults=spec["version"]
        )
        if made and spec["exceptions"]:
            version.exception_categories.set(categories)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
