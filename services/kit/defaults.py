"""The default vocabularies a deployment may change in its settings (pure: domain modules
may import them)."""

from __future__ import annotations

DEFAULT_CATEGORIES = [
    "woman_at_risk",
    "unaccompanied_minor",
    "disability",
    "elderly_over_70",
    "injury_or_illness",
    "trafficking_victim",
]
DEFAULT_COST_CATEGORIES = [
    "transport",
    "travel_documents",
    "escort",
    "subsistence",
    "medical",
    "reception",
    "reintegration_grant",
    "other",
]
