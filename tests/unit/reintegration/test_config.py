"""The follow-up's settings and instruments: an agency's instrument is a new file with a new
version, chosen by configuration; a broken or duplicated one stops the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.reintegration.settings import (
    SHIPPED_INSTRUMENTS,
    ReintegrationSettings,
    build_config,
)

SHIPPED = (SHIPPED_INSTRUMENTS / "illustrative-1.toml").read_text()


def test_the_defaults_are_three_six_and_twelve_months_and_the_illustrative_instrument():
    cfg = build_config(ReintegrationSettings())
    assert cfg.rules.contact_offsets_months == (3, 6, 12)
    assert cfg.rules.window_days == 14 and cfg.rules.plan_due_days == 30
    assert cfg.default_instrument == "illustrative-1"
    assert cfg.instruments["illustrative-1"].illustrative


def test_an_official_instrument_is_entered_as_a_new_version_by_configuration(tmp_path: Path):
    official = SHIPPED.replace('version = "illustrative-1"', 'version = "official-2027"').replace(
        "illustrative = true", "illustrative = false"
    )
    (tmp_path / "official.toml").write_text(official)
    cfg = build_config(
        ReintegrationSettings(instruments_dir=tmp_path, default_instrument="official-2027")
    )
    assert set(cfg.instruments) == {"illustrative-1", "official-2027"}
    assert cfg.default_instrument == "official-2027"


def test_an_instrument_that_reuses_a_version_stops_the_start(tmp_path: Path):
    (tmp_path / "copy.toml").write_text(SHIPPED)
    with pytest.raises(ValueError, match="defined twice"):
        build_config(ReintegrationSettings(instruments_dir=tmp_path))


def test_a_broken_instrument_file_is_named(tmp_path: Path):
    (tmp_path / "broken.toml").write_text(
        SHIPPED.replace('version = "illustrative-1"', 'version = "x2"').replace(
            'weight = "1"', 'weight = "-1"', 1
        )
    )
    with pytest.raises(ValueError, match="broken.toml"):
        build_config(ReintegrationSettings(instruments_dir=tmp_path))


def test_an_unknown_default_instrument_stops_the_start():
    with pytest.raises(ValueError, match="not a loaded instrument"):
        build_config(ReintegrationSettings(default_instrument="official-9"))


def test_overlapping_windows_stop_the_start():
    with pytest.raises(ValueError, match="overlap"):
        build_config(ReintegrationSettings(contact_offsets_months=[1, 2], window_days=20))
