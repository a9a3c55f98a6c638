"""The pure rules behind verification: column framing, the streaming walk, the signed head."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from events.envelope import Actor, new_envelope
from events.privacy import LegalHoldChanged
from services.audit.domain.chain import (
    COLUMNS,
    GENESIS,
    RULE_COLUMNS,
    RULE_ENVELOPE,
    SignedHead,
    StoredRecord,
    Walk,
    canonical,
    check_head,
    column_mismatch,
    column_texts,
    column_values,
    columns_text,
    diagnose,
    hashed_text,
    link,
    parse_columns_text,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def records(n: int, rule: int = RULE_COLUMNS) -> list[tuple[int, str, str, str, int, str]]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        envelope = new_envelope(
            LegalHoldChanged(person_ref=f"p_{i:032x}", hold_id=f"h{i}", active=True),
            actor=Actor.user("dpo-1", "data_protection_officer"),
            occurred_at=NOW,
        )
        body = canonical(envelope)
        cols = columns_text(column_texts(column_values(envelope, NOW)))
        digest = link(prev, hashed_text(body, rule, cols))
        rows.append((i, body, prev, digest, rule, cols))
        prev = digest
    return rows


@given(st.lists(st.one_of(st.none(), st.text()), min_size=len(COLUMNS), max_size=len(COLUMNS)))
def test_columns_text_is_read_back_exactly(values: list[str | None]) -> None:
    assert parse_columns_text(columns_text(values)) == values


def test_moving_text_between_columns_changes_the_framing() -> None:
    a = columns_text(["ab", "c", *[None] * (len(COLUMNS) - 2)])
    b = columns_text(["a", "bc", *[None] * (len(COLUMNS) - 2)])

    assert a != b


def test_an_untouched_log_walks_to_its_end_remembering_wanted_hashes() -> None:
    rows = records(5)
    walk = Walk(wanted=frozenset({3}))

    assert walk.feed(rows[:2]) is None and walk.feed(rows[2:]) is None
    assert (walk.position, walk.hash) == (5, rows[-1][3])
    assert walk.found == {3: rows[2][3]}


def test_an_edited_column_under_rule_2_is_named_a_column_mismatch() -> None:
    rows = records(4)
    cols = parse_columns_text(rows[2][5])
    assert cols is not None
    cols[COLUMNS.index("type")] = "funding.made_up"
    rows[2] = (*rows[2][:5], columns_text(cols))
    walk = Walk()

    bad = walk.feed(rows)
    assert bad == 3
    window = [StoredRecord(*r) for r in rows]
    problem = diagnose(window, walk.window_start(bad), bad)

    assert (problem.position, problem.kind) == (3, "column_mismatch")
    assert "type" in problem.detail


def test_an_edited_column_under_rule_1_is_caught_from_the_envelope() -> None:
    rows = records(3, rule=RULE_ENVELOPE)
    cols = parse_columns_text(rows[1][5])
    assert cols is not None
    cols[COLUMNS.index("person_ref")] = "p_someone_else"

    assert column_mismatch(rows[1][1], columns_text(cols)) == "person_ref"
    assert Walk().feed([rows[0], (*rows[1][:5], columns_text(cols)), rows[2]]) == 2


def signed(position: int, digest: str) -> SignedHead:
    return SignedHead(position=position, hash=digest, signed_at=NOW, key_id="ab", signature="x")


def test_the_signed_head_names_what_happened_at_the_end() -> None:
    h = "aa" * 32
    assert check_head(signed(5, h), (5, h), True, True) is None
    problem = check_head(signed(5, h), (6, "bb" * 32), True, True)
    assert problem is not None and (problem.position, problem.kind) == (6, "forged_record")
    problem = check_head(signed(5, h), (4, "bb" * 32), True, True)
    assert problem is not None and (problem.position, problem.kind) == (5, "removed")
    problem = check_head(signed(5, h), (5, h), False, True)
    assert problem is not None and (problem.position, problem.kind) == (5, "head_mismatch")
    unsigned = SignedHead(position=5, hash=h)
    problem = check_head(unsigned, (5, h), None, True)
    assert problem is not None and problem.kind == "head_mismatch"
    assert check_head(unsigned, (5, h), None, False) is None  # a log from before audit_0003
