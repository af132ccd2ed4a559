from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import api_me, health, views

api_v1 = [
    path("", include("sla.api_urls")),
    path("", include("claims.api_urls")),
    path("", include("billing.api_urls")),
    path("me/", api_me.me, name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", include("sla.home_urls")),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path("organisations/search/", views.organisation_search, name="organisation-search"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path("healthz", health.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", views.account, name="account"),
    path("account/tokens/", views.token_create, name="token-create"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("accounts/reauth/", views.reauth, name="reauth"),
    path("accounts/mfa/enrol/", views.mfa_enrol, name="mfa-enrol"),
    path("accounts/mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("account/mfa/recovery-codes/", views.mfa_recovery_codes, name="mfa-recovery-codes"),
    path("account/mfa/disable/", views.mfa_disable, name="mfa-disable"),
    path("sla/", include("sla.urls")),
    path("claims/", include("claims.urls")),
    path("billing/", include("billing.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

# Errors outside any view (e.g. a middleware losing the database) are JSON under /api/.
handler404 = "portal.api.not_found"
handler500 = "portal.api.server_error"
