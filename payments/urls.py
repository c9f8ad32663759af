"""Payments pages under /payments/: the printable roster (the other pages follow)."""

from django.urls import path

from .views import roster

app_name = "payments"
urlpatterns = [
    path("batches/<int:pk>/roster/", roster.batch_roster, name="batch-roster"),
]
