from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "People and organisations"
    default = True

    def ready(self):
        from portal.staff_groups import sync_staff_groups  # noqa: PLC0415 - models load after ready

        post_migrate.connect(sync_staff_groups, dispatch_uid="portal.sync_staff_groups")
        import portal.auth  # noqa: F401, PLC0415 - connects the login receiver


class PortalAdminConfig(admin_apps.AdminConfig):
    """The admin site, refusing logged-in non-staff with 403 (portal.admin_site.PortalAdminSite)."""

    default = False
    default_site = "portal.admin_site.PortalAdminSite"
