"""The one history partial: every model a person can change uses `tracked_history()`.

Each historical row records the actor (simple-history's history_user), the change reason, and,
for changes made through a request, the client's IP address and user agent. Modelled on
readthedocs/core/history.py.
"""

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


class ExtraHistoryFields(models.Model):
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        abstract = True


def tracked_history(**kwargs) -> HistoricalRecords:
    kwargs.setdefault("bases", [ExtraHistoryFields])
    kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
    return HistoricalRecords(**kwargs)


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
