"""Django admin for audit configuration: the registry sources, where an administrator assigns
each source its provider accounts (a provider uploads only its sources)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.models import Role

from .models import Source


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "scope", "position")
    fields = ("code", "name", "scope", "providers", "position")
    readonly_fields = ("code",)
    filter_horizontal = ("providers",)

    def has_add_permission(self, request):
        return False  # the ten sources are data of migration 0002

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "providers":
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                staff__role=Role.REGISTRY_PROVIDER
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
