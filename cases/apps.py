from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Connects the calendar_changed receiver that recomputes open due dates.
        from .workflow import clocks  # noqa: F401
