"""The blind index: pure functions that turn a name or a document number into keyed digests.

A person is found by name or document number without a plaintext column anywhere: each
searchable field's value is normalized, split into terms, and each term is stored only as
``HMAC-SHA256(search key, kind || 0x00 || term)``. A search computes the same digests from
what was typed and compares them for equality. Without the search key (kept apart from the
data, and apart from the encryption keys) a digest cannot be tested against a guessed name.

Normalization (the same for stored values and searched text): Unicode NFKD, accents
(combining marks) dropped, case folded, every run of spaces collapsed. Names are matched by
token: "maria lopez" finds "María del Carmen" + "López" because each token typed is a token of
the person's names. Documents are matched whole, without separators (spaces, dashes, dots,
slashes): "A-123 456" finds "a123456".
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from privacy.domain import KeyringError
from services.kit.errors import InvalidInputError

SearchKind = Literal["name", "document"]
KINDS: tuple[SearchKind, ...] = ("name", "document")
MAX_SEARCH_LENGTH = 200
MAX_TOKENS = 8
DIGEST_HEX = 64


class SearchTextInvalidError(InvalidInputError):
    """The search text is empty, too long, or has no letter or digit to look for."""


class SearchKeyInvalidError(KeyringError):
    """RETORNO_SEARCH_KEY or the search key file does not hold a base64 key of 32 bytes."""


# ASCII text: every character but a letter or digit becomes a space (what ``normalize`` does
# to it character by character, in one C call)
_ASCII_NON_ALNUM = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def normalize(text: str) -> str:
    """NFKD, accents stripped, casefolded, spaces collapsed: 'María  LÓPEZ' -> 'maria lopez'.

    Punctuation other than letters and digits counts as a space, so "Pérez-Gil" has the tokens
    "perez" and "gil" however it was typed. ASCII text takes a shortcut with the same result
    (NFKD changes no ASCII character and casefold is lower there): the per-character loop was
    most of the CPU of sealing a batch with its blind index."""
    if text.isascii():
        return " ".join(text.translate(_ASCII_NON_ALNUM).lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        kept.append(char if char.isalnum() else " ")
    folded = "".join(kept).casefold()
    # casefold may produce new decomposable characters (e.g. 'ß' -> 'ss' is fine; others
    # recompose); normalise once more so stored and typed forms meet
    folded = unicodedata.normalize("NFKD", folded)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(folded.split())


def name_tokens(text: str) -> list[str]:
    """The distinct tokens of a name, in order: 'María del Carmen' -> ['maria', 'del', 'carmen']."""
    seen: dict[str, None] = {}
    for token in normalize(text).split(" "):
        if token:
            seen.setdefault(token, None)
    return list(seen)


def document_form(text: str) -> str:
    """A document number without separators, casefolded: 'gt-12 345.6' -> 'gt123456'."""
    return normalize(text).replace(" ", "")


def digest(key: bytes, kind: SearchKind, term: str) -> str:
    """The blind index entry of one term: hex HMAC-SHA256 over the kind and the term."""
    message = kind.encode() + b"\x00" + term.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IndexEntry:
    """One row of the index: which field of the person's record it comes from, and a digest."""

    field: str
    kind: SearchKind
    digest: str


def terms_of(kind: SearchKind, value: str) -> list[str]:
    if kind == "name":
        return name_tokens(value)
    form = document_form(value)
    return [form] if form else []


def entries_for(
    key: bytes, values: Mapping[str, str], index: Mapping[str, SearchKind]
) -> list[IndexEntry]:
    """The index entries of the searchable fields among ``values`` (``index``: field -> kind)."""
    entries: list[IndexEntry] = []
    for field, kind in index.items():
        value = values.get(field)
        if value is None:
            continue
        entries.extend(IndexEntry(field, kind, digest(key, kind, t)) for t in terms_of(kind, value))
    return entries


@dataclass(frozen=True)
class SearchQuery:
    """What a search looks for: every name token (all must match), or the document form."""

    name_digests: tuple[str, ...]
    document_digest: str | None


def search_query(key: bytes, text: str) -> SearchQuery:
    """The digests to look up for ``text`` (SearchTextInvalidError naming ``q`` if it is empty,
    longer than 200 characters, or has more than 8 words). The text itself is never kept."""
    if len(text) > MAX_SEARCH_LENGTH:
        raise SearchTextInvalidError(
            f"q: the search text is longer than {MAX_SEARCH_LENGTH} characters; type a name or "
            "a document number",
            errors=[{"field": "q", "problem": "too long"}],
        )
    tokens = name_tokens(text)
    if not tokens:
        raise SearchTextInvalidError(
            "q: type a name or a document number (letters or digits) to search for",
            errors=[{"field": "q", "problem": "no letter or digit"}],
        )
    if len(tokens) > MAX_TOKENS:
        raise SearchTextInvalidError(
            f"q: type at most {MAX_TOKENS} words of a name to search for",
            errors=[{"field": "q", "problem": "too many words"}],
        )
    form = document_form(text)
    return SearchQuery(
        tuple(digest(key, "name", t) for t in tokens),
        digest(key, "document", form) if form else None,
    )


def matching_records(
    rows: Iterable[tuple[str, str | None, str, SearchKind, str]], query: SearchQuery
) -> dict[tuple[str, str | None], set[str]]:
    """From candidate index rows ``(person_ref, record_office, field, kind, digest)``, the
    records (person, record) that match ``query`` and the fields that matched: every name token
    among the record's name digests, or the document digest among its document digests."""
    names: dict[tuple[str, str | None], set[str]] = {}
    fields: dict[tuple[str, str | None], set[str]] = {}
    documents: dict[tuple[str, str | None], set[str]] = {}
    wanted = set(query.name_digests)
    for ref, record, field, kind, value in rows:
        key = (ref, record)
        if kind == "name" and value in wanted:
            names.setdefault(key, set()).add(value)
            fields.setdefault(key, set()).add(field)
        elif kind == "document" and value == query.document_digest:
            documents.setdefault(key, set()).add(field)
    found: dict[tuple[str, str | None], set[str]] = {}
    for key, seen in names.items():
        if seen >= wanted:
            found[key] = set(fields[key])
    for key, matched in documents.items():
        found.setdefault(key, set()).update(matched)
    return found
