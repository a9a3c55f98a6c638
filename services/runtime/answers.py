"""How a client of the HTTP API reads an answer that may only mean "not yet".

Registration learns of funds from ``funding.fund_created``: right after a supervisor creates a
fund, a registration for its period may be refused (422 on ``fund_period``) for a moment.
The demo, the chaos driver and the end-to-end tests send such a registration again shortly.
"""

from __future__ import annotations

from typing import Any


def fund_not_known_yet(status_code: int, body: Any) -> bool:
    """A 422 whose only problem is that registration knows no fund for the period (yet)."""
    if status_code != 422 or not isinstance(body, dict):
        return False
    fields = [e.get("field") for e in body.get("errors") or [] if isinstance(e, dict)]
    return fields == ["fund_period"]
