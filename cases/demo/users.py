"""The demo users of DOMAIN.md §2: a case worker and a town supervisor for every town, two city
supervisors (one proposes a standard change, the other confirms it), the finance officer,
auditor and administrator. Each has a Chinese name, as the staff of a civil-affairs office do:
pages and printed documents name people, not logins."""

import random
from collections.abc import Sequence

from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from relief.history import with_actor

from ..models import Role, StaffProfile, Town
from .households import CHANGE_REASON, FEMALE_CHARS, MALE_CHARS, SURNAMES

CITY_USERS = (
    ("supervisor", Role.CITY_SUPERVISOR),
    ("supervisor2", Role.CITY_SUPERVISOR),
    ("finance", Role.FINANCE),
    ("auditor", Role.AUDITOR),
    ("admin", Role.ADMINISTRATOR),
    ("registry-provider", Role.REGISTRY_PROVIDER),  # uploads the registry demo's extracts
)
# (family name, given name) of the city users; the towns' staff get names drawn from their
# username, the same on every run.
CITY_NAMES = {
    "supervisor": ("梁", "志华"),
    "supervisor2": ("黄", "静怡"),
    "finance": ("陈", "美玲"),
    "auditor": ("何", "文斌"),
    "admin": ("林", "晓东"),
    "registry-provider": ("周", "海燕"),
}


def demo_name(username: str) -> tuple[str, str]:
    """(family name, given name) of a demo user, fixed by the username."""
    if username in CITY_NAMES:
        return CITY_NAMES[username]
    rng = random.Random(username)
    male = rng.random() < 0.5
    given = "".join(rng.choice((MALE_CHARS if male else FEMALE_CHARS)[:60]) for _ in range(2))
    return rng.choice(SURNAMES[:40]), given


def demo_users_ensure(*, password: str) -> int:
    """Create or repair the demo users: role, towns, password, active, no axes lockout.
    Returns the number of users created."""
    towns = list(Town.objects.order_by("code"))
    wanted = []
    for town in towns:
        wanted.append((f"worker-{town.slug}", Role.CASE_WORKER, [town]))
        wanted.append((f"supervisor-{town.slug}", Role.TOWN_SUPERVISOR, [town]))
    wanted += [(username, role, []) for username, role in CITY_USERS]

    # One hash for all demo users: hashing is deliberately slow, and these share a password.
    password_hash = make_password(password)
    User = get_user_model()
    created = 0
    with transaction.atomic():
        for username, role, user_towns in wanted:
            user, was_created = User.objects.get_or_create(username=username)
            created += was_created
            admin = role == Role.ADMINISTRATOR
            user.password = password_hash
            user.is_active = True
            user.is_staff = user.is_superuser = admin
            user.last_name, user.first_name = demo_name(username)
            user.save()
            profile = StaffProfile.objects.filter(user=user).first()
            if profile is None or profile.role != role:
                profile = profile or StaffProfile(user=user)
                profile.role = role
                with_actor(profile, None, CHANGE_REASON).save()
            if {t.pk for t in profile.towns.all()} != {t.pk for t in user_towns}:
                profile.towns.set(user_towns)
    _axes_reset([username for username, _role, _towns in wanted])
    return created


def _axes_reset(usernames: Sequence[str]) -> None:
    """Lift django-axes lockouts of the demo users (their failure logs are kept)."""
    locked = AccessAttempt.objects.filter(username__in=usernames)
    for username in set(locked.values_list("username", flat=True)):
        reset(username=username)
