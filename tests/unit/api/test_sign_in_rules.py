from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.api.domain import (
    LockoutPolicy,
    PasswordRejectedError,
    SessionPolicy,
    check_new_password,
    is_locked,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_the_fifth_failure_in_a_row_locks_for_fifteen_minutes() -> None:
    policy = LockoutPolicy()
    failures, until = 0, None
    for _ in range(4):
        failures, until = policy.after_failure(failures, NOW)
        assert until is None
    failures, until = policy.after_failure(failures, NOW)
    assert failures == 5 and until == NOW + timedelta(minutes=15)
    assert is_locked(until, NOW + timedelta(minutes=14, seconds=59))
    assert not is_locked(until, NOW + timedelta(minutes=15))
    assert not is_locked(None, NOW)


def test_a_session_is_alive_until_idle_or_absolute_limits() -> None:
    policy = SessionPolicy()
    assert policy.alive(NOW, NOW, NOW + timedelta(minutes=29))
    assert not policy.alive(NOW, NOW, NOW + timedelta(minutes=30))
    late = NOW + timedelta(hours=11, minutes=50)
    assert policy.alive(NOW, late, late + timedelta(minutes=9))
    assert not policy.alive(NOW, late, NOW + timedelta(hours=12))
    assert not policy.needs_touch(NOW, NOW + timedelta(seconds=59))
    assert policy.needs_touch(NOW, NOW + timedelta(seconds=60))


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "too short"),
        ("x" * 257, "too long"),
        ("I am Ana.Lopez, really", "user name"),
    ],
)
def test_a_new_password_is_refused_for_length_or_the_user_name(password: str, problem: str) -> None:
    with pytest.raises(PasswordRejectedError, match=problem):
        check_new_password(password, "ana.lopez")


def test_a_long_passphrase_is_accepted() -> None:
    check_new_password("correct horse battery staple", "ana.lopez")
