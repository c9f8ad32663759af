"""Reads, and the one place where town scoping is decided.

Every page, API endpoint, search, export and admin view gets its rows from the `*_in_scope`
functions here: a case worker or town supervisor sees only their towns; city supervisors,
finance officers and auditors see the whole city; administrators and users without a role see
no case data at all.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from .idnumbers import ID_TAIL_RE, normalise_id_text, parse_id_number
from .models import (
    Application,
    Asset,
    Authorisation,
    Breach,
    Document,
    Grant,
    Household,
    HouseholdImport,
    IncomeLine,
    Membership,
    Person,
    Town,
    Village,
)
from .permissions import CITY_CASE_ROLES, TOWN_ROLES, role_of


def towns_in_scope(user) -> QuerySet[Town]:
    """The towns whose case data the user may see."""
    role = role_of(user)
    if role in CITY_CASE_ROLES:
        return Town.objects.all()
    if role in TOWN_ROLES:
        return Town.objects.filter(staff__user=user)
    return Town.objects.none()


def _town_ids(user) -> list[int]:
    # A handful of ids, fetched once per call, so scoped queries stay simple for the planner.
    return list(towns_in_scope(user).values_list("id", flat=True))


def _is_city_wide(user) -> bool:
    return role_of(user) in CITY_CASE_ROLES


def scope_by_town(qs: QuerySet, user, town_path: str) -> QuerySet:
    """Restrict any queryset to the user's towns through the lookup `town_path` (e.g.
    "household__town"). The one implementation of scoping; everything else calls it."""
    if _is_city_wide(user):
        return qs
    ids = _town_ids(user)
    if not ids:
        return qs.none()
    return qs.filter(**{f"{town_path}__in": ids})


def villages_in_scope(user) -> QuerySet[Village]:
    return scope_by_town(Village.objects.select_related("town"), user, "town")


def households_in_scope(user) -> QuerySet[Household]:
    return scope_by_town(Household.objects.all(), user, "town")


def memberships_in_scope(user) -> QuerySet[Membership]:
    return scope_by_town(Membership.objects.all(), user, "household__town")


def persons_in_scope(user) -> QuerySet[Person]:
    """People with any membership (current or past) in a household the user may see."""
    if _is_city_wide(user):
        return Person.objects.all()
    return Person.objects.filter(
        Exists(memberships_in_scope(user).filter(person_id=OuterRef("pk")))
    )


def income_lines_in_scope(user) -> QuerySet[IncomeLine]:
    return scope_by_town(IncomeLine.objects.all(), user, "household__town")


def assets_in_scope(user) -> QuerySet[Asset]:
    return scope_by_town(Asset.objects.all(), user, "household__town")


def documents_in_scope(user) -> QuerySet[Document]:
    return scope_by_town(Document.objects.all(), user, "household__town")


def authorisations_in_scope(user) -> QuerySet[Authorisation]:
    return scope_by_town(Authorisation.objects.all(), user, "household__town")


def household_imports_in_scope(user) -> QuerySet[HouseholdImport]:
    return scope_by_town(HouseholdImport.objects.select_related("town", "actor"), user, "town")


def applications_in_scope(user) -> QuerySet[Application]:
    return scope_by_town(Application.objects.all(), user, "town")


def breaches_in_scope(user) -> QuerySet[Breach]:
    return scope_by_town(Breach.objects.all(), user, "town")


def grants_in_scope(user) -> QuerySet[Grant]:
    return scope_by_town(Grant.objects.all(), user, "town")


def get_in_scope(qs: QuerySet, **lookup):
    """One row of a scoped queryset, or 404: another town's object does not exist for you."""
    try:
        return qs.get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def matching_persons(search: str) -> QuerySet[Person]:
    """Persons matching a search term: a full ID number (15 or 18 characters), the last 4 to 17
    characters of an ID number, or a name prefix. ID numbers are read as parse_id_number reads
    them (full-width or Arabic-Indic digits are the ASCII ones); anything else is a name."""
    name = search.strip()
    if not name:
        return Person.objects.all()
    term = normalise_id_text(name)
    if len(term) in (15, 18) and ID_TAIL_RE.fullmatch(term):
        try:
            return Person.objects.filter(id_number=parse_id_number(term).number)
        except ValidationError:
            return Person.objects.filter(id_number=term)
    if 4 <= len(term) < 18 and ID_TAIL_RE.fullmatch(term):
        return Person.objects.filter(id_tail=term[-4:], id_number__endswith=term)
    return Person.objects.filter(name__startswith=name)


