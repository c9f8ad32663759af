"""Django admin: configuration for administrators (towns, villages, staff, income types,
schemes and their dated rules).
Case data appears here only through the scoping selectors, like everywhere else."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import selectors
from .models import (
    AddOn,
    Application,
    Breach,
    Grant,
    Household,
    IncomeType,
    IncomeTypeRule,
    Person,
    Scheme,
    SchemeRule,
    StaffProfile,
    Standard,
    Town,
    Village,
)


@admin.register(Town)
class TownAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "type", "slug", "valid_from", "valid_to")
    search_fields = ("code", "name", "slug")


@admin.register(Village)
class VillageAdmin(SimpleHistoryAdmin):
    list_display = ("name", "town", "kind", "code")
    list_filter = ("town",)
    search_fields = ("name", "code")


@admin.register(StaffProfile)
class StaffProfileAdmin(SimpleHistoryAdmin):
    list_display = ("user", "role")
    list_filter = ("role",)
    filter_horizontal = ("towns",)
    search_fields = ("user__username",)


@admin.register(IncomeType)
class IncomeTypeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "counted")


@admin.register(Scheme)
class SchemeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "shown_name", "kind", "temporary_type")

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, scheme):
        # The stored name is an English gettext source string (cases/models/schemes.py).
        return str(scheme)


class DatedRuleAdmin(SimpleHistoryAdmin):
    """Dated rules (schemes' parameters, standards, add-ons, income-type overrides). The model's
    clean() rejects a period that overlaps another row of the same key."""

    dated_columns = ("effective_from", "effective_to", "is_demo", "shown_source")
    list_filter = ("is_demo",)
    date_hierarchy = "effective_from"

    @admin.display(description=_("source"), ordering="source")
    def shown_source(self, rule):
        return rule.source_shown


@admin.register(SchemeRule)
class SchemeRuleAdmin(DatedRuleAdmin):
    list_display = ("scheme", *DatedRuleAdmin.dated_columns)
    list_filter = ("scheme", "is_demo")
    list_select_related = ("scheme",)


@admin.register(Standard)
class StandardAdmin(DatedRuleAdmin):
    list_display = ("scheme", "town", "monthly_amount", *DatedRuleAdmin.dated_columns)
    list_filter = ("scheme", "is_demo", "town")
    list_select_related = ("scheme", "town")


@admin.register(AddOn)
class AddOnAdmin(DatedRuleAdmin):
    list_display = ("scheme", "category", "percent", *DatedRuleAdmin.dated_columns)
    list_filter = ("scheme", "category", "is_demo")
    list_select_related = ("scheme",)


@admin.register(IncomeTypeRule)
class IncomeTypeRuleAdmin(DatedRuleAdmin):
    list_display = ("income_type", "counted", *DatedRuleAdmin.dated_columns)
    list_select_related = ("income_type",)


class ScopedReadOnlyAdmin(admin.ModelAdmin):
    """Case data in the admin: read-only, and only what the user's scope allows (for an
    administrator, which is nothing: configuration needs no case data). Plain ModelAdmin, so no
    history view can reach rows outside the scope."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "town", "village", "address", "status")

    def get_queryset(self, request):
        return selectors.households_in_scope(request.user).select_related("town", "village")


@admin.register(Person)
class PersonAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "name", "masked_id")
    exclude = ("id_number",)

    def get_queryset(self, request):
        return selectors.persons_in_scope(request.user)


@admin.register(Application)
class ApplicationAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "town", "scheme", "procedure", "state", "accepted_on")
    list_filter = ("scheme", "state")

    def get_queryset(self, request):
        return selectors.applications_in_scope(request.user).select_related("town", "scheme")


@admin.register(Grant)
class GrantAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "town", "scheme", "state", "starts_month", "ends_month")

    def get_queryset(self, request):
        return selectors.grants_in_scope(request.user).select_related("town", "scheme")


@admin.register(Breach)
class BreachAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "town", "application", "due_on", "working_days_late")

    def get_queryset(self, request):
        return selectors.breaches_in_scope(request.user).select_related("town")
