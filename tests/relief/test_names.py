"""Names of people and places (relief.names): normalised, and refused when they show nothing or
hold a control or format character."""

import pytest
from django.core.exceptions import ValidationError

from relief.names import clean_name

INVISIBLE = "A name must contain visible characters."


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("陈美玲", "陈美玲"),
        ("  陈美玲\u3000", "陈美玲"),  # the ideographic space is a space
        ("ＬＩ　Ｍｉｎｇ", "LI Ming"),  # full-width letters and space (NFKC)
        ("阿卜杜   热合曼", "阿卜杜 热合曼"),  # runs of spaces become one
        ("买买提·艾力", "买买提·艾力"),
        ("李\t明\u2028", "李 明"),  # a tab or a line separator is a space
        ("", ""),  # empty is left to the field's own "required" rule
    ],
)
def test_names_are_normalised(typed, stored):
    assert clean_name(typed) == stored


@pytest.mark.parametrize(
    "typed", ["\u200b", "\u200b\u200b", " \u200c\u3000", "\u2060", "\u00ad", "\u200e\u200f"]
)
def test_a_name_of_invisible_characters_only_is_refused(typed):
    with pytest.raises(ValidationError) as refused:
        clean_name(typed)
    assert refused.value.messages == [INVISIBLE]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("陈\u200b美玲", "U+200B"),  # zero-width space
        ("陈美玲\u202e", "U+202E"),  # right-to-left override
        ("陈\x00美玲", "U+0000"),
        ("陈\x1b美玲", "U+001B"),
        ("陈\ufeff美玲", "U+FEFF"),
        ("陈\ue000美玲", "U+E000"),  # private use
    ],
)
def test_a_name_holding_a_control_or_format_character_is_refused_naming_it(typed, code):
    with pytest.raises(ValidationError) as refused:
        clean_name(typed)
    assert refused.value.messages == [
        f"The name contains an invisible control or formatting character ({code}); type it "
        "again without it."
    ]
