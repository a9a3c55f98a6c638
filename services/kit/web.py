"""FastAPI helpers shared by every service's routes."""

from __future__ import annotations

from fastapi import Request

from services.kit.definition import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime
