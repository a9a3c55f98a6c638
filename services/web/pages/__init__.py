"""The web UI's routes, one module per area; each module's ``router()`` is listed here.

Pages are rendered on the server from the same use cases and queries as the JSON API, for a
principal that a session cookie stands for, so permissions and office scope are the API's.
Every form posts back with a CSRF token; a refused form is shown again with what was typed
(never a password) and the reason, in the user's language. Shared helpers: ``common``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.web.pages import (
    audit,
    cases,
    casework,
    exports,
    followup,
    funds,
    home,
    privacy,
    session,
)
from services.web.pages.common import STATIC_DIR

MODULES = (
    session,
    home,
    casework,
    followup,
    cases,
    privacy,
    audit,
    funds,
    exports,
)


def mount(app: FastAPI) -> None:
    """Serve the UI on ``app``: its pages, ``/static`` (our stylesheet and the scripts
    installed from npm into ``static/vendor``: never a CDN)."""
    for module in MODULES:
        app.include_router(module.router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
