# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Anki searches, with a shortcut for the exact first-field lookups that
dictionary clients make for every word they show.

Yomitan asks `"front:言葉"` (often with a `"deck:..."` term) several times
per word.  Anki answers a field search by reading every note of the note
types that have the field (LIKE on `notes.flds`): milliseconds per query on
a large collection.  Anki keeps an index on the checksum of each note's
first field (`notes.csum`, what its duplicate check uses), so when the
searched field is the first field of every note type that has it, the notes
that can match are found through that index, and Anki's own search then
runs on those notes only:

    nid:<candidates> <the query as given>

Anki decides what matches, exactly as it would have; the shortcut only has
to be sure not to miss a note.  A note matches `field:text` when its field
equals `text` as SQLite's LIKE compares them: ASCII letters in either case,
every other character as is (Anki's search turns `*`, `_`, `%` and `\\` into
patterns and escapes; those texts take the normal path).  So its first field
is one of the ASCII case variants of the text; with no `<` or `&` in it,
Anki's checksum of it is the plain checksum (nothing for HTML stripping to
change), and the note is among those with one of the variants' checksums.
The text is taken as given and NFC-normalised (Anki normalises it when the
collection normalises note text).  Anki keeps the checksums current itself
(its duplicate check relies on them too; Check Database rebuilds them).

The shortcut's answer is taken when it finds no note or one (cards
likewise), the common case for a word looked up.  Several are looked up
again with Anki's own search: its SQL has no ORDER BY, so they come in the
order SQLite reads them, which the restriction may change (by note type,
by deck, ...).  A query Anki refuses is also left to Anki's own search, for
its own error.

Anything else takes the normal path: groups, OR, escapes, wildcards, regex
and other search modes, a negated field term, a field that is not the first
field of some note type, text with more than MAX_CASE_LETTERS letters, or
more than MAX_CANDIDATES candidates.  tests/test_field_search.py compares
the results with Anki's own search on many generated notes and queries.
"""
from __future__ import annotations

import itertools
import unicodedata
from typing import Any, Iterable, List, Optional, Sequence, Set, Tuple

from .note_builder import checksum

#: ASCII letters in the text at most (2**n checksums are looked up)
MAX_CASE_LETTERS = 10
#: candidates at most (more: the normal search is as fast)
MAX_CANDIDATES = 5000
#: keys that are not field names (Anki's search keywords, any case)
KEYWORDS = frozenset({
    "deck", "note", "tag", "card", "flag", "resched", "prop", "added", "edited",
    "introduced", "rated", "is", "did", "mid", "nid", "cid", "re", "nc", "sc", "w",
    "dupe", "has-cd", "preset",
})
#: characters that make a field text more than a plain literal in Anki's search
#: (patterns, escapes, modes, quoting) or in its checksum (HTML)
_SPECIAL_IN_TEXT = set('*_%\\:"<&')


def find_notes(col: Any, query: str) -> List[int]:
    """`col.find_notes(query)`, quicker for exact first-field searches."""
    return _find(col.find_notes, col, query)


def find_cards(col: Any, query: str) -> List[int]:
    """`col.find_cards(query)`, quicker for exact first-field searches."""
    return _find(col.find_cards, col, query)


def _find(search: Any, col: Any, query: str) -> List[int]:
    candidates = first_field_candidates(col, query)
    if candidates is not None:
        try:
            found = list(search(restricted(query, candidates)))
        except Exception:  # Anki's own search says what is wrong with the query
            found = None
        if found is not None and len(found) <= 1:
            return found
    # Several found: the order is SQLite's (Anki's SQL has no ORDER BY) and
    # may differ once restricted, so Anki's own search gives them in its order.
    return list(search(query))


def restricted(query: str, note_ids: Sequence[int]) -> str:
    """`query` limited to notes `note_ids` (none: a note id that never exists)."""
    return f"nid:{','.join(str(int(n)) for n in note_ids) or '0'} {query}"


def first_field_candidates(col: Any, query: str) -> Optional[List[int]]:
    """Note ids among which every match of `query` is, or None when the
    query is not of the shape this module is sure about."""
    term = exact_field_term(query)
    if term is None:
        return None
    field, text = term
    try:
        if not _only_first_fields(col, field):
            return None
        variants = case_variants(text)
        if variants is None:
            return None
        sums = ",".join(str(checksum(v)) for v in variants)  # ~1 µs each
        ids = col.db.list(f"select id from notes where csum in ({sums})")
    except Exception:  # e.g. a schema without the fields table: the normal search
        return None
    if len(ids) > MAX_CANDIDATES:
        return None
    return sorted(ids)


# ---------------------------------------------------------------------------
# The query


def terms(query: str) -> Optional[List[Tuple[str, bool]]]:
    """The terms of a query made only of terms joined by spaces (implicit
    AND): [(term, quoted)].  None for anything else: groups, OR/AND words,
    escapes, partly quoted terms, whitespace other than spaces."""
    if any(c in "()\\" or (c.isspace() and c != " ") for c in query):
        return None
    out: List[Tuple[str, bool]] = []
    i, n = 0, len(query)
    while i < n:
        if query[i] == " ":
            i += 1
            continue
        if query[i] == '"':
            end = query.find('"', i + 1)
            if end <= i + 1 or (end + 1 < n and query[end + 1] != " "):
                return None  # unclosed, empty, or text right after the quote
            out.append((query[i + 1:end], True))
            i = end + 1
            continue
        end = query.find(" ", i)
        end = n if end < 0 else end
        term = query[i:end]
        if '"' in term or term.lower() in ("and", "or"):
            return None
        out.append((term, False))
        i = end
    return out


def exact_field_term(query: str) -> Optional[Tuple[str, str]]:
    """(field, text) of the first `field:text` term of `query` that searches
    a field for exactly `text`, if the query is a plain AND of terms."""
    found = terms(query)
    if not found:
        return None
    for term, quoted in found:
        if not quoted and term.startswith("-"):
            continue  # negated
        field, colon, text = term.partition(":")
        if not colon or not _plain_field(field) or not _plain_text(text):
            continue
        return field, text
    return None


def _plain_field(name: str) -> bool:
    return (bool(name) and not name.startswith("-") and name.lower() not in KEYWORDS
            and not any(c in '*_"' for c in name))


def _plain_text(text: str) -> bool:
    if not text or text != text.strip(" "):
        return False
    for c in text:
        if c in _SPECIAL_IN_TEXT:
            return False
        if c < " " or c == "\x7f":
            return False
        if not c.isascii():
            # a character with case: LIKE may or may not fold it, and the
            # note's field could be written in the other case
            if c.lower() != c or c.upper() != c or c.casefold() != c:
                return False
            if unicodedata.category(c) in ("Cc", "Cs", "Cn", "Zl", "Zp"):
                return False
    return True


# ---------------------------------------------------------------------------
# The collection


def _only_first_fields(col: Any, field: str) -> bool:
    """Whether some note type has a field named `field` (any case), and in
    every note type that has one it is the first field."""
    wanted = _name_forms(field)
    matched = False
    for ord_, name in col.db.all("select ord, name from fields"):
        if not wanted.isdisjoint(_name_forms(name)):
            if ord_ != 0:
                return False
            matched = True
    return matched


def _name_forms(name: str) -> Set[str]:
    """Forms under which two field names count as the same: more generous
    than Anki's own comparison (Unicode case-insensitive), never less."""
    forms = {name.casefold(), name.lower(), name.upper().lower()}
    if not unicodedata.is_normalized("NFC", name):
        forms |= _name_forms(unicodedata.normalize("NFC", name))
    return forms


def case_variants(text: str) -> Optional[List[str]]:
    """Every way of writing `text` (as given and NFC-normalised) with its
    ASCII letters in either case; None if there are too many."""
    out: List[str] = []
    for form in dict.fromkeys((text, unicodedata.normalize("NFC", text))):
        letters = sum(1 for c in form if c.isascii() and c.isalpha())
        if letters > MAX_CASE_LETTERS:
            return None
        choices: List[Iterable[str]] = [
            (c.lower(), c.upper()) if c.isascii() and c.isalpha() else (c,) for c in form
        ]
        out.extend("".join(p) for p in itertools.product(*choices))
    return list(dict.fromkeys(out))
