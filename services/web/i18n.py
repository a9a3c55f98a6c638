"""Languages of the web UI: which one a request gets, its catalog, and locale formats.

Spanish is the default (the offices work mostly in Spanish); English by choice. A user's own
choice wins, then the browser's ``Accept-Language``, then Spanish. Catalogs are the ``.po``
files under ``locale/``, compiled in memory at first use (no build step, no binary files).
"""

from __future__ import annotations

import functools
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "es"
LANGUAGES: tuple[str, ...] = ("es", "en")
# How each language names itself, for the language switch.
LANGUAGE_NAMES = {"es": "Español", "en": "English"}


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The language of a response: the user's choice if supported, else the first supported
    language of ``Accept-Language`` by quality (``es-MX`` counts as ``es``), else Spanish."""
    if chosen in LANGUAGES:
        return chosen
    for tag in _by_quality(accept_language or ""):
        try:
            language = Locale.parse(tag, sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


def _by_quality(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


@functools.cache
def translations(language: str) -> Translations:
    """The catalog of ``language`` (a supported one), compiled from its ``.po`` file."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; one of {', '.join(LANGUAGES)}")
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as file:
        catalog = read_po(file, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def money(cents: int, currency: str, language: str) -> str:
    """``cents`` of ``currency`` as the language writes amounts (``1.234,50 US$``)."""
    return format_currency(Decimal(cents).scaleb(-2), currency, locale=language)


def day(value: date, language: str) -> str:
    return format_date(value, format="medium", locale=language)


def moment(value: datetime, language: str) -> str:
    """A UTC time, shown in UTC with its zone (offices span several time zones)."""
    return format_datetime(value, format="medium", tzinfo=value.tzinfo, locale=language)
