from django.urls import path

from .views import households

app_name = "cases"
urlpatterns = [
    # Registry pages (cases/views/households.py and friends).
    path("households/", households.household_list, name="household-list"),
    # Caseload import pages (cases/views/imports.py) go below this line.
]
