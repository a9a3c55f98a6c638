"""The audit: each hidden cell's feasible interval given everything published, by LP (HiGHS).

For each measure, the unknowns are the hidden cells (each at least its floor); every line of
the table (a 1-D run of cells and its ``Total``, at every fixed position of the other
dimensions, margins included) is an equation ``sum(inner) - total = 0`` with the published
cells moved to the right. Hidden cells that share no equation are independent, so each
connected group is one small LP, minimised and maximised once per cell with warm starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from services.evaluation.domain.primary import Mask
from services.evaluation.domain.tables import CrossTable, Floats

Intervals = npt.NDArray[np.float64]  # (hidden cells, measures, 2)


@dataclass(frozen=True, eq=False)
class Audit:
    cells: npt.NDArray[np.int64]  # flat indices of the audited hidden cells, ascending
    intervals: Intervals


@dataclass(frozen=True, eq=False)
class LinearSystem:
    """Rows: line equations touching a hidden cell; columns: hidden cells."""

    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    coefs: Floats
    rhs: Floats  # (rows, measures)


def linear_system(table: CrossTable, hidden: Mask) -> tuple[npt.NDArray[np.int64], LinearSystem]:
    shape = table.shape
    cells = np.flatnonzero(hidden)
    coords = np.unravel_index(cells, shape)
    published = np.where(hidden[..., None], 0.0, table.values)
    rows, cols, coefs, rhs = [], [], [], []
    offset = 0
    for axis, n in enumerate(shape):
        coef = np.where(np.arange(n) == n - 1, -1.0, 1.0)
        view = [1] * len(shape) + [1]
        view[axis] = n
        known = (published * coef.reshape(view)).sum(axis)  # (other coords..., measures)
        others = [c for i, c in enumerate(coords) if i != axis]
        other_shape = [s for i, s in enumerate(shape) if i != axis]
        line = (
            np.ravel_multi_index(others, other_shape) if others else np.zeros(len(cells), np.int64)
        )
        used, local = np.unique(line, return_inverse=True)
        rows.append(offset + local)
        cols.append(np.arange(len(cells)))
        coefs.append(coef[coords[axis]])
        rhs.append(-known.reshape(-1, table.values.shape[-1])[used])
        offset += len(used)
    return cells, LinearSystem(
        np.concatenate(rows) if rows else np.zeros(0, np.int64),
        np.concatenate(cols) if cols else np.zeros(0, np.int64),
        np.concatenate(coefs) if coefs else np.zeros(0),
        np.concatenate(rhs) if rhs else np.zeros((0, table.values.shape[-1])),
    )


def _components(
    n_cols: int, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]
) -> list[npt.NDArray[np.int64]]:
    parent = list(range(n_cols))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[int, int] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        if r in first:
            ra, rb = find(first[r]), find(c)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        else:
            first[r] = c
    roots = np.array([find(c) for c in range(n_cols)], dtype=np.int64)
    return [np.flatnonzero(roots == r) for r in np.unique(roots)]


_UNBOUNDED = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)


def _run(h: highspy.Highs, maximise: bool) -> float:
    h.run()
    status = h.getModelStatus()
    if status not in (highspy.HighsModelStatus.kOptimal, *_UNBOUNDED):
        h.clearSolver()  # a warm start gone astray: solve this one from scratch
        h.run()
        status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return float(h.getInfo().objective_function_value)
    if status in _UNBOUNDED and maximise:
        return float(np.inf)
    raise RuntimeError(f"audit LP ended {status}: the published table is inconsistent")


def _solve(
    h: highspy.Highs,
    targets: npt.NDArray[np.int64],
    system: LinearSystem,
    rhs: Floats,
    floor: Floats,
) -> Intervals:
    """Min and max of the ``targets`` among the columns of ``system`` (each >= its floor)."""
    n = len(floor)
    order = np.lexsort((system.rows, system.cols))
    rows, cols, coefs = system.rows[order], system.cols[order], system.coefs[order]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(rhs)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.ascontiguousarray(floor, dtype=np.float64)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = lp.row_upper_ = rhs
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(cols, np.arange(n + 1)).astype(np.int32)
    lp.a_matrix_.index_ = rows.astype(np.int32)
    lp.a_matrix_.value_ = coefs
    h.passModel(lp)
    out = np.zeros((len(targets), 2))
    for row, j in enumerate(targets.tolist()):
        h.changeColCost(j, 1.0)
        for side, sense in enumerate((highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize)):
            h.changeObjectiveSense(sense)
            out[row, side] = _run(h, maximise=side == 1)
        h.changeColCost(j, 0.0)
    h.clearModel()
    return out


def audit(
    table: CrossTable, hidden: Mask, of: Mask | None = None, floor: Floats | None = None
) -> Audit:
    """The feasible interval, per measure, of every hidden cell (or of those in ``of``);
    each hidden cell is known to be at least its ``floor`` (default: the table's floors)."""
    cells, system = linear_system(table, hidden)
    floors = np.broadcast_to(table.floors if floor is None else floor, table.values.shape)
    floors = floors.reshape(-1, table.values.shape[-1])[cells]
    measures = table.values.shape[-1]
    wanted = np.ones(len(cells), dtype=bool) if of is None else of.ravel()[cells]
    intervals = np.full((len(cells), measures, 2), np.nan)
    if not wanted.any():
        return Audit(cells[wanted], intervals[wanted])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # each solve starts from the last basis:
    h.setOptionValue("simplex_strategy", 4)  # primal simplex after a change of objective
    for group in _components(len(cells), system.rows, system.cols):
        targets = np.flatnonzero(wanted[group])
        if len(targets) == 0:
            continue
        local = np.full(len(cells), -1)
        local[group] = np.arange(len(group))
        keep = local[system.cols] >= 0
        used, row_local = np.unique(system.rows[keep], return_inverse=True)
        sub = LinearSystem(
            row_local, local[system.cols[keep]], system.coefs[keep], system.rhs[used]
        )
        for m in range(measures):
            found = _solve(h, targets, sub, sub.rhs[:, m], floors[group, m])
            intervals[group[targets], m] = found
    return Audit(cells[wanted], intervals[wanted])


def under_protected(
    table: CrossTable, result: Audit, lower: Floats, upper: Floats, tol: float = 1e-6
) -> Mask:
    """Hidden cells whose interval does not reach their required protection."""
    flat = table.values.reshape(-1, table.values.shape[-1])[result.cells]
    lo = lower.reshape(-1, flat.shape[-1])[result.cells]
    hi = upper.reshape(-1, flat.shape[-1])[result.cells]
    scale = tol * np.maximum(1.0, np.abs(flat))
    short = (result.intervals[..., 0] > flat - lo + scale) | (
        result.intervals[..., 1] < flat + hi - scale
    )
    failing = np.zeros(table.contributors.size, dtype=bool)
    failing[result.cells[short.any(-1)]] = True
    return failing.reshape(table.shape)
