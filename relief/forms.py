"""The form kit every app's pages use: date and month inputs, blank choices, optional text and
amount fields (a service that requires the text says so, naming its rule)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


CHOOSE = _("— choose —")

# The largest id a 64-bit integer column holds: a larger one in a filter is no id, and the
# database would refuse it (an overflow, a 500).
MAX_ID = 2**63 - 1


def id_param(value) -> int | None:
    """A row id given as a query parameter (ASCII digits, 1 to MAX_ID), else None: a page then
    ignores the filter. str.isdigit() alone is not the test: it is true for ² and ٣."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def with_blank(choices, label=CHOOSE):
    return [("", label), *choices]


def text_field(label, *, rows=3, max_length=4000, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def amount_field(label, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        attrs = {"placeholder": "2024-07", **(attrs or {})}
        super().__init__(attrs=attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month typed as YYYY-MM (what <input type="month"> sends), or as the date of its first
    day; the services take a month as the date of its first day (any other day is refused by
    them, naming the rule)."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("A month, e.g. 2024-07."))
        super().__init__(**kwargs)
