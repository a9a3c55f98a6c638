"""The differencing guard: a new table whose months overlap earlier releases of the same
population must not reveal, together with them, a sensitive cell of any release or of any
stretch of months between their boundaries (H1 minus January-May is June alone).

The months of all overlapping releases and of the new one are cut into atoms (months that
belong to the same releases); the unknowns are the cells of each atom's table. Every
published cell of every release (each period level, and their total) is an equation over
the atoms it covers; a hidden cell is known to be at least its floor. An LP then bounds each
sensitive quantity: every primary cell of an atom's own table, and every primary cell hidden
in a release. Where one is bounded too narrowly, the new table hides the same cell (as a
primary, with its own protection) and is suppressed again; when that cannot help, or after
``max_rounds``, the export is refused with the reason. A release for exactly the months of an
earlier one must repeat it cell for cell (same facts and rules give the same pattern), or it
is refused: two versions of one period difference into the changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from services.evaluation.domain.frame import FactFrame
from services.evaluation.domain.ledger import Ledger, Release, release_of
from services.evaluation.domain.primary import Sensitivity, sensitivity
from services.evaluation.domain.protect import ProtectedTable, protect
from services.evaluation.domain.settings import DisclosureSettings
from services.evaluation.domain.spec import TOTAL, Period, TableSpec
from services.evaluation.domain.tables import CrossTable, Floats, aggregate

Label = tuple[str, ...]


class DifferencingRefused(Exception):
    """Publishing this table beside earlier releases would reveal a sensitive cell."""


@dataclass(frozen=True, eq=False)
class Guarded:
    protected: ProtectedTable
    release: Release
    extended: tuple[Label, ...]  # cells hidden beyond the table's own pattern


@dataclass(frozen=True)
class Exposure:
    months: frozenset[str]
    label: Label  # levels of the dimensions other than the period
    measure: str
    interval: tuple[float, float]
    needed: tuple[float, float]


def _flat_spec(spec: TableSpec, months: frozenset[str]) -> TableSpec:
    return TableSpec(
        kind=spec.kind,
        dims=tuple(d for d in spec.dims if d != "period") or ("sex",),
        periods=(Period(label="span", months=tuple(sorted(months))),),
        outcomes=spec.outcomes,
    )


def _padded(label: Label, n: int) -> Label:
    """A table by period alone is checked as one by period and sex: its cells are the totals."""
    return label + (TOTAL,) * (n - len(label))


def _keys(table: CrossTable, label: Label) -> npt.NDArray[np.bool_] | None:
    """Which inner cells a label covers (``Total`` covers every level)."""
    inner = tuple(len(lv) for lv in table.levels)
    label = _padded(label, len(inner))
    covered = np.ones(inner, dtype=bool)
    for axis, (value, levels) in enumerate(zip(label, table.levels, strict=True)):
        if value == TOTAL:
            continue
        if value not in levels:
            return None
        keep = np.zeros(len(levels), dtype=bool)
        keep[levels.index(value)] = True
        covered &= keep.reshape([-1 if i == axis else 1 for i in range(len(inner))])
    return covered.ravel()


def exposures(
    releases: list[Release], frame: FactFrame, spec: TableSpec, rules: DisclosureSettings
) -> list[Exposure]:
    """Sensitive quantities that the releases together bound too narrowly."""
    blocks = [b for r in releases for b in r.blocks()]
    union = frozenset(m for months, _ in blocks for m in months)
    signature: dict[tuple[bool, ...], set[str]] = {}
    for month in sorted(union):
        signature.setdefault(tuple(month in months for months, _ in blocks), set()).add(month)
    atoms = [frozenset(ms) for _, ms in sorted(signature.items(), key=lambda kv: min(kv[1]))]
    flat = _flat_spec(spec, union)
    base = aggregate(frame, flat)
    n_keys = int(np.prod([len(lv) for lv in base.levels]))
    n_vars = len(atoms) * n_keys
    rows: list[tuple[npt.NDArray[np.int64], tuple[float, ...] | None]] = []
    for months, cells in blocks:
        in_block = [a for a, atom in enumerate(atoms) if atom <= months]
        for label, values in cells.items():
            keys = _keys(base, label)
            if keys is None:
                continue
            cols = (np.array(in_block)[:, None] * n_keys + np.flatnonzero(keys)[None, :]).ravel()
            rows.append((cols, values))
    quantities: list[tuple[npt.NDArray[np.int64], CrossTable, Sensitivity, tuple[int, ...]]] = []
    spans = [(atom, [i]) for i, atom in enumerate(atoms)]
    spans += [
        (months, [a for a, atom in enumerate(atoms) if atom <= months]) for months, _ in blocks
    ]
    seen: set[frozenset[str]] = set()
    for months, members in spans:
        if months in seen:
            continue
        seen.add(months)
        table = aggregate(frame, _flat_spec(spec, months))
        sens = sensitivity(table, rules)
        for cell in zip(*np.nonzero(sens.primary), strict=True):
            keys = _keys(base, table.label(cell))
            assert keys is not None
            cols = (np.array(members)[:, None] * n_keys + np.flatnonzero(keys)[None, :]).ravel()
            quantities.append((cols, table, sens, tuple(int(c) for c in cell)))
    if not quantities:
        return []
    found: list[Exposure] = []
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for m, measure in enumerate(base.measures):
        _load(h, n_vars, rows, m, float(base.floors[m]))
        for cols, table, sens, cell in quantities:
            value = float(table.values[cell + (m,)])
            low, up = float(sens.lower[cell + (m,)]), float(sens.upper[cell + (m,)])
            lo, hi = _bounds(h, n_vars, cols)
            tol = 1e-6 * max(1.0, abs(value))
            if lo > value - low + tol or hi < value + up - tol:
                label = table.label(cell)
                months = table.spec.months
                found.append(Exposure(months, label, measure, (lo, hi), (value - low, value + up)))
    return found


def _load(
    h: highspy.Highs,
    n: int,
    rows: list[tuple[npt.NDArray[np.int64], tuple[float, ...] | None]],
    m: int,
    floor: float,
) -> None:
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(rows)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = np.array([floor if v is None else v[m] for _, v in rows])
    lp.row_upper_ = np.array([highspy.kHighsInf if v is None else v[m] for _, v in rows])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.cumsum([0] + [len(c) for c, _ in rows]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate([c for c, _ in rows]).astype(np.int32)
    lp.a_matrix_.value_ = np.ones(int(lp.a_matrix_.start_[-1]))
    h.passModel(lp)


def _bounds(h: highspy.Highs, n: int, cols: npt.NDArray[np.int64]) -> tuple[float, float]:
    cost = np.zeros(n)
    cost[cols] = 1.0
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    out = []
    for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
        h.changeObjectiveSense(sense)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            out.append(float(h.getInfo().objective_function_value))
        elif sense == highspy.ObjSense.kMaximize and status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            out.append(float(np.inf))
        else:
            raise RuntimeError(f"differencing LP ended {status}: the releases disagree")
    return out[0], out[1]


def _cell_blocks(table: CrossTable) -> list[tuple[tuple[int, ...], Label, frozenset[str]]]:
    """Each cell of a table with its levels other than the period and the months it covers."""
    dims = table.spec.dims
    period_months = {p.label: frozenset(p.months) for p in table.spec.periods}
    out = []
    for cell in np.ndindex(table.shape):
        label = table.label(cell)
        months = table.spec.months
        if "period" in dims:
            at = dims.index("period")
            months = months if label[at] == TOTAL else period_months[label[at]]
            label = label[:at] + label[at + 1 :]
        out.append((cell, label, months))
    return out


def _known(table: CrossTable, earlier: list[Release]) -> Floats:
    """Lower bounds the earlier releases give: a cell is at least the sum of published cells
    with its levels over disjoint stretches of its months (largest stretches first)."""
    known = np.zeros(table.values.shape)
    blocks = sorted(
        (b for r in earlier for b in r.blocks()), key=lambda b: (-len(b[0]), sorted(b[0]))
    )
    for cell, label, months in _cell_blocks(table):
        used: set[str] = set()
        for block_months, cells in blocks:
            values = cells.get(label)
            if values is None or not block_months <= months or block_months & used:
                continue
            used |= block_months
            known[cell] += np.array(values)
    return known


def _matching(
    table: CrossTable, hidden: npt.NDArray[np.bool_], exposure: Exposure
) -> npt.NDArray[np.bool_]:
    """Cells of the new table with the exposed quantity's levels (in any of its periods: the
    exposed months may lie outside the new table, as June does for January-May after H1)."""
    mark = np.zeros(table.shape, dtype=bool)
    for cell, label, _ in _cell_blocks(table):
        if _padded(label, len(exposure.label)) == exposure.label:
            mark[cell] = True
    return mark & ~hidden & (table.contributors > 0)


def guarded(
    ledger: Ledger, population: str, frame: FactFrame, spec: TableSpec, rules: DisclosureSettings
) -> Guarded:
    """The new table's pattern, extended against differencing with the ledger, or refused."""
    table = aggregate(frame, spec)
    protected = protect(table, rules)
    release = release_of(protected, population)
    earlier = ledger.overlapping(population, spec.key, spec.months)
    for old in earlier:
        if old.periods == release.periods and old.dims == release.dims:
            if old.cells == release.cells:
                return Guarded(protected, release, ())
            raise DifferencingRefused(
                f"{spec.key} for {', '.join(p.label for p in spec.periods)} was published"
                " already with other figures: a second version would reveal the changes by"
                " differencing; publish the corrections in a later period instead"
            )
    if not earlier:
        return Guarded(protected, release, ())
    known = _known(table, earlier)
    protected = protect(table, rules, known=known)
    release = release_of(protected, population)
    forced = np.zeros(table.shape, dtype=bool)
    for _ in range(rules.max_rounds):
        found = exposures([*earlier, release], frame, spec, rules)
        if not found:
            extended = tuple(table.label(c) for c in zip(*np.nonzero(forced), strict=True))
            return Guarded(protected, release, extended)
        mark = np.zeros(table.shape, dtype=bool)
        for exposure in found:
            mark |= _matching(table, protected.suppressed, exposure)
        if not mark.any():
            first = found[0]
            raise DifferencingRefused(
                f"with the earlier releases of {spec.key}, the cell {first.label} of the months"
                f" {sorted(first.months)[0]}..{sorted(first.months)[-1]} would be known to lie in"
                f" [{first.interval[0]:g}, {first.interval[1]:g}] for {first.measure}: narrower than"
                f" its protection [{first.needed[0]:g}, {first.needed[1]:g}], and hiding more of"
                " this table cannot change that"
            )
        forced |= mark
        protected = protect(table, rules, forced=forced, known=known)
        release = release_of(protected, population)
    raise DifferencingRefused(
        f"{spec.key}: still exposed by differencing after {rules.max_rounds} rounds of extension"
    )
