from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("credits/", views.credit_list, name="credits"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    # Billing staff.
    path("ledger/", views.ledger, name="ledger"),
    path("run/", views.run, name="run"),
    path("run/progress/", views.run_progress, name="run-progress"),
]
