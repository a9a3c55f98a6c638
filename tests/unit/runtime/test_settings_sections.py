"""A service's own settings section: the same ``RETORNO_*`` variables (environment, ``.env``,
secrets directory), read through the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from services.kit.settings import Settings, SettingsSection, section_config
from tests.support import make_runtime


class ProbeSettings(SettingsSection):
    model_config = section_config("RETORNO_PROBE_")

    interval_seconds: float = Field(default=60, gt=0)


def test_a_section_reads_its_variables_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETORNO_PROBE_INTERVAL_SECONDS", "7.5")
    rt = make_runtime(Settings(data_dir=tmp_path), {})
    assert rt.settings_for(ProbeSettings).interval_seconds == 7.5
    assert rt.settings_for(ProbeSettings) is rt.settings_for(ProbeSettings)
    assert rt.settings_for(Settings) is rt.settings


def test_a_section_reads_a_secret_file_named_like_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "retorno_probe_interval_seconds").write_text("12", encoding="utf-8")
    monkeypatch.setenv("RETORNO_SECRETS_DIR", str(secrets))
    monkeypatch.delenv("RETORNO_PROBE_INTERVAL_SECONDS", raising=False)
    assert ProbeSettings().interval_seconds == 12


def test_a_test_puts_its_own_section(tmp_path: Path) -> None:
    rt = make_runtime(Settings(data_dir=tmp_path), {})
    rt.put_settings(ProbeSettings(interval_seconds=1))
    assert rt.settings_for(ProbeSettings).interval_seconds == 1


def test_a_setting_given_to_the_wrong_class_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="no setting probe_interval_seconds"):
        Settings(data_dir=tmp_path, probe_interval_seconds=1)
    with pytest.raises(TypeError, match="no setting data_dir"):
        ProbeSettings(data_dir=tmp_path)


def test_variables_of_other_sections_in_the_environment_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETORNO_PROBE_INTERVAL_SECONDS", "3")
    monkeypatch.setenv("RETORNO_SOMETHING_ELSE", "x")
    assert Settings(data_dir=tmp_path).data_dir == tmp_path
    assert ProbeSettings().interval_seconds == 3
