from django.urls import path

from sla.api import QuoteView

urlpatterns = [
    path("quotes/", QuoteView.as_view(), name="api-quotes"),
]
