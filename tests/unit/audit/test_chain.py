"""The hash chain names the first position where the log was tampered with, and how."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from events.envelope import Actor, new_envelope
from events.privacy import LegalHoldChanged
from services.audit.domain.chain import GENESIS, ChainRecord, canonical, chain, link, verify


def texts(n: int) -> list[str]:
    return [json.dumps({"event_id": str(uuid.uuid4()), "n": i}, sort_keys=True) for i in range(n)]


def forged(position: int, prev_hash: str) -> ChainRecord:
    text = json.dumps({"event_id": str(uuid.uuid4()), "forged": True})
    return ChainRecord(
        position=position, canonical=text, prev_hash=prev_hash, hash=link(prev_hash, text)
    )


def renumbered(records: list[ChainRecord]) -> list[ChainRecord]:
    return [r.model_copy(update={"position": i}) for i, r in enumerate(records, start=1)]


def test_an_untouched_chain_is_intact() -> None:
    records = chain(texts(5))

    result = verify(records, head=(5, records[-1].hash))

    assert result.intact
    assert result.records_checked == 5
    assert result.head_hash == records[-1].hash


def test_an_empty_log_is_intact_at_genesis() -> None:
    result = verify([])

    assert result.intact and result.head_position == 0 and result.head_hash == GENESIS


def test_changed_content_is_named_at_its_position() -> None:
    records = chain(texts(6))
    records[2] = records[2].model_copy(
        update={"canonical": records[2].canonical.replace('"n"', '"m"')}
    )

    result = verify(records)

    assert not result.intact
    assert result.problem is not None
    assert (result.problem.position, result.problem.kind) == (3, "changed")
    assert result.records_checked == 2


def test_an_altered_previous_hash_field_is_a_change() -> None:
    records = chain(texts(4))
    records[1] = records[1].model_copy(update={"prev_hash": "f" * 64})

    problem = verify(records).problem

    assert problem is not None and (problem.position, problem.kind) == (2, "changed")


def test_a_removed_record_leaves_a_gap_named_as_removed() -> None:
    records = chain(texts(6))
    del records[3]

    problem = verify(records).problem

    assert problem is not None and (problem.position, problem.kind) == (4, "removed")


def test_a_removed_record_with_renumbered_positions_is_named_as_removed() -> None:
    records = chain(texts(6))
    del records[3]

    problem = verify(renumbered(records)).problem

    assert problem is not None and (problem.position, problem.kind) == (4, "removed")


def test_removed_last_records_are_caught_by_the_head() -> None:
    records = chain(texts(6))

    problem = verify(records[:4], head=(6, records[-1].hash)).problem

    assert problem is not None and (problem.position, problem.kind) == (5, "removed")


def test_an_inserted_record_that_links_correctly_is_named_as_inserted() -> None:
    records = chain(texts(6))
    tampered = renumbered([*records[:3], forged(4, records[2].hash), *records[3:]])

    problem = verify(tampered).problem

    assert problem is not None and (problem.position, problem.kind) == (4, "inserted")


def test_an_inserted_record_with_a_made_up_link_is_named_as_inserted() -> None:
    records = chain(texts(6))
    tampered = renumbered([*records[:3], forged(4, "a" * 64), *records[3:]])

    problem = verify(tampered).problem

    assert problem is not None and (problem.position, problem.kind) == (4, "inserted")


def test_two_inserted_records_are_named_at_the_first() -> None:
    records = chain(texts(5))
    first = forged(3, records[1].hash)
    second = forged(4, first.hash)

    problem = verify(renumbered([*records[:2], first, second, *records[2:]])).problem

    assert problem is not None and (problem.position, problem.kind) == (3, "inserted")


def test_two_swapped_records_are_named_as_reordered() -> None:
    records = chain(texts(7))
    records[1], records[4] = records[4], records[1]

    problem = verify(renumbered(records)).problem

    assert problem is not None and (problem.position, problem.kind) == (2, "reordered")


def test_two_swapped_neighbours_are_named_as_reordered() -> None:
    records = chain(texts(5))
    records[2], records[3] = records[3], records[2]

    problem = verify(renumbered(records)).problem

    assert problem is not None and (problem.position, problem.kind) == (3, "reordered")


def test_contents_swapped_under_unchanged_hashes_are_named_as_reordered() -> None:
    records = chain(texts(5))
    a, b = records[1], records[3]
    records[1] = a.model_copy(update={"canonical": b.canonical})
    records[3] = b.model_copy(update={"canonical": a.canonical})

    problem = verify(records).problem

    assert problem is not None and (problem.position, problem.kind) == (2, "reordered")


def test_a_rewritten_record_with_a_recomputed_hash_breaks_the_next_link() -> None:
    records = chain(texts(5))
    text = records[1].canonical.replace('"n"', '"x"')
    records[1] = records[1].model_copy(
        update={"canonical": text, "hash": link(records[1].prev_hash, text)}
    )

    problem = verify(records).problem

    assert problem is not None and problem.position == 3


@given(st.integers(min_value=2, max_value=12), st.data())
def test_any_single_change_is_found_at_its_position(n: int, data: st.DataObject) -> None:
    records = chain(texts(n))
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    records[i] = records[i].model_copy(update={"canonical": records[i].canonical + " "})

    problem = verify(records).problem

    assert problem is not None and (problem.position, problem.kind) == (i + 1, "changed")


def test_canonical_form_is_sorted_compact_utc_and_stable() -> None:
    when = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-6)))
    envelope = new_envelope(
        LegalHoldChanged(person_ref="p_" + "a" * 32, hold_id="h1", active=True),
        actor=Actor.user("u1", "data_protection_officer"),
        occurred_at=when,
    )

    text = canonical(envelope)

    assert text == canonical(envelope.model_validate_json(envelope.to_bytes()))
    assert " " not in text and '"occurred_at":"2026-03-01T15:30:00.000000Z"' in text
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert envelope.occurred_at == when.astimezone(UTC)
