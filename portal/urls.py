from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import views

api_v1 = [
    path("", include("sla.api_urls")),
    path("", include("claims.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("sla.home_urls")),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("sla/", include("sla.urls")),
    path("claims/", include("claims.urls")),
    path("billing/", include("billing.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

# Errors outside any view (e.g. a middleware losing the database) are JSON under /api/.
handler404 = "portal.api.not_found"
handler500 = "portal.api.server_error"
