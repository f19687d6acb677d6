"""Investor page URLs."""

from django.urls import path

from portfolios import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
