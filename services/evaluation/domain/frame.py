"""Facts in columns: integer codes per dimension, so that a million facts aggregate in numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.evaluation.domain.facts import (
    CLOSURES,
    INTENTIONS,
    OUTCOMES,
    RESIDENCES,
    SCORES,
    SEXES,
    ReturnFact,
)
from services.evaluation.domain.settings import TableSettings

Codes = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Coded:
    """A categorical column: ``labels[codes[i]]`` is fact i's value (-1: none)."""

    labels: tuple[str, ...]
    codes: Codes


@dataclass(frozen=True, eq=False)
class FactFrame:
    settings: TableSettings
    month: Coded
    office: Coded
    departure: Coded
    destination: Coded
    sex: Coded
    age_band: Coded
    outcome: Coded
    category_mask: npt.NDArray[np.uint64]  # bit j: settings.categories[j]
    committed: npt.NDArray[np.int64]  # (n, cost categories), cents
    paid: npt.NDArray[np.int64]
    instrument: Coded  # -1: no reintegration follow-up, or not scored yet
    scores: npt.NDArray[np.float64]  # (n, 4) in SCORES order, NaN when missing
    residence: Coded
    intention: Coded
    contacts_done: npt.NDArray[np.int64]
    contacts_due: npt.NDArray[np.int64]
    closure: Coded  # -1: no reintegration follow-up

    def __len__(self) -> int:
        return len(self.month.codes)

    def select(self, rows: npt.NDArray[np.bool_]) -> FactFrame:
        """The facts where ``rows`` is true, keeping every label list (and so every level)."""

        def c(col: Coded) -> Coded:
            return Coded(col.labels, col.codes[rows])

        return FactFrame(
            settings=self.settings,
            month=c(self.month),
            office=c(self.office),
            departure=c(self.departure),
            destination=c(self.destination),
            sex=c(self.sex),
            age_band=c(self.age_band),
            outcome=c(self.outcome),
            category_mask=self.category_mask[rows],
            committed=self.committed[rows],
            paid=self.paid[rows],
            instrument=c(self.instrument),
            scores=self.scores[rows],
            residence=c(self.residence),
            intention=c(self.intention),
            contacts_done=self.contacts_done[rows],
            contacts_due=self.contacts_due[rows],
            closure=c(self.closure),
        )

    def in_months(self, months: frozenset[str]) -> FactFrame:
        wanted = np.array([m in months for m in self.month.labels], dtype=bool)
        return self.select(wanted[self.month.codes] if len(wanted) else wanted)


def _observed(values: Sequence[str]) -> Coded:
    labels = tuple(sorted(set(values)))
    index = {label: i for i, label in enumerate(labels)}
    return Coded(labels, np.fromiter((index[v] for v in values), np.int64, len(values)))


def _fixed(values: Sequence[str | None], labels: tuple[str, ...], what: str) -> Coded:
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({v for v in values if v is not None and v not in index})
    if unknown:
        raise ValueError(f"{what} {unknown} not among the configured {list(labels)}")
    codes = np.fromiter((-1 if v is None else index[v] for v in values), np.int64, len(values))
    return Coded(labels, codes)


def _amounts(lines: Sequence[tuple[tuple[str, int], ...]], labels: tuple[str, ...]) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(lines), len(labels)), dtype=np.int64)
    for row, pairs in enumerate(lines):
        for name, cents in pairs:
            if name not in index:
                raise ValueError(f"cost category '{name}' not among {list(labels)}")
            out[row, index[name]] = cents
    return out


def frame_of(facts: Sequence[ReturnFact], settings: TableSettings) -> FactFrame:
    """The columns of ``facts``; observed dimensions (months, offices, countries) sorted."""
    if len(settings.categories) > 63:
        raise ValueError("at most 63 vulnerability categories")
    bit = {c: np.uint64(1) << np.uint64(j) for j, c in enumerate(settings.categories)}
    unknown = sorted({c for f in facts for c in f.categories if c not in bit})
    if unknown:
        raise ValueError(f"categories {unknown} not among {list(settings.categories)}")
    mask = np.zeros(len(facts), dtype=np.uint64)
    for row, fact in enumerate(facts):
        for c in fact.categories:
            mask[row] |= bit[c]
    reint = [f.reintegration for f in facts]
    scores = np.array(
        [
            [np.nan if r is None or getattr(r, s) is None else getattr(r, s) for s in SCORES]
            for r in reint
        ],
        dtype=np.float64,
    ).reshape(len(facts), len(SCORES))
    versions = sorted(
        {r.instrument_version for r in reint if r is not None and r.instrument_version}
    )
    return FactFrame(
        settings,
        _observed([f.month for f in facts]),
        _observed([f.office for f in facts]),
        _observed([f.departure_country for f in facts]),
        _observed([f.destination_country for f in facts]),
        _fixed([f.sex for f in facts], SEXES, "sex"),
        _fixed([f.age_band for f in facts], settings.age_labels, "age band"),
        _fixed([f.outcome for f in facts], OUTCOMES, "outcome"),
        mask,
        _amounts([f.committed_cents for f in facts], settings.cost_categories),
        _amounts([f.paid_cents for f in facts], settings.cost_categories),
        _fixed(
            [None if r is None else r.instrument_version for r in reint],  # None: not scored
            tuple(versions),
            "instrument",
        ),
        scores,
        _fixed([None if r is None else r.residence for r in reint], RESIDENCES, "residence"),
        _fixed(
            [None if r is None else r.remigration_intention for r in reint], INTENTIONS, "intention"
        ),
        np.array([0 if r is None else r.contacts_done for r in reint], dtype=np.int64),
        np.array([0 if r is None else r.contacts_due for r in reint], dtype=np.int64),
        _fixed([None if r is None else r.closure for r in reint], CLOSURES, "closure"),
    )
