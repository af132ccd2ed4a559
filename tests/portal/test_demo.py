import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def snapshot():
    rows = {}
    for label in ("portal.User", "portal.Organisation", "portal.Membership", "sla.Subscription"):
        model = apps.get_model(label)
        rows[label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
    return rows


def test_demo_loader_is_idempotent(demo):
    first = snapshot()
    assert len(first["portal.Organisation"]) == 7
    assert len(first["sla.Subscription"]) == 8
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == first
