"""Amounts as people type them in the UI's language: ``1.234,50`` in Spanish, ``1,234.50`` in
English (Babel's ``parse_decimal`` with the locale's separators, strict about grouping), read
into an exact ``Decimal`` with at most two decimals; the use cases turn it into cents.

Only the digits 0-9 and the locale's separators are accepted: an exponent (``1e3``), ``NaN``,
another script's digits or a currency sign is refused rather than guessed, like the API does.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from services.web.messages import N_

# Digits, the separators of either language and spaces (Babel writes a no-break space).
TYPED = re.compile(r"[0-9][0-9.,\s\u00a0\u202f]*")
MAX_AMOUNT = Decimal("1000000000")  # far above any fund: a larger figure is a typing error


class AmountRefusedError(ValueError):
    """A typed amount the UI will not read; ``message`` is for the catalog (``N_``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_amount(text: str, language: str) -> Decimal:
    """The amount ``text`` written the way ``language`` writes numbers, above zero and exact
    to the cent."""
    typed = text.strip()
    if not typed:
        raise AmountRefusedError(N_("Enter the amount."))
    if not TYPED.fullmatch(typed):
        raise AmountRefusedError(
            N_("Write the amount with digits only, for example 1,234.50 (no currency sign).")
        )
    try:
        number = parse_decimal(typed.replace("\u202f", "\u00a0"), locale=language, strict=True)
    except NumberFormatError as error:
        raise AmountRefusedError(
            N_("This is not an amount. Write it like 1,234.50 (thousands, then the cents).")
        ) from error
    if not number.is_finite() or number <= 0:
        raise AmountRefusedError(N_("The amount must be above zero."))
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise AmountRefusedError(N_("An amount has at most two decimals (the cents)."))
    if number > MAX_AMOUNT:
        raise AmountRefusedError(N_("This amount is too large. Check the figure."))
    return number


def example(language: str) -> str:
    """How ``language`` writes one thousand two hundred thirty-four and a half: the hint of
    an amount field (``1.234,50``, ``1,234.50``)."""
    return format_decimal(Decimal("1234.50"), format="#,##0.00", locale=language)
