"""Response bodies of the search of cases by name or document number."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from events.registration import CaseStatus
from services.registration.schemas.cases import CaseSummary


class CaseSearchIn(BaseModel):
    """``POST /api/search/cases``: the text in the body, never in a URL."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        min_length=1,
        max_length=200,
        description="A name (every word must be a word of the person's names) or a document "
        "number (whole, separators ignored)",
    )
    status: CaseStatus | None = None
    office: str | None = Field(default=None, max_length=60)
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=50, ge=1, le=200)


class CaseFound(CaseSummary):
    matched_people: list[str] = Field(
        description="The person_refs of this case whose name or document number matched"
    )


class CaseSearchPage(BaseModel):
    items: list[CaseFound]
    page: int
    page_size: int
    total: int
