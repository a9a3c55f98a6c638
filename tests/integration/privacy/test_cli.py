"""`retorno keys` and `retorno retention` on a real SQLite data dir, through privacy's own
``ServiceDef.cli``: same commands and outputs as before they moved out of the runtime."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from services.runtime.cli import app


def test_keys_rotate_list_and_retire_an_old_key(tmp_path: Path) -> None:
    env = {"RETORNO_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    runner = CliRunner()
    assert runner.invoke(app, ["migrate", "--service", "privacy"], env=env).exit_code == 0
    before = runner.invoke(app, ["keys", "list"], env=env)
    old = next(word for word in before.output.split() if word.startswith("mk_"))

    rotated = runner.invoke(app, ["keys", "rotate"], env=env)
    retired = runner.invoke(app, ["keys", "retire", old], env=env)
    again = runner.invoke(app, ["keys", "retire", old], env=env)
    after = runner.invoke(app, ["keys", "list"], env=env)

    assert rotated.exit_code == 0 and rotated.output.startswith("rotated: RotationReport(")
    assert "rewrapped=0" in rotated.output
    assert retired.exit_code == 0 and retired.output.strip() == f"master key {old} retired"
    assert again.exit_code == 1 and again.output.startswith("error: master key")
    assert old not in after.output and "mk_" in after.output


def test_retention_run_prints_its_report(tmp_path: Path) -> None:
    env = {"RETORNO_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    runner = CliRunner()
    assert runner.invoke(app, ["migrate", "--service", "privacy"], env=env).exit_code == 0

    result = runner.invoke(app, ["retention", "run"], env=env)

    assert result.exit_code == 0, result.output
    assert result.output.startswith("retention: RetentionReport(ran_at=datetime.datetime(")
    assert "erased=[], held=[], failed={})" in result.output
