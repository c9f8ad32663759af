"""Receivers: logins, logouts and failed logins are audit events; a change of the
administrators' holiday table recomputes what depends on the calendar (relief.workdays)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import workdays
from .models import AuditEvent, CalendarDay
from .services import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=user, action=AuditEvent.Action.LOGIN, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action=AuditEvent.Action.LOGOUT, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    record(
        actor=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", ""))[:150],
    )


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def _calendar_day_changed(sender, instance, using, **kwargs):
    # to_python: a row created with day="2027-01-01" still holds the string after saving.
    day = sender._meta.get_field("day").to_python(instance.day)
    years = {day.year}
    loaded_day = getattr(instance, "_loaded_day", None)
    if loaded_day is not None:
        years.add(loaded_day.year)
    instance._loaded_day = day
    workdays.table_changed(sender=sender, years=years, using=using)
