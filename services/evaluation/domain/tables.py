"""Aggregation of facts into a cross table with every margin (all sub-totals).

Each dimension has its inner levels and then ``Total`` (the last index). A person with several
vulnerability categories counts once in each of them, so a table's category ``Total`` is the
sum of its categories, not the number of people (the notes of such a table say so); every
margin is the sum of its parts, which is what the suppression and the audit rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
import numpy.typing as npt

from services.evaluation.domain.facts import (
    CLOSURES,
    INTENTIONS,
    OUTCOMES,
    RESIDENCES,
    SCORES,
    SEXES,
)
from services.evaluation.domain.frame import Coded, FactFrame
from services.evaluation.domain.spec import EXPLODED, NO_CATEGORY, TOTAL, Dimension, TableSpec

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
MeasureKind = Literal["count", "amount", "score"]

MEASURES: dict[str, tuple[tuple[str, MeasureKind], ...]] = {
    "returns": (("people", "count"),),
    "assistance": (("committed_cents", "amount"), ("paid_cents", "amount")),
    "outcomes": (
        ("people", "count"),
        *((f"n_{s}", "count") for s in SCORES),
        *((f"sum_{s}", "score") for s in SCORES),
        ("composite_above_threshold", "count"),
        ("contacts_done", "count"),
        ("contacts_due", "count"),
    ),
}


@dataclass(frozen=True, eq=False)
class CrossTable:
    """``values[cell + (measure,)]``; ``contributors[cell]``: people in the cell;
    ``top1``/``top2``: the two largest contributions of one person (amount measures)."""

    spec: TableSpec
    levels: tuple[tuple[str, ...], ...]
    measures: tuple[str, ...]
    kinds: tuple[MeasureKind, ...]
    values: Floats
    contributors: Ints
    top1: Floats
    top2: Floats

    @property
    def shape(self) -> tuple[int, ...]:
        return self.contributors.shape

    @property
    def floors(self) -> Floats:
        """What anyone knows of a hidden cell: people >= 1 (empty cells are published as 0)."""
        return np.array([1.0 if m == "people" else 0.0 for m in self.measures])

    def label(self, cell: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(
            TOTAL if i == len(levels) else levels[i]
            for i, levels in zip(cell, self.levels, strict=True)
        )

    def index(self, label: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(
            len(levels) if v == TOTAL else levels.index(v)
            for v, levels in zip(label, self.levels, strict=True)
        )


def _column(frame: FactFrame, dim: Dimension, spec: TableSpec) -> Coded:
    if dim == "period":
        by_month = {m: i for i, p in enumerate(spec.periods) for m in p.months}
        lookup = np.array([by_month.get(m, -1) for m in frame.month.labels], dtype=np.int64)
        codes = lookup[frame.month.codes] if len(lookup) else frame.month.codes
        return Coded(tuple(p.label for p in spec.periods), codes)
    columns: dict[str, Coded] = {
        "office": frame.office,
        "departure": frame.departure,
        "destination": frame.destination,
        "sex": frame.sex,
        "age_band": frame.age_band,
        "outcome": frame.outcome,
        "residence": frame.residence,
        "intention": frame.intention,
        "closure": frame.closure,
        "instrument": frame.instrument,
    }
    return columns[dim]


def _levels(frame: FactFrame, dim: Dimension, spec: TableSpec) -> tuple[str, ...]:
    fixed = {
        "sex": SEXES,
        "outcome": OUTCOMES,
        "residence": RESIDENCES,
        "intention": INTENTIONS,
        "closure": CLOSURES,
    }
    if dim == "category":
        return (*frame.settings.categories, NO_CATEGORY)
    if dim == "cost_category":
        return frame.settings.cost_categories
    if dim in fixed:
        return fixed[dim]
    if dim == "age_band":
        return frame.settings.age_labels
    return _column(frame, dim, spec).labels


def _measure_rows(frame: FactFrame, spec: TableSpec, facts: Ints) -> Floats:
    """Per fact (before the cost lines are split out): the measures of its kind."""
    if spec.kind == "returns":
        return np.ones((len(facts), 1))
    if spec.kind == "assistance":
        totals = np.stack([frame.committed.sum(1), frame.paid.sum(1)], 1).astype(np.float64)
        return totals[facts]
    scores = frame.scores[facts]
    answered = ~np.isnan(scores)
    above = np.nan_to_num(scores[:, 3], nan=-1.0) >= frame.settings.score_threshold
    return np.column_stack(
        [
            np.ones(len(facts)),
            answered.astype(np.float64),
            np.nan_to_num(scores, nan=0.0),
            above.astype(np.float64),
            frame.contacts_done[facts].astype(np.float64),
            frame.contacts_due[facts].astype(np.float64),
        ]
    )


def _rows(
    frame: FactFrame,
    spec: TableSpec,
    facts: Ints,
    inner: tuple[Dimension, ...],
    totalled: tuple[Dimension, ...],
) -> tuple[Ints, dict[Dimension, Ints], Floats]:
    """One row per (fact, level of each exploded dimension in ``inner``): the position of the
    fact in ``facts``, the levels of the exploded dimensions, the measures."""
    pos = np.arange(len(facts))
    exploded: dict[Dimension, Ints] = {}
    if "category" in inner:
        mask = frame.category_mask[facts]
        parts = [
            np.flatnonzero((mask >> np.uint64(j)) & np.uint64(1))
            for j in range(len(frame.settings.categories))
        ]
        parts.append(np.flatnonzero(mask == 0))
        pos = np.concatenate(parts)
        exploded["category"] = np.repeat(
            np.arange(len(parts), dtype=np.int64), [len(p) for p in parts]
        )
    if "cost_category" in inner:  # one row per cost line with an amount
        if "category" in inner:
            committed, paid = frame.committed[facts[pos]], frame.paid[facts[pos]]
            nz = np.flatnonzero((committed | paid).ravel())
        else:  # straight from the frame's columns, no copy of the selected facts
            committed, paid = frame.committed, frame.paid
            nz = np.flatnonzero(np.bitwise_or(committed, paid).ravel() != 0)
            at = np.full(len(frame), -1)
            at[facts] = np.arange(len(facts))
            nz = nz[at[nz // committed.shape[1]] >= 0]
        row, cost = np.divmod(nz, committed.shape[1])
        weights = np.empty((len(nz), 2), order="F")  # columns contiguous: read per measure
        weights[:, 0], weights[:, 1] = committed.ravel()[nz], paid.ravel()[nz]
        if "category" in inner:
            exploded = {d: codes[row] for d, codes in exploded.items()}
            pos = pos[row]
        else:
            pos = at[row]
        exploded["cost_category"] = cost.astype(np.int64)
    else:
        weights = _measure_rows(frame, spec, facts[pos])
        if spec.kind == "assistance":  # contributors are the people with an amount
            pick = np.flatnonzero(weights.any(1))
            exploded = {d: codes[pick] for d, codes in exploded.items()}
            pos, weights = pos[pick], weights[pick]
    if "category" in totalled:  # a person counts once per category in the category total
        n_cats = np.bitwise_count(frame.category_mask[facts[pos]]).astype(np.float64)
        weights = weights * np.maximum(n_cats, 1.0)[:, None]
    return pos, exploded, weights


def _top2(cells: Ints, values: Floats, size: int) -> tuple[Floats, Floats]:
    """The largest and second largest value (>= 0) per cell, 0 when absent; no sort."""
    top1, top2 = np.zeros(size), np.zeros(size)
    if len(cells) == 0:
        return top1, top2
    np.maximum.at(top1, cells, values)
    at_best = np.flatnonzero(values == top1[cells])
    _, first = np.unique(cells[at_best], return_index=True)
    rest = values.copy()
    rest[at_best[first]] = -np.inf  # one holder of the largest value leaves the race
    np.maximum.at(top2, cells, rest)
    return top1, top2


def _merge_top2(t1: Floats, t2: Floats, axis: int) -> tuple[Floats, Floats]:
    both = np.sort(np.concatenate([t1, t2], axis=axis), axis=axis)
    n = both.shape[axis]  # two values per level: 0 when the dimension has no level
    if n == 0:
        empty = np.zeros(t1.shape[:axis] + t1.shape[axis + 1 :])
        return empty, empty
    return np.take(both, n - 1, axis=axis), np.take(both, n - 2, axis=axis)


def aggregate(frame: FactFrame, spec: TableSpec) -> CrossTable:
    """The cross table of ``spec`` over ``frame``, with every margin."""
    levels = tuple(_levels(frame, d, spec) for d in spec.dims)
    names = tuple(m for m, _ in MEASURES[spec.kind])
    kinds = tuple(k for _, k in MEASURES[spec.kind])
    full = tuple(len(lv) + 1 for lv in levels)
    values = np.zeros((*full, len(names)))
    contributors = np.zeros(full, dtype=np.int64)
    top1, top2 = np.zeros((*full, len(names))), np.zeros((*full, len(names)))

    wanted = np.array([o in spec.outcomes for o in OUTCOMES])
    keep = wanted[frame.outcome.codes]
    in_months = np.array([m in spec.months for m in frame.month.labels], dtype=bool)
    keep &= in_months[frame.month.codes] if len(in_months) else keep
    if spec.kind == "outcomes":  # the people followed up (scored or not yet)
        keep &= frame.closure.codes >= 0
    single = [d for d in spec.dims if d not in EXPLODED]
    codes = {d: _column(frame, d, spec).codes for d in single}
    for d in single:
        keep &= codes[d] >= 0
    facts = np.flatnonzero(keep)
    exploded = [d for d in spec.dims if d in EXPLODED]
    for r in range(len(exploded) + 1):
        for totalled in combinations(exploded, r):
            inner = tuple(d for d in exploded if d not in totalled)
            pos, split, weights = _rows(frame, spec, facts, inner, totalled)
            axes = [d for d in spec.dims if d not in totalled]
            sizes = [len(levels[spec.dims.index(d)]) for d in axes]
            strides = np.cumprod([1, *sizes[::-1]])[::-1][1:]
            by_fact = np.zeros(len(facts), dtype=np.int64)
            for d, stride in zip(axes, strides, strict=True):
                if d not in EXPLODED:
                    by_fact += codes[d][facts] * stride
            flat = by_fact[pos]
            for d, stride in zip(axes, strides, strict=True):
                if d in split:
                    flat += split[d] * stride
            size = int(np.prod(sizes))
            columns = np.ascontiguousarray(weights.T)
            sums = np.stack([np.bincount(flat, w, size) for w in columns], -1)
            count = np.bincount(flat, minlength=size)
            none = np.zeros(size)
            t1s, t2s = zip(
                *(
                    _top2(flat, w, size) if kind == "amount" else (none, none)
                    for w, kind in zip(columns, kinds, strict=True)
                ),
                strict=True,
            )
            v = sums.reshape(*sizes, len(names))
            n_ = count.reshape(sizes)
            a1 = np.stack(t1s, -1).reshape(*sizes, len(names))
            a2 = np.stack(t2s, -1).reshape(*sizes, len(names))
            for axis, d in enumerate(axes):
                if d in EXPLODED:
                    continue
                v = np.concatenate([v, v.sum(axis, keepdims=True)], axis)
                n_ = np.concatenate([n_, n_.sum(axis, keepdims=True)], axis)
                m1, m2 = _merge_top2(a1, a2, axis)
                a1 = np.concatenate([a1, np.expand_dims(m1, axis)], axis)
                a2 = np.concatenate([a2, np.expand_dims(m2, axis)], axis)
            where: list[slice | int] = []
            for d, lv in zip(spec.dims, levels, strict=True):
                if d in totalled:
                    where.append(len(lv))
                elif d in EXPLODED:
                    where.append(slice(0, len(lv)))
                else:
                    where.append(slice(None))
            values[tuple(where)] = v
            contributors[tuple(where)] = n_
            top1[tuple(where)], top2[tuple(where)] = a1, a2
    return CrossTable(spec, levels, names, kinds, values, contributors, top1, top2)
