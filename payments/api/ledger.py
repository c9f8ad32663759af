"""The entitlement ledger under /api/v1/: a grant's and a household's months (due, paid, on the
way, owed) and the city's totals per town and month."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cases import selectors
from cases.models import Grant
from relief.api import (
    MonthField,
    money_field,
)
from relief.dates import add_months, first_of_month
from relief.money import ZERO

from .. import ledger
from .base import PaymentsApi

# "from" is a Python keyword, so the query parameters' serializer is built with type().
LedgerRangeSerializer = type(serializers.Serializer)(
    "LedgerRangeSerializer",
    (serializers.Serializer,),
    {
        "from": MonthField(required=False, help_text="The first month, YYYY-MM."),
        "to": MonthField(required=False, help_text="The last month, YYYY-MM."),
    },
)


class LedgerRowSerializer(serializers.Serializer):
    grant = serializers.IntegerField(source="grant_id")
    month = serializers.DateField()
    due = money_field(help_text="The confirmed schedule's amount for the month.")
    paid = money_field(help_text="Paid lines (monthly payments and instalments) only.")
    on_the_way = money_field(
        help_text="Lines at the bank, or failed and waiting for their reissue: not owed again."
    )
    corrected = money_field(help_text="Back-pay minus recoveries ordered for the month.")
    difference = money_field(help_text="Due − paid − on the way − corrected.")


class LedgerTotalsMixin(serializers.Serializer):
    from_month = serializers.DateField()
    to_month = serializers.DateField()
    due = money_field()
    paid = money_field()
    corrected = money_field()
    difference = money_field()


class GrantLedgerSerializer(LedgerTotalsMixin):
    grant = serializers.IntegerField()
    rows = LedgerRowSerializer(many=True)


class HouseholdLedgerSerializer(LedgerTotalsMixin):
    household = serializers.IntegerField()
    rows = LedgerRowSerializer(many=True)


class TownMonthSerializer(serializers.Serializer):
    town = serializers.CharField(source="town_code")
    town_name = serializers.CharField()
    month = serializers.DateField()
    due = money_field()
    paid = money_field()
    corrected = money_field()
    difference = money_field()


class CityTotalsSerializer(LedgerTotalsMixin):
    rows = TownMonthSerializer(many=True)


def this_month() -> datetime.date:
    return first_of_month(timezone.localdate())


def ledger_body(rows, from_month, to_month, **identity) -> dict:
    def total(name):
        return sum((getattr(row, name) for row in rows), ZERO)

    return {
        **identity,
        "from_month": from_month,
        "to_month": to_month,
        "due": total("due"),
        "paid": total("paid"),
        "corrected": total("corrected"),
        "difference": total("difference"),
        "rows": rows,
    }


class LedgerApi(PaymentsApi):
    # Base: the month range from ?from= and ?to=, with the endpoint's defaults.
    def month_range(self, default_from, default_to) -> tuple[datetime.date, datetime.date]:
        filters = self.filters(LedgerRangeSerializer)
        from_month = filters.get("from", default_from)
        to_month = filters.get("to", max(default_to, from_month))
        return from_month, to_month

    def read(self, reader, from_month, to_month, **kwargs):
        """Call a ledger read; its range errors name the query parameters."""
        try:
            return reader(from_month=from_month, to_month=to_month, **kwargs)
        except ValidationError as exc:
            names = {"from_month": "from", "to_month": "to"}
            raise ValidationError(
                {names.get(field, field): messages for field, messages in exc.message_dict.items()}
            ) from None


class GrantLedgerApi(LedgerApi):
    """A grant's ledger month by month: due, paid, corrected, difference. By default from the
    grant's first month to this month (or its last month)."""

    @extend_schema(
        operation_id="ledger_grant",
        parameters=[LedgerRangeSerializer],
        responses=GrantLedgerSerializer,
    )
    def get(self, request, pk):
        grant = selectors.get_in_scope(selectors.grants_in_scope(request.user), pk=pk)
        end = min(this_month(), grant.ends_month or this_month())
        from_month, to_month = self.month_range(grant.starts_month, end)
        rows = self.read(ledger.grant_ledger, from_month, to_month, grant=grant)
        body = ledger_body(rows, from_month, to_month, grant=grant.pk)
        return Response(GrantLedgerSerializer(body).data)


class HouseholdLedgerApi(LedgerApi):
    """The ledger of every grant of a household. By default from its first grant's first month
    to this month."""

    @extend_schema(
        operation_id="ledger_household",
        parameters=[LedgerRangeSerializer],
        responses=HouseholdLedgerSerializer,
    )
    def get(self, request, pk):
        household = selectors.get_in_scope(selectors.households_in_scope(request.user), pk=pk)
        first = (
            Grant.objects.filter(household=household)
            .order_by("starts_month")
            .values_list("starts_month", flat=True)
            .first()
        )
        from_month, to_month = self.month_range(first or this_month(), this_month())
        rows = self.read(ledger.household_ledger, from_month, to_month, household=household)
        body = ledger_body(rows, from_month, to_month, household=household.pk)
        return Response(HouseholdLedgerSerializer(body).data)


class CityTotalsApi(LedgerApi):
    """Due, paid, corrected and difference by town and month, for the user's towns (the whole
    city for city-wide roles). By default the last three months (the due side costs one
    aggregate query per month over every grant paying in it: see payments.ledger.city_totals)."""

    @extend_schema(
        operation_id="ledger_totals",
        parameters=[LedgerRangeSerializer],
        responses=CityTotalsSerializer,
    )
    def get(self, request):
        from_month, to_month = self.month_range(add_months(this_month(), -2), this_month())
        rows = self.read(ledger.city_totals, from_month, to_month, user=request.user)
        return Response(CityTotalsSerializer(ledger_body(rows, from_month, to_month)).data)
