"""The data protection officer's and the auditor's pages over the whole system (every service,
real SQLite files, events delivered in process), through an HTTP client with a session cookie:
refusals (no CSRF token, another role, an erasure under a legal hold), what an erasure does,
and CSV downloads that hold no personal data."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete

from privacy import queries as privacy_queries
from services.api import usecases
from services.audit import store as audit_store
from services.edge.app import create_app
from services.kit.definition import Runtime
from services.kit.identity import Principal
from services.kit.settings import Settings
from services.registration.queries import cases as case_queries
from services.runtime.composition import close_runtime
from services.runtime.registry import all_services
from services.web import security
from services.web.pages import audit as audit_pages
from services.web.pages.audit import REPORTS
from tests.support import InProcessFlow, case_request, client, fund_request, open_runtime
from tests.support import person_request as a_person

SENTINEL = "Zzyzxquonk"  # a family name nothing else holds
OFFICE = "GT-GUA"
DPO = Principal(user_id="dpo-test", role="data_protection_officer")


@dataclass
class System:
    rt: Runtime
    flow: InProcessFlow
    http: httpx.AsyncClient


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    services = all_services()
    rt = await open_runtime(Settings(data_dir=tmp_path), services)
    async with client(create_app(rt, services)) as http:
        yield System(rt, InProcessFlow(rt, services), http)
    await close_runtime(rt)


async def signed_in(system: System, role: str, offices: list[str] | None = None) -> str:
    """A user of ``role`` signed in on the client (its session cookie set); their CSRF token."""
    name = f"{role[:4]}-{uuid.uuid4().hex[:6]}"
    await usecases.add_user(system.rt, name, role, offices or [])
    await usecases.set_password(system.rt, name, "correct horse battery staple")
    opened = await usecases.sign_in(system.rt, name, "correct horse battery staple")
    system.http.cookies.set(security.SESSION_COOKIE, opened.token)
    session = await usecases.resume_session(system.rt, opened.token)
    assert session is not None
    return security.session_csrf_token(session.csrf_secret)


async def registered_case(system: System) -> tuple[uuid.UUID, str]:
    """A fund and a case of one person whose family name is the sentinel; its id, their ref."""
    _, token = await usecases.add_user(
        system.rt, f"sup-{uuid.uuid4().hex[:6]}", "supervisor", [OFFICE]
    )
    headers = {"Authorization": f"Bearer {token}"}
    period = str(system.rt.clock().year)
    made = await system.http.post("/api/funds", json=fund_request(period), headers=headers)
    assert made.status_code == 201, made.text
    await system.flow.run()
    body = case_request(office=OFFICE, fund_period=period, people=[a_person(family_name=SENTINEL)])
    created = await system.http.post("/api/cases", json=body, headers=headers)
    assert created.status_code == 201, created.text
    await system.flow.run()
    case = created.json()
    return uuid.UUID(case["case_id"]), case["people"][0]["person_ref"]


async def test_a_form_without_its_csrf_token_changes_nothing(system: System) -> None:
    _case, ref = await registered_case(system)
    await signed_in(system, "data_protection_officer")

    answer = await system.http.post(f"/privacy/people/{ref}/legal-holds", data={"reason": "court"})
    erase = await system.http.post(
        f"/privacy/people/{ref}/erasure",
        data={"confirm": "yes", "typed_ref": ref, "csrf_token": "forged"},
    )

    assert answer.status_code == 403 and erase.status_code == 403
    standing = await privacy_queries.person_standing(system.rt, ref)
    assert standing.legal_holds == [] and standing.key_held and standing.erasure is None


async def test_another_role_gets_the_403_page_for_the_dpo_and_auditor_pages(
    system: System,
) -> None:
    _case, ref = await registered_case(system)
    csrf = await signed_in(system, "caseworker", [OFFICE])
    for path in (
        "/privacy",
        f"/privacy/people/{ref}",
        f"/privacy/people/{ref}/data",
        "/privacy/access-log",
        "/audit",
        "/audit/verify",
        "/audit/summary",
        "/audit/reports/events",
        "/audit/reports/events/csv",
    ):
        answer = await system.http.get(path)
        assert answer.status_code == 403, path
        assert "No corresponde a su rol" in answer.text, path
    erase = await system.http.post(
        f"/privacy/people/{ref}/erasure",
        data={"confirm": "yes", "typed_ref": ref, "csrf_token": csrf},
    )
    assert erase.status_code == 403
    assert (await privacy_queries.person_standing(system.rt, ref)).key_held

    await signed_in(system, "data_protection_officer")
    assert (await system.http.get("/audit/verify")).status_code == 403
    await signed_in(system, "auditor")
    assert (await system.http.get(f"/privacy/people/{ref}")).status_code == 403


async def test_an_erasure_under_a_legal_hold_is_refused_and_destroys_nothing(
    system: System,
) -> None:
    case_id, ref = await registered_case(system)
    csrf = await signed_in(system, "data_protection_officer")
    placed = await system.http.post(
        f"/privacy/people/{ref}/legal-holds",
        data={"reason": "court order 12/2026", "csrf_token": csrf},
    )
    assert placed.status_code == 303
    page = await system.http.get(f"/privacy/people/{ref}/erasure")
    assert 'id="held"' in page.text and f'action="/privacy/people/{ref}/erasure"' not in page.text

    refused = await system.http.post(
        f"/privacy/people/{ref}/erasure",
        data={
            "confirm": "yes",
            "typed_ref": ref,
            "override_reason": "data_subject_objection",
            "csrf_token": csrf,
        },
    )

    assert refused.status_code == 409
    assert "Hay una retención legal activa: no se borró nada." in refused.text
    await system.flow.run()
    standing = await privacy_queries.person_standing(system.rt, ref)
    assert standing.key_held and standing.erasure is None
    detail = await case_queries.get_case(system.rt, DPO, case_id)
    person = detail.people[0]
    assert not person.erased and person.personal is not None
    assert person.personal.family_name == SENTINEL


async def test_an_erasure_needs_the_confirmation_and_the_reference_typed_again(
    system: System,
) -> None:
    _case, ref = await registered_case(system)
    csrf = await signed_in(system, "data_protection_officer")

    unticked = await system.http.post(
        f"/privacy/people/{ref}/erasure", data={"typed_ref": ref, "csrf_token": csrf}
    )
    mistyped = await system.http.post(
        f"/privacy/people/{ref}/erasure",
        data={"confirm": "yes", "typed_ref": "p_" + "0" * 32, "csrf_token": csrf},
    )
    open_case = await system.http.post(
        f"/privacy/people/{ref}/erasure",
        data={"confirm": "yes", "typed_ref": ref, "csrf_token": csrf},
    )

    assert unticked.status_code == 422 and "Marque la casilla" in unticked.text
    assert mistyped.status_code == 422 and "Escriba la referencia" in mistyped.text
    assert f'value="p_{"0" * 32}"' in mistyped.text  # what was typed is kept
    assert open_case.status_code == 409 and "todavía abierto" in open_case.text
    assert (await privacy_queries.person_standing(system.rt, ref)).key_held

    done = await system.http.post(
        f"/privacy/people/{ref}/erasure",
        data={
            "confirm": "yes",
            "typed_ref": ref,
            "override_reason": "data_subject_objection",
            "csrf_token": csrf,
        },
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=erased")
    standing = await privacy_queries.person_standing(system.rt, ref)
    assert not standing.key_held and standing.erasure is not None


async def test_subject_access_shows_the_data_and_the_access_log_records_it(system: System) -> None:
    _case, ref = await registered_case(system)
    await signed_in(system, "data_protection_officer")

    found = await system.http.get("/privacy", params={"person_ref": ref.upper()})
    assert found.status_code == 303 and found.headers["location"] == f"/privacy/people/{ref}"
    overview = await system.http.get(f"/privacy/people/{ref}")
    assert overview.status_code == 200 and SENTINEL not in overview.text
    report = await system.http.get(f"/privacy/people/{ref}/data")
    assert report.status_code == 200 and SENTINEL in report.text

    log = await system.http.get("/privacy/access-log", params={"purpose": "subject_access"})
    assert log.status_code == 200 and ref in log.text
    assert SENTINEL not in log.text
    bad = await system.http.get("/privacy/access-log", params={"person_ref": "someone"})
    assert bad.status_code == 422 and 'value="someone"' in bad.text
    unknown = await system.http.get(f"/privacy/people/p_{'a' * 32}")
    assert unknown.status_code == 404 and "Ninguna persona tiene esta referencia" in unknown.text


async def test_consents_are_recorded_and_a_wrong_one_is_shown_again(system: System) -> None:
    _case, ref = await registered_case(system)
    csrf = await signed_in(system, "data_protection_officer")

    wrong = await system.http.post(
        f"/privacy/people/{ref}/consents",
        data={"purpose": "partner_sharing", "granted": "yes", "partner": "", "csrf_token": csrf},
    )
    withdrawn = await system.http.post(
        f"/privacy/people/{ref}/consents",
        data={"purpose": "assistance", "granted": "no", "csrf_token": csrf},
    )

    assert wrong.status_code == 422 and "nombre al socio" in wrong.text
    assert 'value="partner_sharing" selected' in wrong.text
    assert withdrawn.status_code == 303
    consents = (await privacy_queries.person_standing(system.rt, ref)).consents
    assert [(c.purpose, c.granted) for c in consents][-1] == ("assistance", False)


async def test_the_auditors_csv_downloads_hold_no_personal_data(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    _case, ref = await registered_case(system)
    await signed_in(system, "auditor")

    verified = await system.http.get("/audit/verify", params={"run": "1"})
    assert verified.status_code == 200 and "El registro está íntegro" in verified.text
    texts = []
    for name in REPORTS:
        page = await system.http.get(f"/audit/reports/{name}")
        download = await system.http.get(f"/audit/reports/{name}/csv")
        assert page.status_code == 200 and download.status_code == 200, name
        assert download.headers["content-type"].startswith("text/csv")
        texts += [page.text, download.text]
    events_csv = (await system.http.get("/audit/reports/events/csv")).text
    assert "registration.return_registered" in events_csv and ref in events_csv
    half = f"{system.rt.clock().year}-H{1 if system.rt.clock().month <= 6 else 2}"
    summary = await system.http.get("/audit/summary", params={"half": half})
    assert summary.status_code == 200
    for table in re.findall(r"table=([a-z_]+)", summary.text):
        part = await system.http.get("/audit/summary/csv", params={"half": half, "table": table})
        assert part.status_code == 200
        texts.append(part.text)
    monkeypatch.setattr(audit_pages, "PAGE_ROWS", 1)
    short = await system.http.get("/audit/reports/events")
    assert short.text.count("<tr>") == 2 and "las primeras 1 de" in short.text
    assert len(events_csv.strip().splitlines()) > 2  # the CSV holds every row
    assert not any(SENTINEL in text for text in texts)
    assert not any("Ana Maria" in text or "P1234567" in text for text in texts)


async def test_an_auditor_filter_that_is_wrong_is_named_and_kept(system: System) -> None:
    await signed_in(system, "auditor")

    dates = await system.http.get("/audit/reports/commitments", params={"date_from": "2026-13-01"})
    grouping = await system.http.get("/audit/reports/commitments", params={"by": "member"})
    half = await system.http.get("/audit/summary", params={"half": "2026-H3"})
    csv = await system.http.get("/audit/reports/stages/csv", params={"by": "nothing"})

    assert dates.status_code == 422 and 'value="2026-13-01"' in dates.text
    assert "Revise las fechas" in dates.text
    assert grouping.status_code == 422 and "no se atribuyen a los miembros" in grouping.text
    assert half.status_code == 422 and 'value="2026-H3"' in half.text
    assert csv.status_code == 422


async def test_the_verify_page_says_where_the_chain_breaks(system: System) -> None:
    await registered_case(system)  # a few events in the log
    await signed_in(system, "auditor")
    assert "El registro está íntegro" in (await system.http.get("/audit/verify?run=1")).text
    async with system.rt.db("audit").unit_of_work() as uow:
        await uow.session.execute(delete(audit_store.log).where(audit_store.log.c.position == 2))
        await uow.commit()

    broken = await system.http.get("/audit/verify", params={"run": "1"})

    assert broken.status_code == 200
    assert "El registro NO está íntegro" in broken.text
    assert "Primer problema: removed en la posición 2." in broken.text


async def test_the_dpo_reviews_the_break_the_glass_reads(system: System) -> None:
    _case, ref = await registered_case(system)
    _, token = await usecases.add_user(system.rt, "mx-worker", "caseworker", ["MX-TAP"])
    read = await system.http.post(
        f"/api/people/{ref}/emergency-read",
        json={"office": "MX-TAP", "reason_code": "medical_emergency"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert read.status_code == 200, read.text
    await signed_in(system, "data_protection_officer")

    listed = await system.http.get("/privacy/emergency-reads", params={"person_ref": ref})
    other = await system.http.get(
        "/privacy/emergency-reads", params={"person_ref": f"p_{'b' * 32}"}
    )
    wrong = await system.http.get("/privacy/emergency-reads", params={"person_ref": "x"})

    assert listed.status_code == 200
    row = listed.text.split("<tbody>")[1]
    assert "medical_emergency" in row and "MX-TAP" in row and "mx-worker" in row
    assert SENTINEL not in listed.text
    assert "Ninguna lectura de emergencia." in other.text
    assert wrong.status_code == 422 and 'value="x"' in wrong.text
