"""Django admin for payments: the payment rules and bank-file layouts are configuration, edited
by administrators with history; batches, lines and payee accounts are case data, read-only and
scoped like cases/admin.py (an administrator sees none). Account numbers appear masked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cases.admin import ScopedReadOnlyAdmin

from . import selectors
from .models import BankFileLayout, Batch, PayeeAccount, PaymentLine, PaymentRule


@admin.register(PaymentRule)
class PaymentRuleAdmin(SimpleHistoryAdmin):
    list_display = (
        "effective_from",
        "effective_to",
        "deductions_allowed",
        "deduction_cap_percent",
        "is_demo",
        "shown_source",
    )
    list_filter = ("deductions_allowed", "is_demo")
    date_hierarchy = "effective_from"

    @admin.display(description=_("source"), ordering="source")
    def shown_source(self, rule):
        return rule.source_shown


@admin.register(BankFileLayout)
class BankFileLayoutAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "is_default")


@admin.register(Batch)
class BatchAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "town", "period", "kind", "state", "line_count", "total_amount")
    list_filter = ("kind", "state")

    def get_queryset(self, request):
        return selectors.batches_in_scope(request.user).select_related("town")


@admin.register(PaymentLine)
class PaymentLineAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "batch", "seq", "grant", "period", "kind", "amount", "status", "masked")
    list_filter = ("kind", "status")
    exclude = ("account_number",)
    readonly_fields = ("masked",)

    @admin.display(description=_("account number"))
    def masked(self, obj):
        return obj.masked_number

    def get_queryset(self, request):
        return selectors.lines_in_scope(request.user).select_related("batch__town")


@admin.register(PayeeAccount)
class PayeeAccountAdmin(ScopedReadOnlyAdmin):
    list_display = ("id", "grant", "bank_name", "account_holder", "masked", "state")
    list_filter = ("state",)
    exclude = ("account_number",)
    readonly_fields = ("masked",)

    @admin.display(description=_("account number"))
    def masked(self, obj):
        return obj.masked_number

    def get_queryset(self, request):
        return selectors.accounts_in_scope(request.user)
