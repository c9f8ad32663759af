"""Reads of the monthly check's runs, scoped like everything else (cases.selectors): a town
role sees the city-wide runs and its own towns' runs, and of a city-wide run only its own towns'
parts; the city roles and the administrator (who starts runs) see them all. A run holds counts,
no case data."""

from django.db.models import Count, Q, QuerySet, Sum

from cases.models import Role
from cases.permissions import CHECK_READER_ROLES, can_read_checks, role_of
from cases.selectors import towns_in_scope

from .models import CheckRun, CheckRunTown

__all__ = [
    "can_read_checks",
    "can_start_checks",
    "parts_in_scope",
    "progress",
    "progresses",
    "runs_in_scope",
]

CHECK_READERS = CHECK_READER_ROLES
CHECK_STARTERS = {Role.CITY_SUPERVISOR, Role.ADMINISTRATOR}
CITY_WIDE = CHECK_READERS - {Role.CASE_WORKER, Role.TOWN_SUPERVISOR}


def can_start_checks(user) -> bool:
    return role_of(user) in CHECK_STARTERS


def sees_city(user) -> bool:
    return role_of(user) in CITY_WIDE


def runs_in_scope(user) -> QuerySet[CheckRun]:
    runs = CheckRun.objects.select_related("town", "started_by")
    if sees_city(user):
        return runs
    if not can_read_checks(user):
        return runs.none()
    return runs.filter(Q(town__isnull=True) | Q(town__in=towns_in_scope(user)))


def parts_in_scope(user, run: CheckRun) -> QuerySet[CheckRunTown]:
    parts = run.towns.select_related("town").order_by("town__code")
    if sees_city(user):
        return parts
    return parts.filter(town__in=towns_in_scope(user))


def progress(user, run: CheckRun) -> dict:
    """The run's progress as the reader may see it (its towns' parts only for a town role)."""
    return progresses(user, [run])[run.pk]


def progresses(user, runs) -> dict[int, dict]:
    """Each run's progress (as `progress`), by run id, in one grouped query whatever the number
    of runs: the lists show a page of runs."""
    runs = list(runs)
    parts = CheckRunTown.objects.filter(run__in=[run.pk for run in runs])
    if not sees_city(user):
        parts = parts.filter(town__in=towns_in_scope(user))
    finished_parts = Q(state__in=(CheckRun.State.DONE, CheckRun.State.FAILED))
    counts = {
        row["run_id"]: row
        for row in parts.order_by()
        .values("run_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=finished_parts),
            households=Sum("households_checked"),
            new=Sum("new_findings"),
        )
    }
    return {run.pk: _progress(run, counts.get(run.pk, {})) for run in runs}


def _progress(run: CheckRun, counts: dict) -> dict:
    done, total = counts.get("done", 0), counts.get("total", 0)
    finished = run.finished_at is not None
    return {
        "id": run.pk,
        "state": run.state,
        "state_display": run.get_state_display(),
        "finished": finished,
        "towns_done": done,
        "towns_total": total,
        "percent": 100 if finished else (int(100 * done / total) if total else 0),
        "households_checked": counts.get("households") or 0,
        "new_findings": counts.get("new") or 0,
    }
