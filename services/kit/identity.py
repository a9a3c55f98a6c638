"""Who may do what: roles, the one permission table (role x action), the principal, and
office scoping. Pure Python, no web framework: use cases import this module; the FastAPI
guards that turn a bearer token into a ``Principal`` are in ``services.kit.routes``.

Office scoping of caseworkers and supervisors is checked by the use case with
``ensure_office``. How a token becomes a ``Principal`` is the runtime's business:
``rt.part(AUTHENTICATOR)`` is an ``Authenticator`` (the users service installs one that
checks its token store and, when configured, OpenID Connect JWTs). Tests may install
``StaticAuthenticator``.

The permission table (kept in sync with ``docs/roles.md`` by a test):

=======================  ============================================================
role                     actions
=======================  ============================================================
caseworker               cases.create, cases.read, cases.read_personal, cases.transition,
                         funding.commit, funding.read, funds.read, privacy.consent,
                         transfers.request, transfers.read, cases.break_glass,
                         monitoring.read, monitoring.record, monitoring.read_counts,
                         me.read (own offices only)
supervisor               everything a caseworker may, plus funding.disburse,
                         funds.manage and transfers.decide (own offices only)
auditor                  audit.read, audit.verify, funds.read, funding.read,
                         monitoring.read_counts, me.read (never personal data)
evaluator                exports.read, exports.create, me.read (anonymized data only)
data_protection_officer  privacy.*, cases.read, cases.read_personal, transfers.read,
                         transfers.decide, me.read
admin                    users.manage, me.read (manages accounts, sees no cases)
=======================  ============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from services.kit.errors import ForbiddenError
from services.kit.parts import PartKey

OFFICE_SCOPED_ROLES = frozenset({"caseworker", "supervisor"})

ACTIONS = frozenset(
    {
        "me.read",
        "cases.create",
        "cases.read",
        "cases.read_personal",
        "cases.transition",
        "privacy.subject_access",
        "privacy.erase",
        "privacy.legal_hold",
        "privacy.consent",
        "privacy.retention",
        "funds.manage",
        "funds.read",
        "funding.commit",
        "funding.disburse",
        "funding.read",
        "audit.read",
        "audit.verify",
        "users.manage",
        "exports.read",
        "exports.create",
        "transfers.request",
        "transfers.read",
        "transfers.decide",
        "cases.break_glass",
        "privacy.emergency_reads",
        "monitoring.read",
        "monitoring.record",
        "monitoring.read_counts",
    }
)

_CASEWORKER = frozenset(
    {
        "me.read",
        "cases.create",
        "cases.read",
        "cases.read_personal",
        "cases.transition",
        "funding.commit",
        "funding.read",
        "funds.read",
        "privacy.consent",
        "transfers.request",
        "transfers.read",
        "cases.break_glass",
        "monitoring.read",
        "monitoring.record",
        "monitoring.read_counts",
    }
)

PERMISSIONS: Mapping[str, frozenset[str]] = {
    "caseworker": _CASEWORKER,
    "supervisor": _CASEWORKER | {"funding.disburse", "funds.manage", "transfers.decide"},
    "auditor": frozenset(
        {"me.read", "audit.read", "audit.verify", "funds.read", "funding.read"}
        | {"monitoring.read_counts"}
    ),
    "evaluator": frozenset({"me.read", "exports.read", "exports.create"}),
    "data_protection_officer": frozenset(
        {"me.read", "cases.read", "cases.read_personal", "transfers.read", "transfers.decide"}
        | {a for a in ACTIONS if a.startswith("privacy.")}
    ),
    "admin": frozenset({"me.read", "users.manage"}),
}

ROLES: tuple[str, ...] = tuple(PERMISSIONS)


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    offices: frozenset[str] = field(default_factory=frozenset)

    def can_see_office(self, office: str) -> bool:
        """Caseworkers and supervisors are scoped to their offices; other roles are not."""
        if self.role in OFFICE_SCOPED_ROLES:
            return office in self.offices
        return True


def can(principal: Principal, action: str) -> bool:
    """Whether the principal's role is granted ``action`` by the permission table."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; add it to services.kit.identity.ACTIONS")
    return action in PERMISSIONS.get(principal.role, frozenset())


def ensure_office(principal: Principal, office: str) -> None:
    """Raise 403 unless the principal may act on records of ``office``."""
    if not principal.can_see_office(office):
        raise ForbiddenError(
            f"This record belongs to office {office!r}, which is not one of your offices; "
            "ask a supervisor of that office."
        )


def ensure_some_office(principal: Principal, offices: Iterable[str], what: str) -> None:
    """Raise 403 unless the principal may act on at least one of ``offices``.

    For a person: ``offices`` are the offices of the person's cases; a caseworker or
    supervisor of none of them gets 403 (the "not yours" policy of ``docs/roles.md``).
    """
    found = sorted(set(offices))
    if not any(principal.can_see_office(o) for o in found):
        raise ForbiddenError(
            f"{what} belongs to office(s) {', '.join(found) or '(none)'}, none of which is one "
            "of your offices; ask a supervisor of that office, or request a transfer of the "
            "person's record"
        )


class Authenticator(Protocol):
    async def authenticate(self, token: str) -> Principal | None:
        """The principal a bearer token stands for, or None when it is unknown or invalid."""
        ...


class StaticAuthenticator:
    """Fixed tokens; for tests and demos that need no token store."""

    def __init__(self, tokens: Mapping[str, Principal]) -> None:
        self.tokens = dict(tokens)

    async def authenticate(self, token: str) -> Principal | None:
        return self.tokens.get(token)


AUTHENTICATOR: PartKey[Authenticator] = PartKey("authenticator")
