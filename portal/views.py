"""Home pages per role and organisation pages scoped to the asker."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Sum
from django.shortcuts import get_object_or_404, render

from portal.models import Organisation, Role
from sla.models import Incident, Maintenance, Policy, Subscription

HOME_TEMPLATES = {
    Role.CUSTOMER_MEMBER: "portal/home_customer.html",
    Role.RESELLER_AGENT: "portal/home_reseller.html",
    Role.REVIEWER: "portal/home_reviewer.html",
    Role.BILLING: "portal/home_billing.html",
    Role.ADMIN: "portal/home_admin.html",
}


def _accounts_with_subscriptions(user):
    subscriptions = Subscription.objects.select_related("service", "policy")
    return (
        Organisation.objects.visible_to(user)
        .customers()
        .select_related("reseller")
        .prefetch_related(Prefetch("subscriptions", queryset=subscriptions))
    )


@login_required
def home(request):
    user = request.user
    role = user.primary_role()
    context = {"role": role}
    if role in (Role.CUSTOMER_MEMBER, Role.RESELLER_AGENT):
        context["accounts"] = _accounts_with_subscriptions(user)
        context["resellers"] = Organisation.objects.visible_to(user).filter(
            kind=Organisation.Kind.RESELLER
        )
    elif role == Role.REVIEWER:
        context["incidents"] = Incident.objects.select_related("service")[:10]
        context["maintenance"] = Maintenance.objects.select_related("service")[:10]
        context["policies"] = Policy.objects.prefetch_related("versions")
    elif role == Role.BILLING:
        context["accounts"] = (
            Organisation.objects.customers()
            .select_related("reseller")
            .annotate(mrc=Sum("subscriptions__monthly_fee"), services=Count("subscriptions"))
        )
    elif role == Role.ADMIN:
        context["counts"] = {
            kind.label: Organisation.objects.filter(kind=kind).count() for kind in Organisation.Kind
        }
    template = HOME_TEMPLATES.get(role, "portal/home_none.html")
    return render(request, template, context)


@login_required
def organisation_list(request):
    organisations = Organisation.objects.visible_to(request.user).select_related("reseller")
    return render(request, "portal/organisation_list.html", {"organisations": organisations})


@login_required
def organisation_detail(request, pk):
    # Scoped lookup: another customer's organisation is a 404, never a 403 that confirms it exists.
    organisation = get_object_or_404(Organisation.objects.visible_to(request.user), pk=pk)
    subscriptions = organisation.subscriptions.select_related("service", "policy")
    end_customers = Organisation.objects.visible_to(request.user).filter(reseller=organisation)
    return render(
        request,
        "portal/organisation_detail.html",
        {
            "organisation": organisation,
            "subscriptions": subscriptions,
            "end_customers": end_customers,
        },
    )
