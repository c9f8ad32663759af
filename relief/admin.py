from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import workdays
from .models import ApiToken, AuditEvent, CalendarDay

admin.site.site_header = _("Relief administration")
admin.site.site_title = _("Relief administration")
admin.site.index_title = _("Configuration")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: visible to administrators for configuration support, never editable."""

    list_display = ("at", "actor_username", "action", "object_type", "object_id", "town_code", "ip")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds API tokens and when each was last used. Deleting one ends it at once; tokens
    are obtained through the API, never made here."""

    list_display = ("user", "created", "last_used")
    search_fields = ("user__username",)
    fields = ("user", "created", "last_used")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def warn_of_provisional_years(request) -> None:
    """Remind administrators that this year or next has no holiday schedule yet. The State
    Council publishes next year's each November, usually before chinesecalendar is updated
    (DOMAIN.md §6); until it is entered, working days in that year are Monday to Friday."""
    if not request.user.has_perm("relief.add_calendarday"):
        return
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        if workdays.is_provisional(year):
            messages.warning(
                request,
                gettext(
                    "%(year)s has no official holiday schedule: working days are computed on "
                    "weekdays only and marked provisional. Enter the schedule when it is "
                    "published."
                )
                % {"year": year},
            )


class YearListFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("day", "year")
        return [(str(year.year), str(year.year)) for year in years]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(day__year=self.value())
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    """The days administrators enter from the State Council notice: every holiday and every
    make-up working day of a year the chinesecalendar package does not hold, and corrections."""

    list_display = ("day", "weekday", "kind", "name", "note")
    list_filter = ("kind", YearListFilter)
    search_fields = ("name",)
    ordering = ("day",)

    @admin.display(description=_("weekday"), ordering="day")
    def weekday(self, obj):
        return date_format(obj.day, "l")

    def changelist_view(self, request, extra_context=None):
        warn_of_provisional_years(request)
        return super().changelist_view(request, extra_context)


_site_index = admin.site.index


def _index_with_calendar_warning(request, extra_context=None):
    warn_of_provisional_years(request)
    return _site_index(request, extra_context)


# The admin index is where administrators look first; the URLs are built after this module is
# imported by admin autodiscovery, so they route to the wrapped view.
admin.site.index = _index_with_calendar_warning
