from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .history import client_ip
from .models import AuditEvent


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
