"""Each persona lands on its home page and sees only what it may."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.models import Organisation, User
from portal.staff_groups import group_name, sync_staff_groups

pytestmark = pytest.mark.django_db

DEMO_HOMES = {
    "admin@provider.example": "Administration",
    "reviewer1@provider.example": "Recent incidents",
    "billing@provider.example": "Accounts and monthly recurring charges",
    "alice@acme-dental.example": "Your account",
    "nora@northwind-it.example": "your end customers",
}


@pytest.mark.parametrize(("email", "heading"), DEMO_HOMES.items())
def test_each_demo_persona_logs_in_and_lands_on_its_home(client, demo, email, heading):
    response = client.post(
        reverse("login"), {"username": email.upper(), "password": "demo-credit-2026"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert heading in response.content.decode()


def test_wrong_password_says_so(client, demo):
    response = client.post(
        reverse("login"), {"username": "alice@acme-dental.example", "password": "nope"}
    )
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_customer_cannot_open_another_organisation(client, customer, other_customer_org):
    client.force_login(customer)
    response = client.get(reverse("organisation-detail", args=[other_customer_org.pk]))
    assert response.status_code == 404
    own = client.get(
        reverse("organisation-detail", args=[customer.memberships.get().organisation_id])
    )
    assert own.status_code == 200


def test_customer_cannot_open_admin(client, customer):
    client.force_login(customer)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/portal/organisation/").status_code == 403


def test_customer_home_lists_only_own_account(client, demo):
    client.force_login(User.objects.get(email="alice@acme-dental.example"))
    body = client.get(reverse("home")).content.decode()
    assert "Acme Dental" in body
    for other in ("Birch Legal", "Cedar Bakery", "Northwind IT"):
        assert other not in body


def test_reseller_sees_only_its_own_end_customers(
    client, reseller, end_customer_org, other_reseller_end_customer_org, customer_org
):
    client.force_login(reseller)
    listing = client.get(reverse("organisation-list")).content.decode()
    assert end_customer_org.name in listing
    assert other_reseller_end_customer_org.name not in listing
    assert customer_org.name not in listing
    assert client.get(reverse("organisation-detail", args=[end_customer_org.pk])).status_code == 200
    for hidden in (other_reseller_end_customer_org, customer_org):
        assert client.get(reverse("organisation-detail", args=[hidden.pk])).status_code == 404


def test_visible_to_scopes_each_role(customer, reseller, reviewer, other_customer_org):
    assert set(Organisation.objects.visible_to(customer)) == {
        customer.memberships.get().organisation
    }
    reseller_view = set(Organisation.objects.visible_to(reseller).values_list("name", flat=True))
    assert reseller_view == {"Reseller R", "End customer E"}
    assert Organisation.objects.visible_to(reviewer).count() == Organisation.objects.count()


def test_reviewer_reaches_admin_for_incidents(client, reviewer):
    sync_staff_groups()
    reviewer.groups.add(Group.objects.get(name=group_name("reviewer")))
    client.force_login(reviewer)
    assert client.get("/admin/sla/incident/").status_code == 200
    assert client.get("/admin/sla/incident/add/").status_code == 200
    assert client.get("/admin/portal/user/").status_code == 403


def test_password_reset_sends_mail(client, demo, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "alice@acme-dental.example"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
    assert mailoutbox[0].to == ["alice@acme-dental.example"]


def test_logout_ends_the_session(client, customer):
    client.force_login(customer)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302
