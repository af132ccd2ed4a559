"""The site's home page (`/`, named "home"): outside the sla namespace, mounted at the root."""

from django.urls import path

from sla import views

urlpatterns = [
    path("", views.home, name="home"),
]
