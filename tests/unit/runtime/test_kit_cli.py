"""The command-line kit every service's ``cli.py`` uses, and the root command line mounting
every service's commands."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from db.schema import MessagingTables, service_metadata
from services.kit import cli as kit
from services.kit.definition import Runtime, RuntimeFactory, ServiceDef
from services.kit.errors import ConflictError
from services.kit.settings import Settings
from services.runtime import cli as root_cli
from tests.support import make_runtime


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    count: int


class Row(BaseModel):
    id: int
    keys: dict[str, int]
    where: dict[str, str]
    note: str | None = None


def test_a_users_mistake_is_one_line_and_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def factory() -> Runtime:
        return make_runtime(Settings(data_dir=tmp_path), {})

    async def work(rt: Runtime) -> None:
        raise ConflictError("The case is 'departed'; it cannot be withdrawn.")

    with pytest.raises(typer.Exit) as exited:
        kit.run_offline(factory, work)
    assert exited.value.exit_code == 1
    assert capsys.readouterr().out.strip() == (
        "error: The case is 'departed'; it cannot be withdrawn."
    )


def test_a_table_shows_empty_cells_for_none(capsys: pytest.CaptureFixture[str]) -> None:
    kit.print_table(("id", "when"), [(1, None), (2, "2030-01-15")])
    out = capsys.readouterr().out
    assert "None" not in out and "2030-01-15" in out


def test_models_render_as_flat_csv_columns(capsys: pytest.CaptureFixture[str]) -> None:
    kit.render_models([Row(id=1, keys={"a": 2}, where={"office": "GT"})], True, "Rows")
    assert capsys.readouterr().out.splitlines() == ["id,a,where.office,note", "1,2,GT,"]


def test_a_payload_file_is_read_into_its_model(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_text('{"name": "x", "count": 2}', encoding="utf-8")
    assert kit.read_payload(path, Body) == Body(name="x", count=2)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "not JSON (line 1, column 2)"),
        (
            '{"name": "Maria Lopez", "count": "many", "extra": 1}',
            "2 invalid field(s): count, extra",
        ),
    ],
)
def test_a_bad_payload_file_is_named_without_its_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    path = tmp_path / "body.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(typer.Exit) as exited:
        kit.read_payload(path, Body)
    out = capsys.readouterr().out
    assert exited.value.exit_code == 1
    assert said in out and "Maria" not in out and "many" not in out


def test_a_missing_payload_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(typer.Exit):
        kit.read_payload(tmp_path / "none.json", Body)


def test_an_option_that_is_not_a_uuid_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    case = uuid.uuid4()
    assert kit.parse_uuid(str(case), "--case", "a case id") == case
    assert kit.parse_uuid(None, "--case", "a case id") is None
    with pytest.raises(typer.Exit) as exited:
        kit.parse_uuid("nope", "--case", "a case id", prefix="funding")
    assert exited.value.exit_code == 2
    assert capsys.readouterr().out.strip() == "funding: --case 'nope' is not a case id (a UUID)"


def test_a_date_option_is_its_day() -> None:
    assert kit.day(datetime(2030, 1, 15, 23, 0, tzinfo=UTC)).isoformat() == "2030-01-15"
    assert kit.day(None) is None


def test_the_root_command_line_mounts_every_services_commands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def install(app: typer.Typer, runtime: RuntimeFactory) -> None:
        group = typer.Typer(no_args_is_help=True)

        @group.command("hello")
        def hello() -> None:
            typer.echo(f"hello from {runtime is root_cli.offline_runtime}")

        app.add_typer(group, name="probe")

    probe = ServiceDef(
        name="probe",
        metadata=service_metadata(),
        tables=MessagingTables(service_metadata(), "probe"),
        cli=install,
    )
    monkeypatch.setattr(root_cli, "all_services", lambda: [probe])
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The root."""

    root_cli.install_service_commands(app)
    result = CliRunner().invoke(app, ["probe", "hello"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "hello from True"


def test_each_command_group_of_the_root_command_line_is_mounted_once() -> None:
    """A service's group mounted by its ``ServiceDef.cli`` and again by hand would shadow
    one of the two."""
    names = [g.name for g in root_cli.app.registered_groups]
    commands = [
        c.name or (c.callback.__name__ if c.callback else "")
        for c in root_cli.app.registered_commands
    ]
    assert len(names) == len(set(names)), names
    assert len(commands) == len(set(commands)), commands
