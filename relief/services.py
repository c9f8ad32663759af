from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .history import client_ip, with_actor
from .models import AuditEvent, CalendarDay


def record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target=None,
    town_code: str = "",
    request=None,
    username: str = "",
    **data,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_username=actor.get_username() if is_user else username,
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        town_code=town_code,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:255] if request is not None else "",
        data=data,
    )


@transaction.atomic
def calendar_day_save(
    *, actor, day, kind: str, name: str, note: str = "", reason: str
) -> CalendarDay:
    """Enter (or correct) one day of the holiday schedule. Saving it recomputes the open due
    dates through relief.workdays.calendar_changed, in this transaction."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the schedule changes.")})
    entry = CalendarDay.objects.filter(day=day).first() or CalendarDay(day=day)
    entry.kind, entry.name, entry.note = kind, name, note
    entry.full_clean()
    with_actor(entry, actor, reason)
    entry.save()
    return entry


@transaction.atomic
def calendar_day_delete(*, actor, entry, reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the schedule changes.")})
    with_actor(entry, actor, reason)
    entry.delete()
