from django.urls import path

from billing import export, overview, views, webhooks

app_name = "billing"
urlpatterns = [
    path("credits/", views.credit_list, name="credits"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    # Resellers: the overview per end customer, exports, webhooks.
    path("resellers/overview/", overview.overview, name="overview"),
    path("export/claims.csv", export.claims_csv, name="export-claims"),
    path("export/credits.csv", export.credits_csv, name="export-credits"),
    path("webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.endpoint_detail, name="webhook"),
    path("webhooks/<int:pk>/toggle/", webhooks.endpoint_toggle, name="webhook-toggle"),
    path("webhooks/<int:pk>/test/", webhooks.endpoint_test, name="webhook-test"),
    # Billing staff.
    path("ledger/", views.ledger, name="ledger"),
    path("run/", views.run, name="run"),
    path("run/progress/", views.run_progress, name="run-progress"),
]
