"""Money and contribution shares: exact parsing to cents, largest-remainder allocation.

Amounts are integer cents inside the service. ``Decimal`` is used only to parse input and to
hold share percentages; the share arithmetic is done with exact fractions, never floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from pydantic import TypeAdapter, ValidationError

from events.types import DECIMAL_TEXT, CountryCode
from services.kit.errors import InvalidInputError

MAX_CENTS = 10**13  # 100 billion currency units: far above any fund, far below BIGINT
HUNDRED = Decimal(100)
_COUNTRY: TypeAdapter[str] = TypeAdapter(CountryCode)


def to_decimal(value: Decimal | str | int, *, field: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise InvalidInputError(
            f"{field} must be a decimal string such as '1000.00', not {value!r}"
        )
    if isinstance(value, str) and not DECIMAL_TEXT.fullmatch(value.strip()):
        raise InvalidInputError(
            f"{field} must be written with the digits 0-9 and a point, such as '1000.00'"
            f" (got {value!r})"
        )
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as e:
        raise InvalidInputError(f"{field} must be a decimal number such as '1000.00'") from e
    if not number.is_finite():
        raise InvalidInputError(f"{field} must be a finite decimal number")
    return number


def parse_cents(value: Decimal | str | int, *, field: str = "amount") -> int:
    """A positive amount with at most two decimals, as integer cents."""
    number = to_decimal(value, field=field)
    cents = number * 100
    if cents != cents.to_integral_value():
        raise InvalidInputError(
            f"{field} has more than two decimals ({number}); amounts are exact to the cent"
        )
    if cents <= 0:
        raise InvalidInputError(f"{field} must be above zero, got {number}")
    if cents > MAX_CENTS:
        raise InvalidInputError(f"{field} is too large ({number})")
    return int(cents)


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def parse_country(value: str, *, field: str = "member") -> str:
    try:
        return _COUNTRY.validate_python(value)
    except ValidationError as e:
        raise InvalidInputError(
            f"{field} '{value}' is not an ISO 3166-1 alpha-2 country code (e.g. 'CA')"
        ) from e


def allocate(total_cents: int, weights: Sequence[Decimal | int | Fraction]) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights`` so the parts add up exactly.

    Largest remainder: every part gets the floor of its exact quota; the cents left over go
    one each to the largest remainders, ties broken by position (callers order by a stable
    key, e.g. member code).
    """
    if total_cents < 0:
        raise ValueError("cannot allocate a negative amount")
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    whole = sum(exact, Fraction(0))
    if whole == 0:
        if total_cents == 0:
            return [0] * len(exact)
        raise ValueError("cannot allocate an amount over zero weights")
    quotas = [total_cents * w / whole for w in exact]
    parts = [q.numerator // q.denominator for q in quotas]
    left = total_cents - sum(parts)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class Share:
    member: str
    percent: Decimal

    @property
    def text(self) -> str:
        return format(self.percent.normalize(), "f")


def contribution_scale(entries: Iterable[tuple[str, Decimal | str | int]]) -> tuple[Share, ...]:
    """Validated member shares, ordered by member code: ISO alpha-2, no duplicates,
    each above zero, summing to exactly 100."""
    shares: dict[str, Share] = {}
    for raw_member, raw_share in entries:
        member = parse_country(raw_member)
        if member in shares:
            raise InvalidInputError(f"member {member} appears twice in the contribution scale")
        percent = to_decimal(raw_share, field=f"share of {member}")
        if percent <= 0 or percent > HUNDRED:
            raise InvalidInputError(f"share of {member} must be above 0 and at most 100")
        shares[member] = Share(member, percent)
    if not shares:
        raise InvalidInputError("the contribution scale needs at least one member")
    total = sum((s.percent for s in shares.values()), Decimal(0))
    if total != HUNDRED:
        raise InvalidInputError(
            f"contribution shares add up to {format(total.normalize(), 'f')}%, not exactly 100%"
        )
    return tuple(shares[m] for m in sorted(shares))


def split_by_shares(total_cents: int, shares: Sequence[Share]) -> dict[str, int]:
    """Each member's part of an amount (expected contribution, attribution of a payment)."""
    ordered = sorted(shares, key=lambda s: s.member)
    parts = allocate(total_cents, [s.percent for s in ordered])
    return {s.member: part for s, part in zip(ordered, parts, strict=True)}


def attribute_payment(
    amount_cents: int, unused_received: Mapping[str, int], shares: Sequence[Share]
) -> dict[str, int]:
    """Which members' money pays ``amount_cents``: pro rata to each member's received money not
    yet attributed, by largest remainder. So no member is ever attributed more than it paid in
    (each part is at most the ceiling of ``amount * unused_i / total_unused`` <= ``unused_i``),
    and the parts add up to the payment. Before any receipt, the contribution shares are used.
    """
    members = sorted(m for m, cents in unused_received.items() if cents > 0)
    if sum(unused_received[m] for m in members) < amount_cents or not members:
        return split_by_shares(amount_cents, shares)
    parts = allocate(amount_cents, [unused_received[m] for m in members])
    return {m: p for m, p in zip(members, parts, strict=True) if p}
