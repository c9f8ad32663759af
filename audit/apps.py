from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from . import (
            keys,  # noqa: F401  (registers the deploy check audit.E001)
            signals,  # noqa: F401  (findings follow a replaced extract)
        )
