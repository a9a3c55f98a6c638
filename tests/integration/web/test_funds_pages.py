"""The supervisor's pages over the whole system: pledges, receipts, payments and reversals
through the forms, amounts typed in the person's language; a refused form is shown again
with what was typed and the message in the person's language, and stores nothing."""

from __future__ import annotations

import re
from decimal import Decimal

from services.funding.queries import listings, positions
from services.funding.schemas import ContributionIn, LedgerFilter
from services.funding.usecases import funds
from services.kit.identity import Principal
from services.web.pages.funds import PER_PAGE
from tests.integration.web.conftest import Person, System, fund_and_case, person
from tests.support import outbox

OFFICE = "GT-GUA"
AUDITOR = Principal("u-auditor", "auditor")


def typed(html: str, name: str) -> str | None:
    """The value an input of the page holds (``name``), as shown again."""
    found = re.search(rf'name="{name}" type="[a-z]+" value="([^"]*)"', html)
    return found[1] if found else None


async def kinds(s: System) -> list[str]:
    return [e.type for e in await outbox(s.rt, "funding")]


async def commitment_of(s: System) -> str:
    where = LedgerFilter(None, None, None, None, 1, 10)
    found = await listings.commitments(s.rt, None, where, status="active")
    [one] = found.items
    return str(one.commitment_id)


async def setup(s: System, sup: Person) -> tuple[str, str]:
    async with person(s, "caseworker", [OFFICE]) as cw:
        period, case_id, _ref = await fund_and_case(s, sup, cw, OFFICE)
    return period, case_id


