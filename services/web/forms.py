"""A form as a page shows it again: what was typed, the message next to each field and the one
at the top, in the user's language. Nothing typed is lost when a form is refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.kit.errors import RetornoError
from services.web import messages


@dataclass
class Typed:
    """One form of a page: ``name`` tells which (a page may hold several), ``values`` what
    was typed, ``errors`` a message per field, ``problem`` the message at the top."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None

    def value(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.problem)


def field_of(error: RetornoError, by_class: Mapping[str, str], fields: set[str]) -> str | None:
    """The field of the form a use case's error is about: the page's own mapping by the
    error's class first, then the ``field`` (or ``errors[0].field``) the error names."""
    named = by_class.get(type(error).__name__)
    if named is None:
        named = error.extra.get("field")
    if named is None and error.extra.get("errors"):
        first = error.extra["errors"][0]
        named = first.get("field") if isinstance(first, Mapping) else None
    return named if named in fields else None


def refuse(
    form: Typed,
    error: RetornoError,
    language: str,
    *,
    by_class: Mapping[str, str] | None = None,
) -> Typed:
    """``form`` with the message of ``error``: next to its field when it names one of the
    form's fields, else at the top."""
    message = messages.for_error(error, language)
    where = field_of(error, by_class or {}, set(form.values))
    if where is None:
        form.problem = message
    else:
        form.errors[where] = message
    return form
