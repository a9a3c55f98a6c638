"""The follow-up's own settings (``RETORNO_REINTEGRATION_*``) and its instruments, loaded and
validated once at start (``on_start``) and kept in the runtime as a part.

An agency enters its official instrument as a new TOML file with a new version in
``RETORNO_REINTEGRATION_INSTRUMENTS_DIR`` (beside the shipped ``illustrative-1``) and makes it
the default with ``RETORNO_REINTEGRATION_DEFAULT_INSTRUMENT``: configuration, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from services.kit.definition import Runtime
from services.kit.parts import PartKey
from services.kit.settings import SettingsSection, section_config
from services.reintegration.domain.schedule import ScheduleRules
from services.reintegration.domain.scoring import Instrument, parse_instrument

SHIPPED_INSTRUMENTS = Path(__file__).parent / "instruments"


class ReintegrationSettings(SettingsSection):
    model_config = section_config("RETORNO_REINTEGRATION_")

    plan_due_days: int = Field(
        default=30, ge=1, description="A plan is due this long after arrival"
    )
    contact_offsets_months: list[int] = Field(
        default_factory=lambda: [3, 6, 12],
        description="Monitoring contacts, in months after arrival (JSON list)",
    )
    window_days: int = Field(default=14, ge=0, description="Each contact's window: +- days")
    max_attempts: int = Field(
        default=3, ge=1, description="Failed attempts that make a contact 'not reached'"
    )
    due_soon_days: int = Field(
        default=7, ge=0, description="A contact whose window opens this soon is due this week"
    )
    instruments_dir: Path | None = Field(
        default=None, description="More instrument files (*.toml), beside the shipped ones"
    )
    default_instrument: str = Field(
        default="illustrative-1", description="The instrument version a survey is scored with"
    )
    overdue_check_seconds: float = Field(
        default=3600,
        gt=0,
        description="How often the overdue check runs; it emits contact_overdue once per "
        "contact, on the first check after its window closed",
    )


@dataclass(frozen=True)
class FollowUpConfig:
    rules: ScheduleRules
    instruments: dict[str, Instrument]
    default_instrument: str
    overdue_check_seconds: float


def load_instruments(*directories: Path) -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.toml")):
            instrument = parse_instrument(path.read_text(encoding="utf-8"), source=str(path))
            if instrument.version in found:
                raise ValueError(
                    f"{path}: instrument version {instrument.version!r} is defined twice; "
                    "a changed instrument is a new version"
                )
            found[instrument.version] = instrument
    return found


def build_config(settings: ReintegrationSettings | None = None) -> FollowUpConfig:
    s = settings or ReintegrationSettings()
    rules = ScheduleRules(
        plan_due_days=s.plan_due_days,
        contact_offsets_months=tuple(s.contact_offsets_months),
        window_days=s.window_days,
        max_attempts=s.max_attempts,
        due_soon_days=s.due_soon_days,
    )
    directories = [SHIPPED_INSTRUMENTS] + ([s.instruments_dir] if s.instruments_dir else [])
    instruments = load_instruments(*directories)
    if s.default_instrument not in instruments:
        raise ValueError(
            f"RETORNO_REINTEGRATION_DEFAULT_INSTRUMENT={s.default_instrument!r} is not a loaded "
            f"instrument version (loaded: {', '.join(sorted(instruments))})"
        )
    return FollowUpConfig(rules, instruments, s.default_instrument, s.overdue_check_seconds)


CONFIG: PartKey[FollowUpConfig] = PartKey("reintegration.config")


def config(rt: Runtime) -> FollowUpConfig:
    """The runtime's follow-up configuration (built from the environment on first use)."""
    found = rt.find(CONFIG)
    return (
        found
        if found is not None
        else rt.put(CONFIG, build_config(rt.settings_for(ReintegrationSettings)))
    )
