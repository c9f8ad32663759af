import datetime

import pytest
from django.core.exceptions import ValidationError

from cases.idnumbers import check_character, mask_id_number, mask_name, parse_id_number

TODAY = datetime.date(2026, 11, 27)


def rule_of(raw: str) -> str:
    with pytest.raises(ValidationError) as exc:
        parse_id_number(raw, today=TODAY)
    return exc.value.code


def test_valid_number_with_x_check_character():
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002 is even


def test_lowercase_x_is_stored_uppercase():
    assert parse_id_number("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_surrounding_spaces_are_ignored():
    assert parse_id_number(" 11010519491231002X ", today=TODAY).number == "11010519491231002X"


def test_odd_sequence_is_male():
    first17 = "44190019800101001"
    assert parse_id_number(first17 + check_character(first17), today=TODAY).sex == "M"


def test_bad_check_character_is_refused():
    assert rule_of("130402198207290622") == "checksum"


def test_valid_check_character_but_age_over_120_is_refused():
    # DOMAIN.md §4: the check character is right, the 1880 birth date is not.
    assert rule_of("440524188001010014") == "too_old"


def test_impossible_birth_date_is_refused():
    first17 = "44190019810230001"  # 30 February
    assert rule_of(first17 + check_character(first17)) == "birth_date"


def test_future_birth_date_is_refused():
    first17 = "44190020270101001"
    assert rule_of(first17 + check_character(first17)) == "future"


def test_age_120_is_accepted_and_121_is_not():
    ok = "44190019051128001"  # 120 until tomorrow
    assert parse_id_number(ok + check_character(ok), today=TODAY).birth_date == datetime.date(
        1905, 11, 28
    )
    too_old = "44190019051127001"  # 121 today
    assert rule_of(too_old + check_character(too_old)) == "too_old"


def test_fifteen_digit_number_is_upgraded_to_eighteen():
    parsed = parse_id_number("110105491231002", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == datetime.date(1949, 12, 31)


@pytest.mark.parametrize(
    "raw, rule",
    [
        ("", "length"),
        ("1234567", "length"),
        ("1101051949123100X2", "format"),
        ("11010519491231002Y", "format"),
        ("11010549123100X", "format"),
        ("1101051949123100222", "length"),
    ],
)
def test_malformed_numbers_are_refused(raw, rule):
    assert rule_of(raw) == rule


def test_masking_shows_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("") == ""


@pytest.mark.parametrize(
    "name, masked", [("张三明", "张*明"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("张", "张")]
)
def test_public_names_are_masked(name, masked):
    assert mask_name(name) == masked


# Non-ASCII digits: one person has one stored number however it was typed.

ASCII_ID = "11010519491231002X"
FULL_WIDTH = "１１０１０５１９４９１２３１００２Ｘ"
ARABIC_INDIC = "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"
EXTENDED_ARABIC_INDIC = "۱۱۰۱۰۵۱۹۴۹۱۲۳۱۰۰۲x"


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC, EXTENDED_ARABIC_INDIC])
def test_non_ascii_decimal_digits_are_stored_as_ascii(typed):
    assert parse_id_number(typed, today=TODAY).number == ASCII_ID


def test_full_width_legacy_number_is_upgraded_in_ascii():
    assert parse_id_number("１１０１０５４９１２３１００２", today=TODAY).number == ASCII_ID


def test_ideographic_spaces_around_a_number_are_ignored():
    assert parse_id_number("\u3000" + ASCII_ID + "\u3000", today=TODAY).number == ASCII_ID


@pytest.mark.parametrize(
    "typed",
    [
        # Digits for str.isdigit() that int() cannot read (Ethiopic, Kharosthi): no 500.
        "፩" * 17 + "X",
        "1101051949123100" + "፩" + "X",
        "𐩀" * 15,
        # Not digits at all.
        "11010519491231002\u200b",
        "1101051949-231002X",
    ],
)
def test_characters_that_only_look_like_digits_are_a_format_error(typed):
    assert rule_of(typed) == "format"


def test_superscript_digit_is_read_as_its_digit_by_nfkc():
    # NFKC turns ² into 2: the number is then checked like any other.
    first17 = "44190019800101002"
    typed = first17.replace("2", "²") + check_character(first17)
    assert parse_id_number(typed, today=TODAY).number == first17 + check_character(first17)
    assert rule_of("²" * 18) == "checksum"