# A search lists at most this many households, the newest first: narrow it to see others.
SEARCH_LIMIT = 1000


class HouseholdSearch(Sequence):
    """The households a search found. Their ids (at most SEARCH_LIMIT, newest first) are known
    after one index-only query, so the count costs nothing and a page reads only its own rows
    (bench/registry_search.py: a COUNT and a sort over the 1,000 ids cost more than the page).
    Paginators and the CSV export use it like the queryset it stands for."""

    def __init__(self, ids: list[int], rows: QuerySet[Household]):
        self.ids = ids
        self.rows = rows

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        page_ids = self.ids[index] if isinstance(index, slice) else [self.ids[index]]
        by_id = {household.id: household for household in self.rows.filter(id__in=page_ids)}
        page = [by_id[pk] for pk in page_ids if pk in by_id]
        return page if isinstance(index, slice) else page[0]

    def iterator(self, chunk_size: int = 500):
        for start in range(0, len(self.ids), chunk_size):
            yield from self[start : start + chunk_size]

    def __iter__(self):
        return self.iterator()


def _grant_conditions(
    household_ref: str,
    *,
    scheme: str = "",
    grant_state: str = "",
    recheck: str = "",
    today=None,
    recheck_soon_until=None,
) -> list:
    """The household filters on its grants, as EXISTS conditions on `household_ref` (the
    outer query's household id): an active grant of `scheme`; a grant in `grant_state`; an
    active grant whose re-check is "overdue" (before `today`) or "due_soon" (by
    `recheck_soon_until`, cases.grants.recheck_due_soon_until)."""
    grants = Grant.objects.filter(household_id=OuterRef(household_ref))
    active = grants.filter(state=Grant.State.ACTIVE)
    conditions = []
    if scheme:
        conditions.append(Exists(active.filter(scheme__code=scheme)))
    if grant_state:
        conditions.append(Exists(grants.filter(state=grant_state)))
    if recheck == "overdue" and today is not None:
        conditions.append(Exists(active.filter(recheck_due_on__lt=today)))
    if recheck == "due_soon" and today is not None and recheck_soon_until is not None:
        window = {"recheck_due_on__gte": today, "recheck_due_on__lte": recheck_soon_until}
        conditions.append(Exists(active.filter(**window)))
    return conditions


# The household list's sortable columns: column → the fields it orders by (relief/sorting.py).
HOUSEHOLD_SORTS = {
    "id": ("id",),
    "town": ("town__code",),
    "village": ("village__name",),
    "head": ("head_name",),
    "members": ("member_count",),
    "status": ("status",),
}


