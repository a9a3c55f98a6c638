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
