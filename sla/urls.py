from django.urls import path

from sla import views

app_name = "sla"
urlpatterns = [
    path("estimate/", views.estimate, name="estimate"),
    path("subscriptions/search/", views.subscription_search, name="subscription-search"),
]
