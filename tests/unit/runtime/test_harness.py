"""The test harness itself (``tests/support.py``): the fake clock and the runtime it builds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.kit.identity import AUTHENTICATOR, Principal
from services.kit.settings import Settings
from services.kit.vault import VAULT
from tests.support import TOKENS, FakeClock, make_app, make_runtime


def test_the_fake_clock_is_utc_and_moves_only_when_told() -> None:
    clock = FakeClock()
    first = clock()
    assert first.tzinfo is not None and first.utcoffset() == timedelta(0)
    assert clock() == first
    assert clock.advance(hours=2) == first + timedelta(hours=2)
    assert clock.advance(timedelta(days=1), minutes=1) == first + timedelta(
        days=1, hours=2, minutes=1
    )


def test_the_fake_clock_refuses_a_time_that_is_not_utc() -> None:
    with pytest.raises(ValueError, match="UTC"):
        FakeClock(datetime(2030, 1, 1, tzinfo=UTC).astimezone(tz=None).replace(tzinfo=None))


async def test_a_runtime_has_the_tests_clock_vault_and_tokens(tmp_path: Path) -> None:
    clock, vault = FakeClock(), object()
    tokens = {"t": Principal("u", "auditor")}
    rt = make_runtime(Settings(data_dir=tmp_path), {}, clock=clock, vault=vault, tokens=tokens)  # type: ignore[arg-type]
    assert rt.clock() == clock.now
    assert rt.part(VAULT) is vault
    assert await rt.part(AUTHENTICATOR).authenticate("t") == tokens["t"]


async def test_the_app_answers_with_the_fixed_tokens_by_role(tmp_path: Path) -> None:
    rt = make_runtime(Settings(data_dir=tmp_path), {})
    make_app(rt, [])
    for role, principal in TOKENS.items():
        assert await rt.part(AUTHENTICATOR).authenticate(role) == principal
        assert principal.role == role
