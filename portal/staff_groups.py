"""The admin-site permissions each provider role gets, kept as Django groups.

Synchronised after every migrate, so a fresh deployment and the demo have the same groups.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from portal.models import Role

# (app_label, model) -> actions, per role. View everything the role works with; change only
# the records the role keeps.
STAFF_PERMISSIONS = {
    Role.REVIEWER: {
        ("portal", "organisation"): ["view"],
        ("portal", "membership"): ["view"],
        ("sla", "service"): ["view"],
        ("sla", "policy"): ["view"],
        ("sla", "policyversion"): ["view"],
        ("sla", "exceptioncategory"): ["view"],
        ("sla", "subscription"): ["view"],
        ("sla", "incident"): ["view", "add", "change"],
        ("sla", "maintenance"): ["view", "add", "change"],
    },
    Role.BILLING: {
        ("portal", "organisation"): ["view", "change"],
        ("sla", "service"): ["view"],
        ("sla", "policy"): ["view"],
        ("sla", "policyversion"): ["view"],
        ("sla", "subscription"): ["view", "add", "change"],
        ("sla", "incident"): ["view"],
        ("sla", "maintenance"): ["view"],
        ("billing", "billingaccount"): ["view", "add", "change"],
        ("billing", "invoice"): ["view"],
        ("billing", "invoiceline"): ["view"],
        ("billing", "payment"): ["view", "add"],
        ("billing", "creditentry"): ["view"],
        ("billing", "grantoutcome"): ["view"],
    },
}


def group_name(role):
    return Role(role).label


def sync_staff_groups(app_config=None, **kwargs):
    # post_migrate is sent once per app; act once, after the last, when every permission exists.
    if app_config is not None and app_config is not list(apps.get_app_configs())[-1]:
        return
    for role, grants in STAFF_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for (app_label, model), actions in grants.items():
            codenames = [f"{action}_{model}" for action in actions]
            wanted += Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        group.permissions.set(wanted)
