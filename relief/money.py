"""Money helpers: Decimal yuan, rounded ROUND_HALF_UP to the fen. The one rounding rule."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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


def parse_amount(value, field: str) -> Decimal:
    """A typed positive amount in yuan with at most two decimals, as an error on `field` when it
    is not one. A typed amount is never rounded (1.005 is an error, not 1.01)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(
            {field: _("“%(value)s” is not an amount in yuan.") % {"value": value}}
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({field: _("An amount is more than 0.00 yuan.")})
    if amount != amount.quantize(FEN):
        raise ValidationError({field: _("An amount has at most two decimals (fen).")})
    return to_fen(amount)


def format_money(value) -> str:
    """An amount as people read it on every page, export and message: two decimals, thousands
    separated by commas, as Chinese forms and bank statements write it (203,260.00). None and ""
    stay empty; text that is no number is returned as it came."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = to_fen(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    return f"{amount:,.2f}"


def format_yuan(value) -> str:
    """format_money with its unit: "203,260.00 元" (in English "203,260.00 yuan")."""
    if value is None or value == "":
        return ""
    return _("%(amount)s yuan") % {"amount": format_money(value)}
