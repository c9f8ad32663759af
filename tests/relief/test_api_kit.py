"""The API kit's month field (relief.api.MonthField): "YYYY-MM" read as the first of the month,
anything else one message naming the shape."""

import datetime

import pytest
from rest_framework import serializers

from relief.api import MonthField


class PeriodSerializer(serializers.Serializer):
    period = MonthField()


def test_a_month_is_read_as_its_first_day():
    serializer = PeriodSerializer(data={"period": "2024-03"})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["period"] == datetime.date(2024, 3, 1)


@pytest.mark.parametrize("value", ["2024-13", "2024-3", "2024-03-01", "0000-03", 202403, ""])
def test_anything_else_is_refused_naming_the_shape(value):
    serializer = PeriodSerializer(data={"period": value})
    assert not serializer.is_valid()
    assert serializer.errors["period"] == ["Give the month as YYYY-MM, e.g. 2024-03."]
