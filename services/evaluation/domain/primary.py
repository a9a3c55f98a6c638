"""Primary suppression: which cells are sensitive, and how wide their interval must stay.

- people (counts): 1..k-1 people in the cell (0 is published: an empty cell is no person);
- amounts: fewer than k contributors, or the (n, k) dominance rule (the n largest
  contributions above k of the total), or the p% rule (the others' total, once the two largest
  are removed, is below p% of the largest: the second contributor could estimate the first
  within p%);
- outcomes: a mean or share over fewer than k people.

A sensitive cell's protection: its feasible interval, given what is published, must reach at
least ``protection_ratio`` of its value on each side (at least ``protection_min_count`` up
for counts of people and of answers), and down to the cell's floor when the cell is smaller than that. A
hidden margin is protected upwards only: its parts are known to be non-empty, so its lower
bound may be tight (it says "at least this many", never "exactly").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.evaluation.domain.settings import DisclosureSettings
from services.evaluation.domain.tables import CrossTable, Floats

Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Sensitivity:
    primary: Mask  # per cell
    lower: Floats  # per cell and measure: how far down the interval must reach
    upper: Floats
    floor: Floats  # per cell and measure: what anyone knows a hidden cell is at least


def _small(n: npt.NDArray[np.int64] | npt.NDArray[np.float64], k: int) -> Mask:
    return np.asarray((n > 0) & (n < k))


def primary_cells(table: CrossTable, rules: DisclosureSettings) -> Mask:
    primary = _small(table.contributors, rules.k)
    for m, (name, kind) in enumerate(zip(table.measures, table.kinds, strict=True)):
        value = table.values[..., m]
        if name.startswith("n_"):
            primary |= _small(value, rules.k)
        if kind == "amount":
            t1, t2 = table.top1[..., m], table.top2[..., m]
            top_n = t1 if rules.dominance_n == 1 else t1 + t2
            primary |= (value > 0) & (top_n > rules.dominance_k * value)
            primary |= (value > 0) & (value - t1 - t2 < rules.p_percent * t1)
    return primary


def sensitivity(
    table: CrossTable,
    rules: DisclosureSettings,
    forced: Mask | None = None,
    known: Floats | None = None,
) -> Sensitivity:
    """The primary cells (and ``forced`` ones) with their required protection; ``known``: lower
    bounds that earlier releases give away (a year is at least its published half)."""
    primary = primary_cells(table, rules)
    if forced is not None:
        primary = primary | forced
    values = table.values
    floor = np.broadcast_to(table.floors, values.shape)
    floor = floor if known is None else np.maximum(floor, known)
    scores = np.array([k == "score" for k in table.kinds])
    side = np.where(
        scores, rules.protection_ratio * values, np.ceil(rules.protection_ratio * values)
    )
    counts = np.array([m == "people" or m.startswith("n_") for m in table.measures])
    side = np.where(counts & (values > 0), np.maximum(side, rules.protection_min_count), side)
    side = np.where(primary[..., None], side, 0.0)
    inner = np.zeros(table.shape, dtype=bool)
    inner[tuple(slice(0, len(lv)) for lv in table.levels)] = True
    lower = np.where(inner[..., None], np.minimum(side, np.maximum(values - floor, 0.0)), 0.0)
    return Sensitivity(primary, lower, side, floor)
