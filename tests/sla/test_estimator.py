"""The credit estimator page: scoped to the asker, in the asker's timezone, explained."""

import pytest
from django.urls import reverse

from portal.models import User
from sla.models import Maintenance, Service, Subscription

pytestmark = pytest.mark.django_db
URL = reverse("sla:estimate")


def form_data(subscription, rows, tz="UTC"):
    data = {
        "subscription": subscription.pk,
        "timezone": tz,
        "interval-TOTAL_FORMS": str(max(3, len(rows))),
        "interval-INITIAL_FORMS": "0",
        "interval-MIN_NUM_FORMS": "0",
        "interval-MAX_NUM_FORMS": "50",
    }
    for index, (start, end, *exception) in enumerate(rows):
        data[f"interval-{index}-start"] = start
        data[f"interval-{index}-end"] = end
        data[f"interval-{index}-exception"] = exception[0] if exception else ""
    return data


@pytest.fixture
def alice(demo, client):
    user = User.objects.get(email="alice@acme-dental.example")
    client.force_login(user)
    return user


def subscription(org, service):
    return Subscription.objects.get(organisation__name=org, service__slug=service)


def test_estimate_prices_an_outage_with_its_breakdown(client, alice):
    email = subscription("Acme Dental", "email")  # 310.00, onepointsync
    response = client.post(URL, form_data(email, [("2026-03-10T12:00", "2026-03-10T12:47")]))
    quote = response.context["result"]["quote"]
    # 47 min -> 3 complete blocks x 310.00 / 31 days = 30.00
    assert str(quote.credit) == "30.00"
    body = response.content.decode()
    assert "30.00 USD" in body
    assert "3 complete 15-minute blocks" in body


def test_times_are_read_in_the_chosen_timezone(client, alice):
    email = subscription("Acme Dental", "email")
    # 2026-03-31 23:30 to 2026-04-01 00:30 in New York (EDT, UTC-04:00) is
    # 03:30 to 04:30 UTC on 1 April = 20:30 to 21:30 on 31 March in policy time (UTC-07:00):
    # all of it in March, 60 min -> 4 blocks x 310.00 / 31 = 40.00.
    response = client.post(
        URL,
        form_data(email, [("2026-03-31T23:30", "2026-04-01T00:30")], tz="America/New_York"),
    )
    quote = response.context["result"]["quote"]
    assert [m.month for m in quote.months] == ["2026-03"]
    assert str(quote.credit) == "40.00"


def test_recorded_maintenance_is_excused(client, alice):
    email = subscription("Acme Dental", "email")
    Maintenance.objects.create(
        service=Service.objects.get(slug="email"),
        # 10:00-11:00 policy time (UTC-07:00), announced a week ahead: excused.
        starts_at="2026-03-10T17:00:00Z",
        ends_at="2026-03-10T18:00:00Z",
        notice_at="2026-03-03T17:00:00Z",
        summary="Mail store upgrade",
    )
    # Down 10:00-11:30 policy time: 60 min excused, 30 min qualifying -> 2 blocks = 20.00
    response = client.post(URL, form_data(email, [("2026-03-10T17:00", "2026-03-10T18:30")]))
    assert str(response.context["result"]["quote"].credit) == "20.00"
    assert "Provider maintenance considered" in response.content.decode()


def test_another_customers_subscription_is_refused(client, alice):
    birch = subscription("Birch Legal", "email")
    response = client.post(URL, form_data(birch, [("2026-03-10T12:00", "2026-03-10T12:47")]))
    assert response.context["result"] is None
    assert "Select a valid choice" in response.content.decode()
    assert "Birch Legal" not in response.content.decode()


def test_reseller_chooses_among_its_end_customers_only(client, demo):
    client.force_login(User.objects.get(email="nora@northwind-it.example"))
    choices = client.get(URL).context["form"].fields["subscription"].queryset
    assert {s.organisation.name for s in choices} == {
        "Cedar Bakery",
        "Delta Logistics",
        "Elm Architects",
    }


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("2026-03-10T14:00", "2026-03-10T13:00")], "The end must be after the start."),
        ([("2026-03-10T14:00", "")], "Enter the end too, or clear this row."),
        ([("yesterday", "2026-03-10T13:00")], "Enter a date and time like 2026-03-10 14:00."),
        ([], "Enter at least one outage: its start and end."),
    ],
)
def test_bad_intervals_say_what_to_fix(client, alice, rows, message):
    email = subscription("Acme Dental", "email")
    response = client.post(URL, form_data(email, rows))
    assert response.context["result"] is None
    assert message in response.content.decode()


def test_a_time_that_does_not_exist_in_the_timezone_is_refused(client, alice):
    email = subscription("Acme Dental", "email")
    # 02:30 on 8 March 2026 does not exist in New York (clocks jump from 02:00 to 03:00).
    response = client.post(
        URL, form_data(email, [("2026-03-08T02:30", "2026-03-08T04:00")], tz="America/New_York")
    )
    assert response.context["result"] is None
    assert "couldn’t be interpreted in time zone" in response.content.decode()


def test_htmx_request_gets_only_the_result(client, alice):
    email = subscription("Acme Dental", "email")
    response = client.post(
        URL, form_data(email, [("2026-03-10T12:00", "2026-03-10T12:47")]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="credit"' in body


def test_estimator_needs_a_login(client, db):
    assert client.get(URL).status_code == 302
