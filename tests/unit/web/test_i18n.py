from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.web import i18n


@pytest.mark.parametrize(
    ("chosen", "header", "expected"),
    [
        (None, None, "es"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "es-MX,es;q=0.9,en;q=0.8", "es"),
        (None, "fr-FR, en;q=0.5", "en"),
        (None, "fr-FR", "es"),
        (None, "en;q=0.2, es;q=0.8", "es"),
        (None, "en;q=0", "es"),
        (None, "garbage;;q=x, ,", "es"),
        ("en", "es", "en"),
        ("de", "en", "en"),
    ],
)
def test_the_language_is_the_choice_then_the_browser_then_spanish(
    chosen: str | None, header: str | None, expected: str
) -> None:
    assert i18n.negotiate(chosen, header) == expected


def test_every_string_of_the_spanish_catalog_is_translated() -> None:
    catalog = i18n.translations("es")
    assert catalog.gettext("Sign in") == "Iniciar sesión"
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        missing = [m.id for m in read_po(f) if m.id and not m.string]
    assert missing == []


def test_amounts_and_dates_follow_the_language() -> None:
    assert i18n.money(123450, "USD", "en") == "$1,234.50"
    assert i18n.money(123450, "USD", "es") == "1.234,50\xa0US$"
    assert i18n.day(date(2026, 3, 9), "es") == "9 mar 2026"
    assert "2026" in i18n.moment(datetime(2026, 3, 9, 14, 5, tzinfo=UTC), "en")


def test_an_unsupported_language_has_no_catalog() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.translations("de")


def test_the_catalogs_hold_every_string_of_the_templates_and_code() -> None:
    """A string added to a template or a ``_()``/``N_()`` call without ``make catalogs``
    would show in English to a Spanish reader: the extraction of the sources today must
    find nothing the Spanish catalog lacks."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    web = i18n.LOCALE_DIR.parent
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            web, method_map, options, keywords={"_": None, "N_": None, "gettext": None}
        )
    }
    with (i18n.LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert found, "nothing was extracted: the extraction itself is broken"
    assert sorted(found - known) == []
