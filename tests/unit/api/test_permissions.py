"""The permission table: the rules it must keep, and docs/roles.md agreeing with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.kit.errors import ForbiddenError
from services.kit.identity import (
    ACTIONS,
    OFFICE_SCOPED_ROLES,
    PERMISSIONS,
    ROLES,
    Principal,
    can,
    ensure_office,
)
from services.kit.routes import require

PERSONAL_DATA_ACTIONS = {"cases.read_personal", "privacy.subject_access"}
ROLES_DOC = Path(__file__).resolve().parents[3] / "docs" / "roles.md"


def test_every_role_in_the_table_is_a_known_role() -> None:
    assert set(ROLES) == {
        "caseworker",
        "supervisor",
        "auditor",
        "evaluator",
        "data_protection_officer",
        "admin",
    }


def test_table_grants_only_known_actions() -> None:
    for role, actions in PERMISSIONS.items():
        assert actions <= ACTIONS, role


def test_every_action_is_granted_to_some_role() -> None:
    granted = set().union(*PERMISSIONS.values())

    assert granted == ACTIONS


def test_auditor_and_evaluator_never_get_personal_data() -> None:
    for role in ("auditor", "evaluator", "admin"):
        assert not PERMISSIONS[role] & PERSONAL_DATA_ACTIONS, role
        assert not any(a.startswith(("cases.", "privacy.")) for a in PERMISSIONS[role]), role


def test_evaluator_sees_only_exports() -> None:
    assert PERMISSIONS["evaluator"] - {"me.read"} == {"exports.read", "exports.create"}


def test_only_supervisors_disburse() -> None:
    assert [r for r in ROLES if "funding.disburse" in PERMISSIONS[r]] == ["supervisor"]


def test_supervisor_may_do_everything_a_caseworker_may() -> None:
    assert PERMISSIONS["caseworker"] < PERMISSIONS["supervisor"]


def test_data_protection_officer_holds_every_privacy_action() -> None:
    privacy = {a for a in ACTIONS if a.startswith("privacy.")}

    assert privacy <= PERMISSIONS["data_protection_officer"]
    assert [r for r in ROLES if "privacy.erase" in PERMISSIONS[r]] == ["data_protection_officer"]


def test_can_follows_the_table_for_every_role_and_action() -> None:
    for role in ROLES:
        principal = Principal("u", role, frozenset({"A"}))
        for action in ACTIONS:
            assert can(principal, action) == (action in PERMISSIONS[role])


def test_unknown_role_can_do_nothing() -> None:
    principal = Principal("u", "superuser")

    assert not any(can(principal, action) for action in ACTIONS)


def test_can_rejects_an_unknown_action_name() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        can(Principal("u", "admin"), "cases.delete_everything")


def test_require_rejects_an_unknown_action_at_import_time() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        require("cases.typo")


def test_office_scoped_roles_see_only_their_offices() -> None:
    for role in OFFICE_SCOPED_ROLES:
        principal = Principal("u", role, frozenset({"GT-01"}))

        ensure_office(principal, "GT-01")
        with pytest.raises(ForbiddenError, match="GT-02"):
            ensure_office(principal, "GT-02")


def test_unscoped_roles_are_not_limited_by_office() -> None:
    ensure_office(Principal("u", "data_protection_officer"), "GT-02")


def _documented_table() -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    lines = ROLES_DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| action"))
    roles = [cell.strip().strip("`") for cell in lines[start].strip("|").split("|")[1:]]
    for line in lines[start + 2 :]:
        match = re.match(r"^\|\s*`([a-z_.]+)`\s*\|(.*)\|\s*$", line)
        if not match:
            continue
        cells = [cell.strip() for cell in match.group(2).split("|")]
        for role, cell in zip(roles, cells, strict=True):
            if cell == "yes":
                rows.setdefault(role, set()).add(match.group(1))
    return rows


def test_docs_roles_md_matches_the_permission_table() -> None:
    documented = _documented_table()

    assert {role: documented.get(role, set()) for role in ROLES} == {
        role: set(actions) for role, actions in PERMISSIONS.items()
    }
