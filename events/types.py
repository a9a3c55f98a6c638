"""Value types shared by event contracts: codes validated against ISO lists, money in cents."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field


def _country(code: str) -> str:
    code = code.upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code (e.g. 'GT', 'MX')")
    return code


def _currency(code: str) -> str:
    code = code.upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"'{code}' is not an ISO 4217 currency code (e.g. 'USD')")
    return code


# An amount as people type it: ASCII digits 0-9 with an optional point and decimals. Other
# scripts' digits (Arabic-Indic, full-width), exponents and thousands separators are refused
# rather than read: '١٠٠' or '1e3' in a payment is far more likely a mistake than intended.
DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def ascii_decimal(value: object) -> object:
    """For a BeforeValidator: a string amount must be written with the digits 0-9."""
    if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value.strip()):
        raise ValueError(
            f"'{value}' is not an amount written with the digits 0-9 and a point, e.g. '250.00'"
        )
    return value


# A decimal amount in a request body, refusing other scripts' digits before pydantic reads it.
DecimalAmount = Annotated[Decimal, BeforeValidator(ascii_decimal)]

CountryCode = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
Cents = Annotated[
    int, Field(ge=0, description="Amount in minor units (cents) of the fund currency")
]
PositiveCents = Annotated[int, Field(gt=0, description="Amount in minor units, above zero")]
PersonRef = Annotated[
    str,
    Field(
        pattern=r"^p_[0-9a-f]{32}$",
        description="Random pseudonymous reference of a person; never derived from personal data",
    ),
]
Sex = Literal["female", "male", "other", "unknown"]
AgeBand = Literal["0-4", "5-11", "12-17", "18-59", "60+"]
RequesterType = Literal[
    "government_departure",
    "government_return",
    "international_organisation",
    "civil_society_organisation",
]
# Configurable in settings; events carry the code as a plain string checked by the service.
Category = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
