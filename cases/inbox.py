"""The in-app inbox: notifications written by the workflow and the daily sweep, and marking them
read. A notification's key is unique per user, so writing the same reminder twice writes it
once; an email goes out for each new notification when an SMTP server is configured."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from .models import Application, Notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    user_id: int
    kind: str
    key: str
    message: str
    application_id: int | None = None
    url: str = ""


def application_url(application_id: int) -> str:
    """The application's page: where a reminder takes its reader."""
    return reverse("cases:application-detail", args=[application_id])


def email_configured() -> bool:
    """An SMTP server was configured (EMAIL_HOST set in the settings, not Django's default)."""
    return settings.is_overridden("EMAIL_HOST") and bool(settings.EMAIL_HOST)


def notify_many(messages: list[Message], *, now=None) -> list[Notification]:
    """Write the messages that are not in their users' inboxes yet (by key) in one query, and
    return the new ones. The unique (user, key) constraint is the last word under concurrency."""
    now = now or timezone.now()
    unique = {(m.user_id, m.key): m for m in messages}
    if not unique:
        return []
    keys = {key for _user, key in unique}
    existing = set(
        Notification.objects.filter(key__in=keys, user_id__in={u for u, _k in unique}).values_list(
            "user_id", "key"
        )
    )
    new = [
        Notification(
            user_id=m.user_id,
            kind=m.kind,
            key=m.key,
            message=m.message[:500],
            url=m.url or (application_url(m.application_id) if m.application_id else ""),
            application_id=m.application_id,
            created_at=now,
        )
        for pair, m in unique.items()
        if pair not in existing
    ]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    if new and email_configured():
        ids = [n.user_id for n in new]
        emails = dict(
            get_user_model()
            .objects.filter(pk__in=ids, is_active=True)
            .exclude(email="")
            .values_list("pk", "email")
        )
        outgoing = [(emails[n.user_id], n.message, n.url) for n in new if n.user_id in emails]
        if outgoing:
            transaction.on_commit(lambda: _send_emails(outgoing))
    return new


def _send_emails(outgoing) -> int:
    sent = 0
    for address, message, url in outgoing:
        try:
            send_mail(
                subject=message[:78],
                message=f"{message}\n\n{url}",
                from_email=None,
                recipient_list=[address],
                fail_silently=False,
            )
            sent += 1
        except Exception:
            # A mail failure must not stop the reminders: the inbox already has them.
            logger.exception("reminder email to %s failed", address)
    return sent


def notify(*, user_id: int, kind: str, key: str, message: str, application: Application | None):
    return notify_many(
        [Message(user_id, kind, key, message, application.pk if application else None)]
    )


def notification_mark_read(*, actor, notification: Notification, now=None) -> Notification:
    """Mark one of the actor's notifications read (reading it twice keeps the first time)."""
    if notification.user_id != actor.pk:
        raise Http404  # another user's notification does not exist for the actor
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor, now=None) -> int:
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
