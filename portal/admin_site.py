from django.contrib import admin
from django.core.exceptions import PermissionDenied


class PortalAdminSite(admin.AdminSite):
    site_header = "SLA credit portal administration"
    site_title = "SLA credit portal"

    def login(self, request, extra_context=None):
        # A logged-in customer who reaches the admin is refused outright, not shown a login form.
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("The admin site is for the provider's staff.")
        return super().login(request, extra_context)
