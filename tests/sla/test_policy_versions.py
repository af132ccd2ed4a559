"""Policies are versioned: a change is a new version from a date on, and the version in force
when the downtime happened is the one applied."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from sla import engine
from sla.models import Policy

pytestmark = pytest.mark.django_db


def test_shipped_policies_match_the_engine_constants():
    for slug, shipped in engine.SHIPPED_POLICIES.items():
        policy = Policy.objects.get(slug=slug)
        terms = policy.current_version().terms()
        assert terms.kind == shipped.kind
        assert terms.target_percent == shipped.target_percent
        assert terms.timezone == shipped.timezone
        assert terms.maintenance_rule == shipped.maintenance_rule
        assert terms.honours_exceptions == shipped.honours_exceptions
        assert set(terms.exception_slugs) == set(shipped.exception_slugs)
        assert terms.cap_basis == shipped.cap_basis
        assert terms.tiers == shipped.tiers
        if shipped.kind == "per_block":
            assert (terms.block_minutes, terms.block_rounding) == (15, "complete")
            assert (terms.window_start, terms.window_end) == (dt.time(10), dt.time(2))
            assert terms.notice_hours == 72
        if shipped.kind == "hourly":
            assert (terms.hourly_divisor, terms.hour_rounding) == (Decimal(720), "ceil")


def test_a_saved_version_cannot_be_edited():
    version = Policy.objects.get(slug="groupspark").versions.get()
    version.target_percent = Decimal("99.9")
    with pytest.raises(ValidationError):
        version.save()


def new_version(policy, day, **changes):
    current = policy.versions.order_by("-effective_from").first()
    categories = list(current.exception_categories.all())
    current.pk = None
    current._state.adding = True
    current.effective_from = day
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()
    current.exception_categories.set(categories)
    return current


def test_the_version_in_force_when_the_downtime_happened_applies():
    policy = Policy.objects.get(slug="groupspark")
    new_version(policy, dt.date(2026, 4, 1), hourly_divisor=Decimal("360"))
    policy = Policy.objects.get(pk=policy.pk)
    request = engine.QuoteRequest(
        policy="groupspark",
        monthly_fee=Decimal("720.00"),
        downtime=(
            # March (old version): 1 started hour x 720 / 720 = 1.00
            engine.Downtime(
                dt.datetime(2026, 3, 10, 19, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 10, 19, 20, tzinfo=dt.UTC),
            ),
            # April (new version): 1 started hour x 720 / 360 = 2.00
            engine.Downtime(
                dt.datetime(2026, 4, 10, 19, tzinfo=dt.UTC),
                dt.datetime(2026, 4, 10, 19, 20, tzinfo=dt.UTC),
            ),
        ),
    )
    result = engine.quote(policy.terms_for(), request)
    assert [(m.month, m.credit) for m in result.months] == [
        ("2026-03", Decimal("1.00")),
        ("2026-04", Decimal("2.00")),
    ]
    assert result.credit == Decimal("3.00")


def test_versions_start_on_a_day_in_policy_time():
    policy = Policy.objects.get(slug="groupspark")  # UTC-05:00
    new_version(policy, dt.date(2026, 4, 1), target_percent=Decimal("99.9"))
    policy = Policy.objects.get(pk=policy.pk)
    # 2026-04-01 03:00 UTC is still 2026-03-31 22:00 in policy time: the old version.
    before = policy.version_at(dt.datetime(2026, 4, 1, 3, tzinfo=dt.UTC))
    after = policy.version_at(dt.datetime(2026, 4, 1, 5, tzinfo=dt.UTC))
    assert before.target_percent == Decimal("99.999")
    assert after.target_percent == Decimal("99.9")


def test_admin_edit_saves_a_new_version_and_keeps_the_old(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root@provider.example", "pw")
    client.force_login(admin)
    version = Policy.objects.get(slug="tiered-example").versions.get()
    url = f"/admin/sla/policyversion/{version.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        policy=version.policy_id,
        effective_from="2026-05-01",
        target_percent="99.95",
        tiers='[["99.95", "10"], ["99.0", "25"], ["95.0", "100"]]',
        window_start="00:00:00",
        window_end="00:00:00",
        exception_categories=[c.pk for c in version.exception_categories.all()],
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list) or k == "exception_categories"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    versions = list(Policy.objects.get(slug="tiered-example").versions.order_by("effective_from"))
    assert [v.target_percent for v in versions] == [Decimal("99.99000"), Decimal("99.95000")]
    assert versions[1].exception_categories.count() == 10


def test_admin_edit_refuses_the_same_start_day(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root@provider.example", "pw")
    client.force_login(admin)
    version = Policy.objects.get(slug="tiered-example").versions.get()
    url = f"/admin/sla/policyversion/{version.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        policy=version.policy_id,
        tiers=json.dumps(version.tiers),
        window_start="00:00:00",
        window_end="00:00:00",
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "choose the first day it applies from" in response.content.decode()
    assert Policy.objects.get(slug="tiered-example").versions.count() == 1