def with_sort_columns(households: QuerySet[Household]) -> QuerySet[Household]:
    """The computed columns the household list sorts by: the current head's name and the
    number of current members (one subquery each, in the same query)."""
    members = (
        Membership.objects.filter(household_id=OuterRef("pk"), left_on__isnull=True)
        .order_by()
        .values("household_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return households.annotate(
        head_name=head_name_of("pk"), member_count=Coalesce(Subquery(members), 0)
    )


def head_name_of(household_ref: str) -> Subquery:
    """The current head's name of the household `household_ref` (the outer query's household
    id) as a subquery: what lists sort by."""
    heads = current_heads().filter(household_id=OuterRef(household_ref))
    return Subquery(heads.values("person__name")[:1])


def applications_matching(applications: QuerySet[Application], term: str):
    """The applications a search term finds: an application id ("123" or "#123"); a household
    whose current head's name starts with the term; a household with a current member whose ID
    number is the term or ends with it (matching_persons decides which a term is)."""
    term = term.strip()
    if not term:
        return applications
    members = Membership.objects.filter(
        household_id=OuterRef("household_id"),
        left_on__isnull=True,
        person__in=matching_persons(term),
    )
    if not any(char.isdigit() for char in term):
        members = members.filter(relation=Membership.Relation.HEAD)
    found = Q(Exists(members))
    number = term.removeprefix("#")
    if number.isdigit() and len(number) < 19:
        found |= Q(pk=int(number))
    return applications.filter(found)


def household_list(
    *,
    user,
    search: str = "",
    town: str = "",
    village: str = "",
    status: str = "",
    order_by=None,
    **grant_filters,
) -> QuerySet[Household] | HouseholdSearch:
    """Scoped, filtered households with everything a list row shows, in a constant number of
    queries whatever the page size, in the order `order_by` (relief.sorting.Sort.order_by over
    HOUSEHOLD_SORTS; None: the newest first). `grant_filters` are _grant_conditions'.
    A search gives a HouseholdSearch (see there)."""
    lookups: dict = {}
    if town:
        lookups["town__code"] = town
    if village:
        village = str(village)
        by_id = village.isascii() and village.isdigit()
        lookups["village_id" if by_id else "village__name"] = village
    if status:
        lookups["status"] = status
    if search.strip():
        # Start from the matched people: their memberships give the household ids from the
        # indexes alone, the newest SEARCH_LIMIT of them in one pass.
        members = scope_by_town(
            Membership.objects.filter(person__in=matching_persons(search)), user, "household__town"
        ).filter(
            *_grant_conditions("household_id", **grant_filters),
            **{f"household__{key}": value for key, value in lookups.items()},
        )
        ids = list(
            members.order_by("-household_id")
            .values_list("household_id", flat=True)
            .distinct()[:SEARCH_LIMIT]
        )
        if order_by is not None:
            # The found households in the order asked for: one query over their ids.
            found = with_sort_columns(Household.objects.filter(id__in=ids))
            ids = list(found.order_by(*order_by).values_list("id", flat=True))
        return HouseholdSearch(ids, _with_members(Household.objects.all()))
    households = households_in_scope(user).filter(
        *_grant_conditions("pk", **grant_filters), **lookups
    )
    if order_by is None:
        return _with_members(households).order_by("-id")
    return _with_members(with_sort_columns(households)).order_by(*order_by)


def _with_members(households: QuerySet[Household]) -> QuerySet[Household]:
    """What a list row shows: town, village and the current members with their persons."""
    current = Membership.objects.filter(left_on__isnull=True).select_related("person")
    return households.select_related("town", "village").prefetch_related(
        Prefetch("memberships", queryset=current, to_attr="current_memberships")
    )


def household_get(*, user, pk) -> Household:
    return get_in_scope(households_in_scope(user).select_related("town", "village"), pk=pk)


def household_members(*, household: Household) -> QuerySet[Membership]:
    return household.memberships.select_related("person").order_by("left_on", "joined_on", "id")


# --- the current head of household ------------------------------------------------------------
# The head is the member whose current membership (not left) has the relation "head"; a
# household has exactly one (cases.services keeps it so).


def current_heads() -> QuerySet[Membership]:
    """Every current head-of-household membership."""
    return Membership.objects.filter(left_on__isnull=True, relation=Membership.Relation.HEAD)


def current_members(household: Household | int) -> QuerySet[Membership]:
    """The household's current memberships with their people, in the order they were made."""
    return (
        Membership.objects.filter(household=household, left_on__isnull=True)
        .select_related("person")
        .order_by("id")
    )


def head_among(memberships) -> Person | None:
    """The head among a household's current memberships already loaded (no query)."""
    return next((m.person for m in memberships if m.relation == Membership.Relation.HEAD), None)


def with_heads(queryset: QuerySet, path: str = "household") -> QuerySet:
    """Prefetch the current head of each row's household (one query, whatever the rows)."""
    heads = current_heads().select_related("person")
    return queryset.prefetch_related(
        Prefetch(f"{path}__memberships", queryset=heads, to_attr="heads")
    )


def head_name(household: Household) -> str:
    """The head's name from the rows `with_heads` prefetched."""
    heads = getattr(household, "heads", ())
    return heads[0].person.name if heads else ""
