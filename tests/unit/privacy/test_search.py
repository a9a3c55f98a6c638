"""The blind index's pure rules: normalization, tokens, digests and matching."""

from __future__ import annotations

import base64
import stat
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.domain import KeyFileUnsafeError
from privacy.domain.search import (
    SearchKeyInvalidError,
    SearchTextInvalidError,
    digest,
    document_form,
    entries_for,
    matching_records,
    name_tokens,
    normalize,
    search_query,
)
from privacy.store.searchkey import load_search_key

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def test_normalize_strips_accents_folds_case_and_collapses_spaces() -> None:
    assert normalize("  María   del CARMEN  ") == "maria del carmen"
    assert normalize("LÓPEZ") == "lopez"
    assert normalize("Núñez") == "nunez"
    assert normalize("Straße") == "strasse"
    assert normalize("ﬁlomena") == "filomena"  # NFKD: the ligature is two letters


def test_punctuation_separates_tokens() -> None:
    assert name_tokens("Pérez-Gil") == ["perez", "gil"]
    assert name_tokens("O'Brien") == ["o", "brien"]


def test_name_tokens_are_distinct_and_in_order() -> None:
    assert name_tokens("Ana ana ANA María") == ["ana", "maria"]
    assert name_tokens(" - ") == []


def test_document_form_drops_separators() -> None:
    assert document_form("gt-12 345.6/7") == "gt1234567"
    assert document_form("GT1234567") == "gt1234567"


@given(st.text(max_size=40))
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_digests_are_keyed_and_separated_by_kind() -> None:
    assert digest(KEY, "name", "lopez") == digest(KEY, "name", "lopez")
    assert digest(KEY, "name", "lopez") != digest(OTHER_KEY, "name", "lopez")
    assert digest(KEY, "name", "a123") != digest(KEY, "document", "a123")
    assert len(digest(KEY, "name", "lopez")) == 64
    assert "lopez" not in digest(KEY, "name", "lopez")


def rows_of(ref: str, record: str | None, values: dict[str, str]) -> list[tuple]:
    index = {"given_names": "name", "family_name": "name", "travel_document_number": "document"}
    return [
        (ref, record, e.field, e.kind, e.digest)
        for e in entries_for(KEY, values, index)  # type: ignore[arg-type]
    ]


MARIA = {
    "given_names": "María del Carmen",
    "family_name": "López",
    "travel_document_number": "G-1234",
}
MARIO = {"given_names": "Mario", "family_name": "López Ruiz"}


def search(text: str, rows: list[tuple]) -> dict:
    return matching_records(rows, search_query(KEY, text))


def test_every_token_typed_must_be_a_token_of_the_names() -> None:
    rows = rows_of("p_1", None, MARIA) + rows_of("p_2", None, MARIO)
    assert search("maria lopez", rows) == {("p_1", None): {"given_names", "family_name"}}
    assert set(search("LOPEZ", rows)) == {("p_1", None), ("p_2", None)}
    assert search("maria ruiz", rows) == {}
    assert search("mari", rows) == {}  # whole tokens only


def test_a_document_number_matches_whole_without_separators() -> None:
    rows = rows_of("p_1", None, MARIA) + rows_of("p_2", None, MARIO)
    assert search("g 1234", rows) == {("p_1", None): {"travel_document_number"}}
    assert search("G-123", rows) == {}


def test_records_of_one_person_are_matched_apart() -> None:
    rows = rows_of("p_1", None, MARIA) + rows_of("p_1", "MX-TAP", {"given_names": "Mary"})
    assert set(search("mary", rows)) == {("p_1", "MX-TAP")}
    assert set(search("carmen", rows)) == {("p_1", None)}


@pytest.mark.parametrize("text", ["", "   ", "--", "x" * 201, "a b c d e f g h i"])
def test_a_search_text_without_words_or_too_long_is_refused_naming_q(text: str) -> None:
    with pytest.raises(SearchTextInvalidError) as refused:
        search_query(KEY, text)
    assert refused.value.detail.startswith("q:")
    assert refused.value.status_code == 422


def test_the_search_key_file_is_made_once_private_and_apart_from_the_master_keys(
    tmp_path: Path,
) -> None:
    made = load_search_key(tmp_path)
    path = tmp_path / "keys" / "search.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_search_key(tmp_path) == made  # the same key at the next start
    assert not (tmp_path / "keys" / "master.json").exists()
    path.chmod(0o644)
    with pytest.raises(KeyFileUnsafeError):
        load_search_key(tmp_path)


def test_a_configured_search_key_must_be_base64_of_32_bytes(tmp_path: Path) -> None:
    configured = base64.b64encode(b"s" * 32).decode()
    assert load_search_key(tmp_path, configured).secret == b"s" * 32
    assert not (tmp_path / "keys").exists()
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(SearchKeyInvalidError):
            load_search_key(tmp_path, bad)


def test_the_ascii_shortcut_normalizes_as_the_full_path_does() -> None:
    def full(text: str) -> str:  # the general path, written out
        kept = "".join(
            c if c.isalnum() else " "
            for c in unicodedata.normalize("NFKD", text)
            if not unicodedata.combining(c)
        ).casefold()
        kept = "".join(
            c for c in unicodedata.normalize("NFKD", kept) if not unicodedata.combining(c)
        )
        return " ".join(kept.split())

    every_ascii = "".join(chr(c) for c in range(128))
    samples = [every_ascii, "  Maria  LOPEZ-gil ", "GT-12 345.6", "O'Brien\tJr.", "", "___"]
    for text in samples:
        assert text.isascii()
        assert normalize(text) == full(text), text
    assert normalize("María  LÓPEZ") == "maria lopez"  # not ASCII: the general path
