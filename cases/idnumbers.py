"""Resident ID numbers (居民身份证号码), GB 11643-1999.

18 characters: 6-digit address code, birth date YYYYMMDD, 3-digit sequence (odd = male,
even = female), check character. S = Σ dᵢ·Wᵢ over the first 17 digits, check = "10X98765432"[S mod 11].
Legacy 15-digit numbers get "19" before the 2-digit year and a computed check character.
The address code is not required to be a current one (DOMAIN.md §4).

Every ID number Relief reads (forms, API, the caseload import, searches) goes through
`normalise_id_text` and `parse_id_number` here, so one person has one stored number however it was
typed: a full-width ４ or an Arabic-Indic ٤ is the digit 4, and only ASCII digits (and X) pass.
`str.isdigit()` is not the test: it is true for ² and ٣, which `int()` then reads or refuses.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MAX_AGE_YEARS = 120
ID18_RE = re.compile(r"[0-9]{17}[0-9X]")
ID15_RE = re.compile(r"[0-9]{15}")
# The end of a number, as searched for (its last 4 to 17 characters).
ID_TAIL_RE = re.compile(r"[0-9]*[0-9X]")
# A run of digits long enough to be a whole number (a legacy one has 15).
WHOLE_NUMBER_RUN_RE = re.compile(r"[0-9]{15}")


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F"


def check_character(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise_id_text(raw) -> str:
    """What a person typed as (part of) an ID number, in the one form Relief stores and searches:
    Unicode NFKC (full-width ４ and ｘ, ideographic spaces, superscript ² become 4, x, " ", 2),
    every script's decimal digit as its ASCII digit (Arabic-Indic ٤ is 4), stripped, upper
    case. Nothing is validated here: parse_id_number does that."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().upper()
    if text.isascii():
        return text
    return "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char
        for char in text
    )


def may_hold_id_number(text) -> bool:
    """Whether `text` holds a run of digits long enough to be a whole ID number, however its
    digits are written (read through normalise_id_text): such text is kept out of URLs."""
    return bool(WHOLE_NUMBER_RUN_RE.search(normalise_id_text(text)))


def parse_id_number(raw: str, *, today: datetime.date | None = None) -> IdNumber:
    """Validate and normalise an ID number; raise ValidationError naming the rule broken. The
    number is read through normalise_id_text, then must be exactly 17 ASCII digits and a digit
    or X (or a legacy 15 ASCII digits)."""
    today = today or timezone.localdate()
    value = normalise_id_text(raw)
    if len(value) == 15:
        if not ID15_RE.fullmatch(value):
            raise ValidationError(
                _("A 15-digit ID number must contain digits only."), code="format"
            )
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_character(first17)
    elif len(value) == 18:
        if not ID18_RE.fullmatch(value):
            raise ValidationError(
                _("An ID number has 17 digits followed by a digit or X."), code="format"
            )
        if check_character(value[:17]) != value[17]:
            raise ValidationError(
                _("The check character of the ID number is wrong (GB 11643)."), code="checksum"
            )
    else:
        raise ValidationError(_("An ID number has 18 characters (or 15 digits)."), code="length")

    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the ID number is not a real date."), code="birth_date"
        ) from None
    if birth > today:
        raise ValidationError(_("The birth date in the ID number is in the future."), code="future")
    if age_on(birth, today) > MAX_AGE_YEARS:
        raise ValidationError(
            _("The birth date in the ID number gives an age over 120 years."), code="too_old"
        )
    return IdNumber(number=value, birth_date=birth, sex="M" if int(value[16]) % 2 else "F")


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_id_number(number: str) -> str:
    """first 6 + ******** + last 4 (DOMAIN.md §2)."""
    if not number:
        return ""
    return number[:6] + "********" + number[-4:]


def mask_name(name: str) -> str:
    """张*明 style masking for public notices: keep first and last character."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