async def test_amounts_typed_the_spanish_and_the_english_way_are_recorded_in_cents(
    system: System,
) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        period, _ = await setup(system, sup)
        sent = await sup.http.post(
            f"/funds/{period}/pledges",
            data={"member": "CA", "amount": "1.234,50", "on": "", "csrf_token": sup.csrf},
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/funds/{period}?done=pledge"
        shown = await sup.http.get(sent.headers["location"])
    fund = await positions.fund(system.rt, period)
    assert fund.pledged_cents == 123_450
    assert "La promesa está registrada." in shown.text
    assert "1234,50\xa0US$" in shown.text or "1.234,50\xa0US$" in shown.text
    async with person(system, "supervisor", [OFFICE], language="en") as english:
        sent = await english.http.post(
            f"/funds/{period}/receipts",
            data={"member": "CA", "amount": "1,234.50", "on": "", "csrf_token": english.csrf},
        )
        assert sent.status_code == 303
        shown = await english.http.get(sent.headers["location"])
    assert (await positions.fund(system.rt, period)).received_cents == fund.received_cents + 123_450
    assert "The receipt is recorded." in shown.text and "$1,234.50" in shown.text


async def test_an_amount_that_is_not_one_is_refused_next_to_its_field_and_nothing_is_stored(
    system: System,
) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        period, _ = await setup(system, sup)
        events = await kinds(system)
        said = {}
        for amount in ("12.5", "1e3", "abc", "0", "3,333", "-5", "1,234.50"):
            sent = await sup.http.post(
                f"/funds/{period}/pledges",
                data={"member": "CA", "amount": amount, "on": "2020-02-30", "csrf_token": sup.csrf},
            )
            assert sent.status_code == 422, amount
            assert typed(sent.text, "amount") == amount  # what was typed is shown again
            assert typed(sent.text, "on") == "2020-02-30"
            assert 'id="pledge-amount-problem"' in sent.text
            assert 'aria-invalid="true"' in sent.text
            assert "Indique la fecha como un día del calendario" in sent.text
            said[amount] = sent.text
        assert "No es un importe. Escríbalo así: 1.234,50" in said["12.5"]
        assert "No es un importe" in said["1,234.50"]  # the English way, in Spanish
        assert "solo con cifras" in said["1e3"] and "solo con cifras" in said["-5"]
        assert "mayor que cero" in said["0"]
        assert "como máximo dos decimales" in said["3,333"]
    assert (await positions.fund(system.rt, period)).pledged_cents == 0
    assert await kinds(system) == events


async def test_a_member_outside_the_scale_is_refused_in_the_persons_language(
    system: System,
) -> None:
    async with person(system, "supervisor", [OFFICE], language="en") as sup:
        period, _ = await setup(system, sup)
        sent = await sup.http.post(
            f"/funds/{period}/receipts",
            data={"member": "MX", "amount": "10.00", "on": "", "csrf_token": sup.csrf},
        )
    assert sent.status_code == 422
    assert 'id="receipt-member-problem"' in sent.text
    assert "not in the fund&#39;s contribution scale" in sent.text
    assert "urn:retorno" not in sent.text and "Traceback" not in sent.text


async def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_stored(
    system: System,
) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        period, _ = await setup(system, sup)
        events = await kinds(system)
        commitment = await commitment_of(system)
        for path, data in (
            (f"/funds/{period}/pledges", {"member": "CA", "amount": "10"}),
            (f"/commitments/{commitment}/payments", {"category": "transport", "amount": "10"}),
        ):
            missing = await sup.http.post(path, data=data)
            forged = await sup.http.post(path, data={**data, "csrf_token": "0" * 64})
            other_site = await sup.http.post(
                path, data={**data, "csrf_token": sup.csrf}, headers={"Origin": "https://evil.test"}
            )
            assert missing.status_code == forged.status_code == other_site.status_code == 403
    assert await kinds(system) == events


async def test_a_caseworker_sees_the_funds_but_may_not_record_or_pay(system: System) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        period, _ = await setup(system, sup)
    commitment = await commitment_of(system)
    events = await kinds(system)
    async with person(system, "caseworker", [OFFICE]) as cw:
        listed = await cw.http.get(f"/funds/{period}")
        assert listed.status_code == 200 and "/pledges" not in listed.text
        pledged = await cw.http.post(
            f"/funds/{period}/pledges",
            data={"member": "CA", "amount": "10,00", "csrf_token": cw.csrf},
        )
        paid = await cw.http.post(
            f"/commitments/{commitment}/payments",
            data={"category": "transport", "amount": "10,00", "csrf_token": cw.csrf},
        )
    for refused in (pledged, paid):
        assert refused.status_code == 403
        assert "No corresponde a su rol" in refused.text
    assert await kinds(system) == events


async def test_a_supervisor_pays_a_commitment_and_an_overpayment_is_refused(
    system: System,
) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        await setup(system, sup)
        listed = await sup.http.get("/commitments")
        commitment = await commitment_of(system)
        assert f"/commitments/{commitment}" in listed.text
        over = await sup.http.post(
            f"/commitments/{commitment}/payments",
            data={"category": "transport", "amount": "300,00", "csrf_token": sup.csrf},
        )
        assert over.status_code == 409
        assert 'id="pay-amount-problem"' in over.text and typed(over.text, "amount") == "300,00"
        paid = await sup.http.post(
            f"/commitments/{commitment}/payments",
            data={"category": "transport", "amount": "100,00", "csrf_token": sup.csrf},
        )
        assert paid.status_code == 303
        shown = await sup.http.get(paid.headers["location"])
    assert "El pago está registrado." in shown.text
    [payment] = (
        await listings.payments(
            system.rt, None, LedgerFilter(None, None, None, None, 1, 10), commitment_id=None
        )
    ).items
    assert payment.amount_cents == 10_000 and payment.category == "transport"


async def test_a_payment_is_reversed_with_a_reason_and_only_once(system: System) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        await setup(system, sup)
        commitment = await commitment_of(system)
        await sup.http.post(
            f"/commitments/{commitment}/payments",
            data={"category": "transport", "amount": "250,00", "csrf_token": sup.csrf},
        )
        where = LedgerFilter(None, None, None, None, 1, 10)
        [payment] = (await listings.payments(system.rt, None, where, commitment_id=None)).items
        path = f"/payments/{payment.payment_id}/reversal"
        no_reason = await sup.http.post(path, data={"reason_code": "", "csrf_token": sup.csrf})
        assert no_reason.status_code == 422 and "Indique por qué" in no_reason.text
        reversed_ = await sup.http.post(
            path, data={"reason_code": "wrong_amount", "csrf_token": sup.csrf}
        )
        assert reversed_.status_code == 303
        again = await sup.http.post(path, data={"reason_code": "duplicate", "csrf_token": sup.csrf})
        assert again.status_code == 409 and "ya se anuló" in again.text
    [payment] = (await listings.payments(system.rt, None, where, commitment_id=None)).items
    assert payment.reversed and payment.reversal is not None
    assert payment.reversal.reason_code == "wrong_amount"


async def test_a_pledge_is_reversed_with_a_reason(system: System) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        period, _ = await setup(system, sup)
        await sup.http.post(
            f"/funds/{period}/pledges",
            data={"member": "CA", "amount": "500", "csrf_token": sup.csrf},
        )
        [entry] = (
            await listings.contributions(system.rt, "pledge", period, member=None, page=1, size=5)
        ).items
        sent = await sup.http.post(
            f"/funds/{period}/pledges/{entry.entry_id}/reversal",
            data={"reason_code": "duplicate", "csrf_token": sup.csrf},
        )
        assert sent.status_code == 303
        assert (await positions.fund(system.rt, period)).pledged_cents == 0
        supervisor = Principal("u-sup", "supervisor", frozenset({OFFICE}))
        for kind in ("pledge", "receipt"):
            for _ in range(PER_PAGE + 5):
                body = ContributionIn(member="CA", amount=Decimal("1.00"))
                await funds.record_contribution(system.rt, supervisor, kind, period, body)
        full = await sup.http.get(f"/funds/{period}")
    assert full.status_code == 200
    assert len(full.content) < 150 * 1024  # the page budget, with a full page of each list
    assert full.text.count('name="reason_code"') == 2 * PER_PAGE


async def test_a_commitment_asked_for_wrongly_is_refused_next_to_its_field(
    system: System,
) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        _period, case_id = await setup(system, sup)
        events = await kinds(system)
        bad_case = await sup.http.post(
            "/commitments",
            data={"case_id": "12", "person_ref": "p_" + "0" * 32, "csrf_token": sup.csrf},
        )
        assert bad_case.status_code == 422 and 'id="commit-case_id-problem"' in bad_case.text
        assert typed(bad_case.text, "case_id") == "12"
        stranger = await sup.http.post(
            "/commitments",
            data={"case_id": case_id, "person_ref": "p_" + "0" * 32, "csrf_token": sup.csrf},
        )
        assert stranger.status_code == 422
        assert 'id="commit-person_ref-problem"' in stranger.text
        assert "Esta persona no es una de las personas del caso." in stranger.text
        missing = await sup.http.get("/funds/1999")
        assert missing.status_code == 404 and "No hay un fondo para este periodo" in missing.text
    assert await kinds(system) == events


async def test_another_offices_supervisor_may_not_open_the_commitment(system: System) -> None:
    async with person(system, "supervisor", [OFFICE]) as sup:
        await setup(system, sup)
    commitment = await commitment_of(system)
    async with person(system, "supervisor", ["MX-TAP"]) as other:
        opened = await other.http.get(f"/commitments/{commitment}")
        listed = await other.http.get("/commitments")
    assert opened.status_code == 403
    assert commitment not in listed.text
