from functools import update_wrapper

from django.contrib import admin
from django.core.exceptions import PermissionDenied


class PortalAdminSite(admin.AdminSite):
    site_header = "SLA credit portal administration"
    site_title = "SLA credit portal"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def refuse_logged_in_outsiders(request, *args, **kwargs):
            # A logged-in customer is refused outright (403), not sent to a login form that
            # would invite them to try someone else's password.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The admin site is for the provider's staff.")
            return inner(request, *args, **kwargs)

        return update_wrapper(refuse_logged_in_outsiders, inner)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied("The admin site is for the provider's staff.")
        return super().login(request, extra_context)
