from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReliefConfig(AppConfig):
    name = "relief"
    verbose_name = _("Relief")

    def ready(self):
        from django.apps import apps

        from . import checks, signals  # noqa: F401

        # django-axes names its admin section "Axes" in every language.
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Login lockouts")
