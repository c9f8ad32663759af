"""Demo data: the demo users of DOMAIN.md §2 and a synthetic registry of households.

`seed_demo(households=N, seed=S, password=...)` is safe to run twice and safe to kill halfway:

- Household *i* is marked `import_ref = "demo-<i>"`; households already present are skipped, so
  a re-run with the same N adds nothing and a larger N adds only the missing ones.
- Everything about household *i* (town, members, names, ages, income, assets) comes from a
  random generator seeded with (seed, i), so it does not depend on the chunk size or on resuming.
  ID numbers are drawn from (seed, i) too and kept unique by probing against every ID number
  already in the database, so in an empty database the same seed gives the same numbers.
- Households are written in chunks, one transaction each: COPY on PostgreSQL, bulk_create
  elsewhere. Each chunk also writes the creation rows of the history tables set-based
  (INSERT ... SELECT), so the timeline shows where a household came from.

All ID numbers are valid GB 11643 numbers with the Dongguan area code 441900 and birth dates that
fit each member's relation to the head. Ages are computed on a fixed reference date so the data
does not change from one day to the next.

Layout: users.py (the demo users), households.py (generating one household), writing.py (COPY
or bulk_create of a chunk, and its history rows), workflow.py (demo applications in every
state, made through the workflow services; `seed_workflow_demo`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from ..models import Household, IncomeType, Person, Town
from . import writing
from .households import AREA_CODE, DEMO_REF_PREFIX, IdAllocator, demo_villages_ensure
from .users import demo_users_ensure
from .workflow import seed_workflow_demo

__all__ = ["SeedResult", "seed_demo", "seed_workflow_demo"]


@dataclass
class SeedResult:
    users_created: int = 0
    households_created: int = 0
    persons_created: int = 0
    households_skipped: int = 0


def seed_demo(
    *,
    households: int,
    seed: int = 1,
    password: str,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create the demo users and households 0..households-1 that do not exist yet."""
    if households < 0:
        raise ValueError("households must be zero or more")
    result = SeedResult(users_created=demo_users_ensure(password=password))
    towns = list(Town.objects.filter(valid_to__isnull=True).order_by("code"))
    if not towns:
        raise ValueError("no towns: run the migrations first")
    villages = demo_villages_ensure(towns)

    missing = _missing_indexes(households)
    result.households_skipped = households - len(missing)
    if on_total:
        on_total(len(missing))
    if not missing:
        return result

    allocator = IdAllocator()  # every ID number already taken, demo or not
    for number in (
        Person.objects.filter(id_number__startswith=AREA_CODE)
        .values_list("id_number", flat=True)
        .iterator(chunk_size=50_000)
    ):
        allocator.mark(number)

    postgres = connection.vendor == "postgresql"
    chunk_size = chunk_size or (50_000 if postgres else 2_000)
    income_types = dict(IncomeType.objects.values_list("code", "pk"))
    writer = writing.write_chunk_copy if postgres else writing.write_chunk_orm
    make = writing.ChunkMaker(seed=seed, towns=towns, villages=villages, allocator=allocator)
    batches = [missing[start : start + chunk_size] for start in range(0, len(missing), chunk_size)]
    chunks = writing.made_in_a_process(make, batches) if len(batches) > 1 else map(make, batches)
    for chunk in chunks:
        with transaction.atomic():
            writer(chunk, income_types)
            writing.write_history(chunk)
        result.households_created += len(chunk)
        result.persons_created += sum(len(h.members) for h in chunk)
        if progress:
            progress(len(chunk))
    return result


def _missing_indexes(households: int) -> list[int]:
    present = bytearray(households)
    for ref in (
        Household.objects.filter(import_ref__startswith=DEMO_REF_PREFIX)
        .values_list("import_ref", flat=True)
        .iterator(chunk_size=50_000)
    ):
        suffix = ref[len(DEMO_REF_PREFIX) :]
        if suffix.isdigit() and int(suffix) < households:
            present[int(suffix)] = 1
    return [i for i in range(households) if not present[i]]
