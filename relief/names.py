"""Names of people and places, as typed: the one rule every way in applies (the model fields, the
services, the page forms, the API and the caseload import).

A name is normalised (Unicode NFKC: full-width letters and the ideographic space become their
plain forms; runs of spaces become one; stripped) and then must show something: a name made
only of invisible characters (a zero-width space, a soft hyphen, spaces) is no name, and a name
holding a control or format character (U+200B ZERO WIDTH SPACE, U+202E RIGHT-TO-LEFT OVERRIDE,
a tab, a NUL…) is refused rather than cleaned, since it would make two names that look the same
compare different (a search, a match against a partner's extract, a bank's account holder).
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Unicode categories a name may not contain: control (Cc), format (Cf: zero-width and
# direction marks), surrogates (Cs), private use (Co), unassigned (Cn), and the line and
# paragraph separators (Zl, Zp). Spaces (Zs) are allowed between words.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
SPACES = re.compile(r"\s+")

INVISIBLE = _("A name must contain visible characters.")
CONTROL = _(
    "The name contains an invisible control or formatting character (%(code)s); type it again "
    "without it."
)


def normalise_name(value) -> str:
    """NFKC, spaces collapsed to one, stripped. Anything else is returned as it is (a form or
    serializer reports a wrong type on its own)."""
    if not isinstance(value, str):
        return value
    return SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def validate_name(value: str) -> None:
    """Refuse a name holding a control or format character, or none that is visible. An empty
    name is left to the field's own `required` rule."""
    if not isinstance(value, str) or not value:
        return
    refused = [char for char in value if unicodedata.category(char) in REFUSED_CATEGORIES]
    if all(char.isspace() or char in refused for char in value):
        raise ValidationError(INVISIBLE, code="name_invisible")
    if refused:
        code = f"U+{ord(refused[0]):04X}"
        raise ValidationError(CONTROL, code="name_control", params={"code": code})


def clean_name(value) -> str:
    """The name normalised, or a ValidationError naming the rule."""
    value = normalise_name(value)
    validate_name(value)
    return value


class NameField(models.CharField):
    """A model CharField holding a name: full_clean normalises it and applies validate_name."""

    default_validators = [validate_name]

    def to_python(self, value):
        return normalise_name(super().to_python(value))


class NameFormField(forms.CharField):
    """A form CharField holding a name: normalised, then validate_name (its own `required`
    message for an empty one)."""

    default_validators = [validate_name]

    def to_python(self, value):
        return normalise_name(super().to_python(value))
