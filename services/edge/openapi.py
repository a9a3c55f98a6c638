"""Documents the problem-details responses in the OpenAPI schema, so clients and fuzzers
know every error is ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.edge.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
        "error_id": {"type": "string"},
    },
    "additionalProperties": True,
}

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_STANDARD = {
    "401": "No valid API token.",
    "403": "The token's role may not do this, or the record is outside its offices.",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" in components:
        return schema
    components["Problem"] = PROBLEM_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _problem_response("The request is not valid.")
            if operation.get("security"):
                for status, description in _STANDARD.items():
                    responses.setdefault(status, _problem_response(description))
            if "requestBody" in operation:
                responses.setdefault("413", _problem_response("The request body is too large."))
            responses.setdefault("default", _problem_response("Any other error."))
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_problem_openapi(app: FastAPI) -> None:
    base = app.openapi

    def openapi() -> dict[str, Any]:
        return add_problem_responses(base())

    app.openapi = openapi  # type: ignore[method-assign]
