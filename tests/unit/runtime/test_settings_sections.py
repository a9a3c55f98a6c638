"""A service's own settings section: the same ``RETORNO_*`` variables (environment, ``.env``,
secrets directory), read through the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from privacy.settings import PrivacySettings
from services.api.settings import OidcSettings
from services.audit.service import SERVICE as AUDIT
from services.audit.settings import AuditSettings
from services.funding.settings import FundingSettings
from services.kit.definition import PeriodicJob, ServiceDef
from services.kit.settings import Settings, SettingsSection, section_config
from services.runtime.composition import build_runtime, close_runtime
from services.runtime.registry import all_services
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


def _job(service: ServiceDef, name: str) -> PeriodicJob:
    return next(job for job in service.periodic if job.name == name)


async def test_the_variables_the_services_always_read_reach_their_sections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving a knob into its service's section changed no variable: what ``retorno`` (the
    node and the commands, through the composition root) was configured with still works."""
    values = {
        "RETORNO_AUDIT_CHECKPOINT_INTERVAL_SECONDS": "7.5",
        "RETORNO_AUDIT_CHECKPOINT_EVERY_EVENTS": "9",
        "RETORNO_AUDIT_BROKER_TIMEOUT_SECONDS": "0.25",
        "RETORNO_MASTER_KEY": "a-master-key",
        "RETORNO_RETENTION_YEARS_AFTER_CLOSURE": "7",
        "RETORNO_RETENTION_INTERVAL_SECONDS": "120",
        "RETORNO_DEFAULT_PER_PERSON_CAP_CENTS": "5000",
        "RETORNO_OIDC_ISSUER": "https://id.example",
        "RETORNO_OIDC_AUDIENCE": "retorno",
        "RETORNO_OIDC_JWKS_URL": "https://id.example/jwks",
        "RETORNO_OIDC_ROLE_CLAIM": "role",
        "RETORNO_OIDC_OFFICES_CLAIM": "offices",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    services = all_services()
    rt = build_runtime(Settings(data_dir=tmp_path), services)  # the platform's part is happy
    try:
        by_name = {s.name: s for s in services}
        assert _job(by_name["audit"], "audit.verify_and_checkpoint").interval_seconds(rt) == 7.5
        assert _job(by_name["privacy"], "retention").interval_seconds(rt) == 120
        audit = rt.settings_for(AuditSettings)
        assert (audit.checkpoint_every_events, audit.broker_timeout_seconds) == (9, 0.25)
        privacy = rt.settings_for(PrivacySettings)
        assert (privacy.master_key, privacy.retention_years_after_closure) == ("a-master-key", 7)
        assert rt.settings_for(FundingSettings).default_per_person_cap_cents == 5000
        oidc = rt.settings_for(OidcSettings)
        assert (oidc.issuer, oidc.audience, oidc.jwks_url) == (
            "https://id.example",
            "retorno",
            "https://id.example/jwks",
        )
        assert (oidc.role_claim, oidc.offices_claim) == ("role", "offices")
    finally:
        await close_runtime(rt)


async def test_a_job_interval_comes_from_the_section_a_test_put(tmp_path: Path) -> None:
    rt = make_runtime(Settings(data_dir=tmp_path), {})
    rt.put_settings(AuditSettings(checkpoint_interval_seconds=0.5))
    assert _job(AUDIT, "audit.verify_and_checkpoint").interval_seconds(rt) == 0.5
