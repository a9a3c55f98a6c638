"""A method a path does not have gets 405 with an Allow header naming all the methods the
OpenAPI document declares for that path (GET and POST /api/cases are two routes)."""

from __future__ import annotations

import re
import uuid

from tests.integration.api.conftest import Api


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "p_" + uuid.uuid4().hex, template)


async def test_every_path_names_all_its_methods_when_a_method_is_not_allowed(api: Api) -> None:
    paths = api.app.openapi()["paths"]
    assert len(paths) > 20  # every service's routes are mounted

    for template, operations in paths.items():
        declared = {m.upper() for m in operations}
        response = await api.http.request("OPTIONS", _concrete(template))

        assert response.status_code == 405, template
        assert set(response.headers["allow"].split(", ")) == declared, template
        assert response.headers["content-type"].startswith("application/problem+json")
