import json

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
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


def shown(name: str, label):
    """An admin column or read-only field showing the model field `name` under a translated
    label (the audit table's fields carry none, and a label in the model would need a
    migration of an append-only table for words only)."""

    @admin.display(description=label, ordering=name)
    def show(self, obj):
        display = getattr(obj, f"get_{name}_display", None)
        value = display() if display else getattr(obj, name)
        if value is None or value == "":
            return self.get_empty_value_display()
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return value

    return show


class AuditActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditEvent.Action.choices

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: visible to administrators for configuration support, never editable."""

    at_shown = shown("at", _("time"))
    actor_shown = shown("actor", _("user"))
    actor_username_shown = shown("actor_username", _("username"))
    action_shown = shown("action", _("action"))
    object_type_shown = shown("object_type", _("object type"))
    object_id_shown = shown("object_id", _("object id"))
    town_code_shown = shown("town_code", _("town code"))
    ip_shown = shown("ip", _("IP address"))
    user_agent_shown = shown("user_agent", _("browser"))
    data_shown = shown("data", _("details"))

    list_display = (
        "at_shown",
        "actor_username_shown",
        "action_shown",
        "object_type_shown",
        "object_id_shown",
        "town_code_shown",
        "ip_shown",
    )
    fields = readonly_fields = (
        "at_shown",
        "actor_shown",
        *list_display[1:],
        "user_agent_shown",
        "data_shown",
    )
    list_filter = (AuditActionFilter,)
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


# --- users and groups: permissions named in the page's language ------------------------------

# Django stores a permission's name in English when it migrates ("Can add household"); these
# name the four default ones from the model's translated name instead.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    # A model without a verbose name of its own has a plain English one: translated through
    # relief/locale_strings.py.
    model_label = gettext(str(model._meta.verbose_name))
    action, _sep, model_name = permission.codename.partition("_")
    if action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        name = PERMISSION_ACTIONS[action] % {"model": model_label}
    else:
        name = gettext(permission.name)
    app = apps.get_app_config(content_type.app_label).verbose_name
    return f"{app} | {model_label} | {name}"


class TranslatedPermissionsMixin:
    """The permission pickers of users and groups: labels in the page's language, and no
    permissions on the history tables (history is written by the system, never granted)."""

    permission_fields = ("permissions", "user_permissions")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.permission_fields:
            kwargs["queryset"] = (
                Permission.objects.exclude(content_type__model__startswith="historical")
                .select_related("content_type")
                .order_by("content_type__app_label", "content_type__model", "codename")
            )
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in self.permission_fields:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(TranslatedPermissionsMixin, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, auth_admin.GroupAdmin):
    pass
