"""`retorno users add` on a real SQLite data dir: a mistake is one clear line, no traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from services.runtime.cli import app


def test_adding_a_user_whose_name_exists_says_so_in_one_line(tmp_path: Path) -> None:
    env = {"RETORNO_DATA_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    first = runner.invoke(app, ["users", "add", "ana", "--role", "auditor"], env=env)
    assert first.exit_code == 0, first.output

    again = runner.invoke(app, ["users", "add", "ana", "--role", "auditor"], env=env)

    assert again.exit_code == 1
    assert "already exists" in again.output
    assert "Traceback" not in again.output and len(again.output.strip().splitlines()) == 1


def test_a_one_time_password_is_printed_once_and_signs_in_only_to_be_changed(
    tmp_path: Path,
) -> None:
    import asyncio

    from services.api import usecases
    from services.kit.settings import Settings
    from services.runtime.cli import offline_runtime

    env = {"RETORNO_DATA_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "rosa", "--role", "auditor", "--password"], env=env)
    assert added.exit_code == 0, added.output
    one_time = added.output.strip().splitlines()[-1]
    again = runner.invoke(app, ["users", "password", "rosa"], env=env)
    assert again.exit_code == 0, again.output
    second = again.output.strip().splitlines()[-1]
    assert second != one_time

    async def sign_in(password: str) -> bool:
        rt = await offline_runtime(Settings(data_dir=tmp_path / "var"))
        try:
            return (await usecases.sign_in(rt, "rosa", password)).must_change_password
        finally:
            for db in rt.databases.values():
                await db.engine.dispose()

    assert asyncio.run(sign_in(second)) is True
    missing = runner.invoke(app, ["users", "password", "nobody"], env=env)
    assert missing.exit_code == 1 and "No user named 'nobody'" in missing.output
