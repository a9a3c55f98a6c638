"""What a protected table publishes: per cell its figures (means and shares for outcomes),
or the suppression symbol, with the table's notes. Aggregates only, no row per person."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.evaluation.domain.facts import SCORES
from services.evaluation.domain.protect import ProtectedTable

SUPPRESSED = "x"  # the suppression symbol of every format


@dataclass(frozen=True)
class PublishedRow:
    label: tuple[str, ...]
    figures: tuple[tuple[str, float | int | str], ...]  # name -> value, or SUPPRESSED


def notes(protected: ProtectedTable) -> tuple[str, ...]:
    spec = protected.table.spec
    out = [
        f"'{SUPPRESSED}': suppressed (fewer than k people, a dominant contribution, or hidden so"
        " that no suppressed cell can be recomputed or narrowly bounded from the others)",
        "Empty cells are shown as 0.",
    ]
    if "category" in spec.dims:
        out.append(
            "A person with several vulnerability categories counts once in each: the category"
            " Total is the number of person-categories, not of people."
        )
    if spec.kind == "assistance":
        out.append("Amounts in the fund's currency, exact to the cent.")
    if spec.kind == "outcomes":
        out.append(
            "Means of the scores (0-1) over the people with a score; 'share above' is the share"
            " of the people with a composite score whose score is at or above the programme's"
            " threshold; an empty mean or share: nobody in the cell has that score yet."
        )
    return tuple(out)


def rows(protected: ProtectedTable, dims: tuple[str, ...] | None = None) -> list[PublishedRow]:
    """The table's rows; with ``dims``, the slice by those dimensions only (the others at
    Total). Tables of one population published as slices of one protected table share its
    pattern, so that no two of them can be combined against each other."""
    table = protected.table
    index = {name: m for m, name in enumerate(table.measures)}
    keep = [table.spec.dims.index(d) for d in (table.spec.dims if dims is None else dims)]
    out = []
    for cell in np.ndindex(table.shape):
        if any(
            c != len(lv)
            for a, (c, lv) in enumerate(zip(cell, table.levels, strict=True))
            if a not in keep
        ):
            continue
        label = tuple(table.label(cell)[a] for a in keep)
        if protected.suppressed[cell]:
            figures: list[tuple[str, float | int | str]] = [
                (n, SUPPRESSED) for n in _names(table.spec.kind)
            ]
        else:
            v = table.values[cell]
            figures = _figures(table.spec.kind, v, index)
        out.append(PublishedRow(label, tuple(figures)))
    return out


def _names(kind: str) -> list[str]:
    if kind == "returns":
        return ["people"]
    if kind == "assistance":
        return ["committed_cents", "paid_cents"]
    return [
        "people",
        *(f"mean_{s}" for s in SCORES),
        "share_above",
        "contacts_done",
        "contacts_due",
    ]


def _figures(
    kind: str, v: np.ndarray, index: dict[str, int]
) -> list[tuple[str, float | int | str]]:
    if kind != "outcomes":
        return [(n, int(round(float(v[index[n]])))) for n in _names(kind)]
    people = float(v[index["people"]])
    figures: list[tuple[str, float | int | str]] = [("people", int(people))]
    for s in SCORES:
        n = float(v[index[f"n_{s}"]])
        figures.append((f"mean_{s}", round(float(v[index[f"sum_{s}"]]) / n, 3) if n else ""))
    figures.append(
        (
            "share_above",
            round(float(v[index["composite_above_threshold"]]) / answered, 3)
            if (answered := float(v[index["n_composite"]]))
            else "",
        )
    )
    figures += [(n, int(v[index[n]])) for n in ("contacts_done", "contacts_due")]
    return figures
