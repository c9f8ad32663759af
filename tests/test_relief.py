from decimal import Decimal

import pytest
from django.test import RequestFactory

from relief.errors import NestedValidationError
from relief.history import with_actor
from relief.money import money_sum, to_fen
from tests.factories import HouseholdFactory


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("900.0050", "900.01"),
        ("-0.005", "-0.01"),
        (3, "3.00"),
    ],
)
def test_money_rounds_half_up_to_the_fen(value, expected):
    assert to_fen(Decimal(value) if isinstance(value, str) else value) == Decimal(expected)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        to_fen(0.1)


def test_empty_money_sum_is_zero_yuan():
    assert money_sum([]) == Decimal("0.00")
    assert money_sum([Decimal("0.10"), Decimal("0.20")]) == Decimal("0.30")


def test_nested_errors_keep_structure_and_flatten_for_pages():
    exc = NestedValidationError({"members": [{}, {"id_number": ["bad"]}], "town": ["no"]})
    assert exc.detail == {"members": [{}, {"id_number": ["bad"]}], "town": ["no"]}
    assert exc.message_dict == {"members[2].id_number": ["bad"], "town": ["no"]}


def test_history_rows_made_in_a_request_record_ip_and_user_agent(worker_chashan):
    from simple_history.models import HistoricalRecords

    request = RequestFactory().get("/", HTTP_USER_AGENT="pytest-browser", REMOTE_ADDR="10.1.2.3")
    request.user = worker_chashan
    HistoricalRecords.context.request = request
    try:
        household = HouseholdFactory.build()
        with_actor(household, worker_chashan, "Registered").save()
    finally:
        del HistoricalRecords.context.request
    row = household.history.get()
    assert (row.history_user, row.ip, row.user_agent, row.history_change_reason) == (
        worker_chashan,
        "10.1.2.3",
        "pytest-browser",
        "Registered",
    )
