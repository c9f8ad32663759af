"""Money is shown one way everywhere (relief.money.format_money and the `money` and `yuan`
template filters): two decimals, thousands separated by commas, as Chinese forms write it."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from relief.money import format_money, format_yuan


@pytest.mark.parametrize(
    "value, shown",
    [
        (Decimal("203260"), "203,260.00"),
        (Decimal("203260.5"), "203,260.50"),
        (Decimal("1234567.891"), "1,234,567.89"),
        (Decimal("999.99"), "999.99"),
        (Decimal("-1450.00"), "-1,450.00"),
        (Decimal("0"), "0.00"),
        ("1600.00", "1,600.00"),  # stored calculations keep amounts as strings
        (1300, "1,300.00"),
        (None, ""),
    ],
)
def test_an_amount_has_two_decimals_and_thousands_separators(value, shown):
    assert format_money(value) == shown


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        format_money(1.5)


def test_the_unit_follows_the_language():
    with translation.override("zh-hans"):
        assert format_yuan(Decimal("203260")) == "203,260.00 元"
    with translation.override("en"):
        assert format_yuan(Decimal("203260")) == "203,260.00 yuan"


def test_every_template_has_the_money_filters_without_loading_them():
    html = Template("{{ amount|money }} · {{ amount|yuan }}").render(
        Context({"amount": Decimal("203260.00")})
    )
    with translation.override("en"):
        assert html.startswith("203,260.00 · 203,260.00")
