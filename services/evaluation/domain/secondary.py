"""Complementary suppression by hypercubes (the idea of Tau-Argus's GHMITER).

For a sensitive cell ``a`` choose, in every dimension, one other level ``b_i`` (another inner
level or the ``Total``). The 2^d cells whose coordinates are ``a_i`` or ``b_i`` form a
hypercube; give each corner the sign (-1)^(number of dimensions where it sits on an inner
``b_i`` while ``a_i`` is inner too). Adding ``t`` times the signs to the corners keeps every
line of the table (each 1-D line through the cube holds exactly two corners) and so every
published cell unchanged. Hiding the corners therefore lets the sensitive cell move up by
``t`` as long as the corners of the other sign stay above their floor, and down as long as
those of its sign do: its feasible interval is at least as wide as those slacks, in every
dimension at once, for integers as for reals. Each sensitive cell takes the cheapest such cube
(cost: the value of the cells not yet hidden, plus one each) that gives it its protection;
empty cells are never hidden (zeros are published). Taking every ``b_i = Total`` always
works, so a pattern always exists. The LP audit then checks the result.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from services.evaluation.domain.primary import Mask, Sensitivity
from services.evaluation.domain.tables import CrossTable


def _order(table: CrossTable, cells: npt.NDArray[np.int64]) -> list[int]:
    """Inner cells before margins, smaller before larger, then by position: deterministic."""
    at_total = sum(
        (np.unravel_index(cells, table.shape)[i] == n)
        for i, n in enumerate(len(lv) for lv in table.levels)
    )
    value = table.values[..., 0].ravel()[cells]
    return [int(c) for c in cells[np.lexsort((cells, value, at_total))]]


def hypercubes(
    table: CrossTable, sens: Sensitivity, hidden: Mask | None = None, fresh: bool = False
) -> Mask:
    """``hidden`` extended so that every sensitive cell has its protection.

    With ``fresh``, each cube must hide at least one cell not hidden yet (used when the audit
    asks for more than the cubes already there give)."""
    shape = table.shape
    d = len(shape)
    suppressed = sens.primary.copy() if hidden is None else hidden | sens.primary
    slack = table.values - sens.floor
    empty = table.contributors == 0
    cost = np.where(empty, np.inf, table.values[..., 0] + 1.0)
    bits = (np.arange(2**d)[:, None] >> np.arange(d)[None, :]) & 1  # (corners, d)
    for flat in _order(table, np.flatnonzero(sens.primary)):
        a = np.array(np.unravel_index(flat, shape))
        inner = a < np.array(shape) - 1
        choices = [
            np.array([j for j in range(n) if j != a[i]]) if inner[i] else np.arange(n - 1)
            for i, n in enumerate(shape)
        ]
        b = np.stack([g.ravel() for g in np.meshgrid(*choices, indexing="ij")], -1)  # (cand, d)
        coords = np.where(
            bits[None, :, :] == 1, b[:, None, :], a[None, None, :]
        )  # (cand, corners, d)
        flips = (
            (bits[None, :, :] == 1) & inner[None, None, :] & (b[:, None, :] < np.array(shape) - 1)
        )
        sign = np.where(flips.sum(-1) % 2 == 1, -1, 1)  # (cand, corners)
        at = tuple(coords[..., i] for i in range(d))
        room = slack[at]  # (cand, corners, measures)
        opposite = np.where((sign < 0)[..., None], room, np.inf).min(1)
        same = np.where(((sign > 0) & (np.arange(2**d) > 0))[..., None], room, np.inf).min(1)
        ok = (opposite >= sens.upper.reshape(-1, room.shape[-1])[flat]).all(-1)
        ok &= (same >= sens.lower.reshape(-1, room.shape[-1])[flat]).all(-1)
        ok &= ~empty[at][:, 1:].any(-1)
        new = ~suppressed[at]
        if fresh:
            ok &= new.any(-1)
        price = np.where(ok, np.where(new, cost[at], 0.0).sum(-1), np.inf)
        best = int(np.argmin(price))
        if not np.isfinite(price[best]):
            raise ValueError(f"no hypercube protects cell {table.label(tuple(int(x) for x in a))}")
        suppressed[tuple(coords[best, :, i] for i in range(d))] = True
    return suppressed
