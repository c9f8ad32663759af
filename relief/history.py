"""The one history partial: every model a person can change uses `tracked_history()`.

Each historical row records the actor (simple-history's history_user), the change reason, and,
for changes made through a request, the client's IP address and user agent. Modelled on
readthedocs/core/history.py.
"""

from django.db import models
from django.dispatch import receiver
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class ExtraHistoryFields(models.Model):
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        abstract = True


class TranslatedHistoricalRecords(HistoricalRecords):
    """simple-history names a history table "historical <model>" in English whatever the
    language; here "historical {}" is a gettext string (the same words in English, so the
    migrations see no change)."""

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        if not self.user_set_verbose_name:
            options["verbose_name"] = format_lazy(
                gettext_lazy("historical {}"), model._meta.verbose_name
            )
        if not self.user_set_verbose_name_plural:
            options["verbose_name_plural"] = format_lazy(
                gettext_lazy("historical {}"), model._meta.verbose_name_plural
            )
        return options


def tracked_history(**kwargs) -> HistoricalRecords:
    kwargs.setdefault("bases", [ExtraHistoryFields])
    kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
    return TranslatedHistoricalRecords(**kwargs)


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@receiver(pre_create_historical_record)
def _add_request_details(sender, history_instance, **kwargs):
    request = getattr(HistoricalRecords.context, "request", None)
    if request is None or not isinstance(history_instance, ExtraHistoryFields):
        return
    history_instance.ip = client_ip(request)
    history_instance.user_agent = request.headers.get("user-agent", "")[:255]


def with_actor(instance, actor, reason: str):
    """Mark an instance's next tracked save with who made it and why."""
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance._change_reason = reason
    return instance
