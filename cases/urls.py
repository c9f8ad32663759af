from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("households/", views.household_list, name="household-list"),
]
