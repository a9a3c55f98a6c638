"""Primary, then complementary suppression, audited and extended until every sensitive cell
has its protection interval; the result says what it cost (information loss)."""

from __future__ import annotations

from dataclasses import dataclass

from services.evaluation.domain.audit import Audit, audit, under_protected
from services.evaluation.domain.primary import Mask, Sensitivity, sensitivity
from services.evaluation.domain.secondary import hypercubes
from services.evaluation.domain.settings import DisclosureSettings
from services.evaluation.domain.tables import CrossTable, Floats


class ProtectionError(Exception):
    """No pattern within the rounds allowed: the table is not published."""


@dataclass(frozen=True)
class InformationLoss:
    cells: int
    suppressed: int
    primary: int
    suppressed_value: float  # of the first measure, inner cells only
    total_value: float

    @property
    def suppressed_share(self) -> float:
        return self.suppressed / self.cells if self.cells else 0.0

    @property
    def value_share(self) -> float:
        return self.suppressed_value / self.total_value if self.total_value else 0.0


@dataclass(frozen=True, eq=False)
class ProtectedTable:
    table: CrossTable
    sensitivity: Sensitivity
    suppressed: Mask
    audit: Audit  # the intervals of the primary cells (the ones with a protection to prove)
    rounds: int

    @property
    def loss(self) -> InformationLoss:
        inner = tuple(slice(0, len(lv)) for lv in self.table.levels)
        main = self.table.values[..., 0]
        return InformationLoss(
            cells=int(self.suppressed.size),
            suppressed=int(self.suppressed.sum()),
            primary=int(self.sensitivity.primary.sum()),
            suppressed_value=float(main[inner][self.suppressed[inner]].sum()),
            total_value=float(main[inner].sum()),
        )


def protect(
    table: CrossTable,
    rules: DisclosureSettings,
    forced: Mask | None = None,
    known: Floats | None = None,
) -> ProtectedTable:
    """The table's suppression pattern: deterministic for the same table and rules.
    ``forced``: cells to protect as if primary; ``known``: lower bounds already public."""
    sens = sensitivity(table, rules, forced, known)
    hidden = hypercubes(table, sens)
    for round_ in range(1, rules.max_rounds + 1):
        result = audit(table, hidden, of=sens.primary, floor=sens.floor)
        failing = under_protected(table, result, sens.lower, sens.upper)
        if not failing.any():
            return ProtectedTable(table, sens, hidden, result, round_)
        again = Sensitivity(failing, sens.lower, sens.upper, sens.floor)
        hidden = hypercubes(table, again, hidden, fresh=True)
    raise ProtectionError(
        f"{int(failing.sum())} cells still under-protected after {rules.max_rounds} rounds"
    )
