"""Rendering pages: one Jinja2 environment per language, autoescaped, with gettext.

Templates use ``{{ _("...") }}`` / ``{% trans %}`` for every string a user reads and the
filters ``money``, ``day`` and ``moment`` for locale formats. A page gets ``language``, the
``languages`` it may switch to, and ``csrf_token`` for its forms.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.kit.identity import can
from services.web import i18n, messages

TEMPLATE_DIR = Path(__file__).parent / "templates"


@functools.cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = lambda cents, currency: i18n.money(cents, currency, language)
    env.filters["day"] = lambda value: i18n.day(value, language)
    env.filters["moment"] = lambda value: i18n.moment(value, language)
    env.globals["language"] = language
    env.globals["language_names"] = i18n.LANGUAGE_NAMES
    env.globals["role_names"] = messages.role_names(language)
    env.globals["status_names"] = messages.status_names(language)
    env.globals["can"] = can
    return env


def render(template: str, language: str, **context: Any) -> str:
    return environment(language).get_template(template).render(**context)
