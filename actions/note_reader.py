# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading many notes at once, for notesInfo and notesModTime.

One SQL query for the notes and one for their cards (per 20,000 ids), fields
split as Anki stores them (separated by \\x1f), note type facts cached: for
10,000 notes several times faster than loading each note through the
backend.

The shapes of what they return (NoteInfo, NoteModTime, NoNote for `{}`) are
declared here, for the actions' JSON Schemas.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, TypedDict, Union

from .sql_ids import chunks, id_list, unique


class NoteFieldValue(TypedDict):
    """One field of a note.

    value: its content (HTML).
    order: its position among the note type's fields, from 0.
    """

    value: str
    order: int


class NoteInfo(TypedDict):
    """A note: its fields, tags, note type, cards and when it changed.

    noteId: the note's id.
    profile: the name of the Anki profile it is in.
    tags: its tags.
    fields: field name -> its content and position, for every field of its note type.
    modelName: its note type.
    mod: when it was last modified (seconds since 1970).
    cards: the ids of its cards, in the order of the note type's templates.
    """

    noteId: int
    profile: str
    tags: List[str]
    fields: Dict[str, NoteFieldValue]
    modelName: str
    mod: int
    cards: List[int]


class NoteModTime(TypedDict):
    """When a note was last modified.

    noteId: the note's id.
    mod: when it was last modified (seconds since 1970).
    """

    noteId: int
    mod: int


class NoNote(TypedDict):
    """`{}`: no note has this id."""


def notes_info(col: Any, ids: Sequence[int],
               profile: Optional[str]) -> List[Union[NoteInfo, NoNote]]:
    """notesInfo entries for `ids`, in order; `{}` for ids with no note."""
    rows: Dict[int, Tuple[int, int, str, str]] = {}
    cards: Dict[int, List[int]] = {}
    for chunk in chunks(unique(ids)):
        where = id_list(chunk)
        for nid, mid, mod, tags, flds in col.db.all(
            f"select id, mid, mod, tags, flds from notes where id in {where}"
        ):
            rows[nid] = (mid, mod, tags, flds)
        for nid, cid in col.db.all(
            f"select nid, id from cards where nid in {where} order by nid, ord, id"
        ):
            cards.setdefault(nid, []).append(cid)
    notetypes: Dict[int, Tuple[str, List[str]]] = {}
    out: List[Any] = []
    for nid in ids:
        row = rows.get(nid)
        if row is None:
            out.append({})
            continue
        mid, mod, tags, flds = row
        nt = notetypes.get(mid)
        if nt is None:
            model = col.models.get(mid) or {"name": "", "flds": []}
            nt = notetypes[mid] = (model["name"], [f["name"] for f in model["flds"]])
        name, field_names = nt
        values = flds.split("\x1f")
        out.append({
            "noteId": nid,
            "profile": profile,
            "tags": tags.split(),
            "fields": {
                field: {"value": values[i] if i < len(values) else "", "order": i}
                for i, field in enumerate(field_names)
            },
            "modelName": name,
            "mod": mod,
            "cards": cards.get(nid, []),
        })
    return out


def note_mod_times(col: Any, ids: Sequence[int]) -> List[Union[NoteModTime, NoNote]]:
    """`{noteId, mod}` for each id, in order; `{}` for ids with no note."""
    mods: Dict[int, int] = {}
    for chunk in chunks(unique(ids)):
        mods.update(col.db.all(f"select id, mod from notes where id in {id_list(chunk)}"))
    return [{"noteId": nid, "mod": mods[nid]} if nid in mods else {} for nid in ids]
