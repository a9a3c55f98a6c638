"""Amounts typed in the UI's language become exact decimals; anything else is refused with a
message of the catalog, never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.web import i18n
from services.web.amounts import AmountRefusedError, example, parse_amount


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1.234,50", "es", Decimal("1234.50")),
        ("1234,5", "es", Decimal("1234.5")),
        (" 250 ", "es", Decimal("250")),
        ("1.234.567,00", "es", Decimal("1234567.00")),
        ("1,234.50", "en", Decimal("1234.50")),
        ("12.5", "en", Decimal("12.5")),
        ("0,01", "es", Decimal("0.01")),
    ],
)
def test_an_amount_written_the_languages_way_is_read_exactly(
    text: str, language: str, expected: Decimal
) -> None:
    assert parse_amount(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("1,234.50", "es"),  # the English way, in Spanish
        ("12.5", "es"),
        ("1.234,50", "en"),
        ("", "es"),
        ("abc", "es"),
        ("1e3", "en"),
        ("NaN", "en"),
        ("Infinity", "en"),
        ("-5", "es"),
        ("0", "es"),
        ("0,001", "es"),
        ("١٢٣", "en"),  # other digits
        ("250 US$", "es"),
        ("99999999999", "en"),
    ],
)
def test_anything_else_is_refused_with_a_translated_message(text: str, language: str) -> None:
    with pytest.raises(AmountRefusedError) as refused:
        parse_amount(text, language)
    spanish = i18n.translations("es").gettext(refused.value.message)
    assert spanish != refused.value.message  # the catalog has it


def test_the_hint_of_an_amount_field_is_read_back_as_the_same_amount() -> None:
    assert example("es") == "1.234,50" and example("en") == "1,234.50"
    for language in i18n.LANGUAGES:
        assert parse_amount(example(language), language) == Decimal("1234.50")
