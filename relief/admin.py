from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent

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
