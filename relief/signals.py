"""Receivers: logins, logouts and failed logins are audit events; logging out and a changed
password end the user's API tokens; a change of the administrators' holiday table recomputes
what depends on the calendar (relief.workdays)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from . import tokens, workdays
from .models import AuditEvent, CalendarDay
from .services import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=user, action=AuditEvent.Action.LOGIN, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action=AuditEvent.Action.LOGOUT, request=request)
        # Logging out ends the user's API sessions too: a token obtained on a shared office
        # computer does not outlive the person's leaving it.
        tokens.tokens_revoke_all(user=user)


# A changed password ends the user's API tokens, whichever way it was changed: the password
# change page, the administration, `changepassword`, or set_password() and save() in code. The
# password hash as loaded is remembered, and compared when the user is saved.
_NOT_LOADED = object()


@receiver(post_init, sender=settings.AUTH_USER_MODEL)
def _remember_password(sender, instance, **kwargs):
    # __dict__, not the attribute: a deferred password must not cost a query.
    instance._relief_loaded_password = instance.__dict__.get("password", _NOT_LOADED)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _password_changed(sender, instance, created, update_fields, **kwargs):
    current = instance.__dict__.get("password", _NOT_LOADED)
    loaded = getattr(instance, "_relief_loaded_password", _NOT_LOADED)
    instance._relief_loaded_password = current
    if created or (update_fields is not None and "password" not in update_fields):
        return
    # set_password() leaves the raw password in _password until save() has run. A hash that
    # differs without it is a hash set directly on a full save; Django's own hash upgrade at
    # login saves only the password field without _password and is no change of password.
    changed = getattr(instance, "_password", None) is not None or (
        update_fields is None and _NOT_LOADED not in (current, loaded) and current != loaded
    )
    if changed:
        tokens.tokens_revoke_all(user=instance)


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
