# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bulk reads of cards and their review history, shared by the card and
statistic actions.  One query fetches the rows of many cards; nothing here
asks the collection once per card where one query does.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from .. import compat
from ..util import ActionError
from .sql_ids import chunks, id_list, unique

CARD_COLUMNS = (
    "id", "nid", "did", "ord", "mod", "usn", "type", "queue", "due", "ivl",
    "factor", "reps", "lapses", "left", "odue", "odid", "flags",
)

#: revlog columns, in the order the v6 reference lists them
REVLOG_COLUMNS = ("id", "cid", "usn", "ease", "ivl", "lastIvl", "factor", "time", "type")

#: review-log kinds Anki's statistics leave out: manual rescheduling entries
#: (set due date, forget) and, from 23.10, FSRS rescheduling entries
REVLOG_MANUAL, REVLOG_RESCHEDULED = 4, 5


class CardRow:
    """One row of the cards table, columns as attributes."""

    __slots__ = CARD_COLUMNS

    def __init__(self, values: Sequence[Any]) -> None:
        for name, value in zip(CARD_COLUMNS, values):
            setattr(self, name, value)


def card_rows(col: Any, ids: Sequence[int]) -> Dict[int, CardRow]:
    """The rows of the cards among `ids` that exist, by id."""
    rows: Dict[int, CardRow] = {}
    columns = ", ".join(CARD_COLUMNS)
    for part in chunks(unique(ids)):
        for values in col.db.execute(f"select {columns} from cards where id in {id_list(part)}"):
            rows[values[0]] = CardRow(values)
    return rows


def required_card_rows(col: Any, ids: Sequence[int]) -> Dict[int, CardRow]:
    """Like card_rows, but the reference's error for the first id (in the
    order given) that is no card: `Card was not found: <id>`."""
    rows = card_rows(col, ids)
    for cid in ids:
        if cid not in rows:
            raise ActionError(card_not_found(cid), "not_found")
    return rows


def card_not_found(cid: int) -> str:
    """The reference's wording for an id that is no card (clients match it)."""
    return f"Card was not found: {cid}"


def revlog_by_card(col: Any, ids: Sequence[int], columns: str) -> Dict[int, List[tuple]]:
    """Each card's review-log rows (`columns` after the card id), oldest first."""
    logs: Dict[int, List[tuple]] = {}
    for part in chunks(unique(ids)):
        for row in col.db.execute(
            f"select cid, {columns} from revlog where cid in {id_list(part)} order by id"
        ):
            logs.setdefault(row[0], []).append(row[1:])
    return logs


# -- cardsInfo ------------------------------------------------------------------


class CardInfoBuilder:
    """Builds cardsInfo entries; note types, decks and notes are looked up
    once per call, not once per card."""

    def __init__(self, col: Any) -> None:
        self.col = col
        self.fsrs = compat.fsrs_enabled(col)
        self._notes: Dict[int, Any] = {}
        self._models: Dict[int, Any] = {}
        self._decks: Dict[int, str] = {}

    def build(self, ids: Sequence[int]) -> List[Dict[str, Any]]:
        rows = card_rows(self.col, ids)
        infos = {cid: self._info(row) for cid, row in rows.items()}
        return [infos.get(cid, {}) for cid in ids]

    def _note(self, nid: int) -> Any:
        note = self._notes.get(nid)
        if note is None:
            note = self._notes[nid] = self.col.get_note(nid)
        return note

    def _model(self, mid: int) -> Any:
        model = self._models.get(mid)
        if model is None:
            model = self._models[mid] = self.col.models.get(mid)
        return model

    def _deck(self, did: int) -> str:
        name = self._decks.get(did)
        if name is None:
            name = self._decks[did] = self.col.decks.name(did)
        return name

    def _info(self, row: CardRow) -> Dict[str, Any]:
        # imported here: importing anki.cards before anki.collection fails in 2.1.66
        from anki.cards import Card
        from anki.template import TemplateRenderContext

        col = self.col
        note = self._note(row.nid)
        model = self._model(note.mid)
        card = Card(col, backend_card=backend_card(row))
        card._note = note  # rendering hooks may ask the card for its note
        output = TemplateRenderContext(col, card, note, notetype=model).render()
        card.set_render_output(output)
        fields = {
            f["name"]: {"value": note.fields[f["ord"]], "order": f["ord"]}
            for f in model["flds"]
        }
        info = {
            "cardId": row.id,
            "fields": fields,
            "fieldOrder": row.ord,
            "question": output.question_and_style(),
            "answer": output.answer_and_style(),
            "modelName": model["name"],
            "ord": row.ord,
            "deckName": self._deck(row.did),
            "css": model["css"],
            "factor": row.factor,
            "interval": row.ivl,
            "note": row.nid,
            "type": row.type,
            "queue": row.queue,
            "due": row.due,
            "reps": row.reps,
            "lapses": row.lapses,
            "left": row.left,
            "mod": row.mod,
            "nextReviews": compat.next_review_labels(col, row.id),
            "flags": row.flags,
        }
        if self.fsrs:
            memory = compat.fsrs_memory(col, row.id)
            stability, difficulty, retrievability = memory or (None, None, None)
            info.update(stability=stability, difficulty=difficulty,
                        retrievability=retrievability)
        return info


def backend_card(row: CardRow) -> Any:
    """The backend's card message for a row (enough to render the card)."""
    from anki import cards_pb2

    return cards_pb2.Card(
        id=row.id, note_id=row.nid, deck_id=row.did, template_idx=row.ord,
        mtime_secs=row.mod, usn=row.usn, ctype=row.type, queue=row.queue,
        due=row.due, interval=row.ivl, ease_factor=row.factor, reps=row.reps,
        lapses=row.lapses, remaining_steps=row.left, original_due=row.odue,
        original_deck_id=row.odid, flags=row.flags,
    )
