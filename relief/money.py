"""Money helpers: Decimal yuan, rounded ROUND_HALF_UP to the fen. The one rounding rule."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
# The one shape of a money column: yuan to the fen, up to a trillion.
MONEY = {"max_digits": 14, "decimal_places": 2}


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half up (0.005 -> 0.01). Never pass a float."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def money_sum(values) -> Decimal:
    """Sum of Decimal amounts; an empty sum is Decimal('0.00')."""
    return to_fen(sum(values, ZERO))
