# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Card actions: finding cards, their state and scheduling.

Reads fetch the rows of all requested cards in one query (see card_data.py);
writes go through Anki's scheduler and card APIs, so the review log, undo and
sync stay right.
"""
from __future__ import annotations

import json
import re
import time
from typing import Annotated, Any, Dict, List, Literal, Optional, TypedDict, Union

from anki.errors import DBError, SearchError

from .. import compat
from ..util import ActionError, Emits, JsonSchema, action, open_shape
from .card_data import (CardInfoBuilder, card_not_found, card_rows, required_card_rows,
                        revlog_by_card)
from .sql_ids import unique
from .field_search import find_cards

QUEUE_SUSPENDED = -1
QUEUE_NEW, QUEUE_LEARN, QUEUE_REVIEW, QUEUE_DAY_LEARN, QUEUE_PREVIEW = 0, 1, 2, 3, 4
TYPE_NEW, TYPE_RELEARNING = 0, 3

#: areDue: learning steps longer than this many seconds are due only once
#: their time has come (shorter ones are due within Anki's learn-ahead limit)
LONG_STEP_SECS = 20 * 60

#: setSpecificValueOfCard: columns anyone may set, and those that can break
#: scheduling and so need `warning_check`
FREE_COLUMNS = ("due", "factor", "flags")
PROTECTED_COLUMNS = ("did", "ivl", "lapses", "left", "nid", "odid", "odue", "ord",
                     "queue", "reps", "type")
#: columns Anki itself maintains: never set, but like the protected ones,
#: without `warning_check` the answer is `false` (the reference's list of
#: protected keys has them too)
FIXED_COLUMNS = ("id", "mod", "usn")

DUE_DATE = re.compile(r"^\d+(-\d+)?!?$")


# -- shapes (the JSON Schemas of params and results; see schema.py) -------------------


class CardField(TypedDict):
    """One field of a card's note.

    value: the field's content (HTML).
    order: the field's position in its note type (0 is first).
    """

    value: str
    order: int


class _CardInfoRequired(TypedDict):
    cardId: int
    fields: Dict[str, CardField]
    fieldOrder: int
    question: str
    answer: str
    modelName: str
    ord: int
    deckName: str
    css: str
    factor: int
    interval: int
    note: int
    type: int
    queue: int
    due: int
    reps: int
    lapses: int
    left: int
    mod: int
    nextReviews: List[str]
    flags: int


class CardInfo(_CardInfoRequired, total=False):
    """Everything about one card (cardsInfo).

    cardId: the card's id.
    fields: the note's fields by name, each `{"value", "order"}`.
    fieldOrder: the card's template index, as `ord` (the reference's name for it).
    question: the question side as Anki's reviewer renders it, the note type's CSS in a `<style>` element first.
    answer: the answer side, rendered the same way.
    modelName: the note type's name.
    ord: the index of the card's template in its note type (0 is first; for a cloze note, the cloze number minus 1).
    deckName: the full name of the deck the card is in now (a filtered deck's, while it is in one).
    css: the note type's CSS.
    factor: the ease factor in permille (2500 is 250%).
    interval: the current interval in days.
    note: the id of the card's note.
    type: 0 new, 1 learning, 2 review, 3 relearning.
    queue: where the scheduler has it: -3 buried by the user, -2 buried as a sibling, -1 suspended, 0 new, 1 learning, 2 review, 3 learning over a day, 4 preview.
    due: a new card's position in the new queue; a review (or over-a-day learning) card's due day, counted in days since the collection was created; a learning card's due time in seconds since 1970.
    reps: how many times the card was answered.
    lapses: how many times it was answered Again as a review card.
    left: the learning steps still to do (the last three digits; older schedulers add 1000 times the steps due today).
    mod: when the card was last changed (seconds since 1970).
    nextReviews: the intervals the four answer buttons show (Again, Hard, Good, Easy), e.g. `["<1m", "<6m", "<10m", "4d"]`; `[]` when Anki cannot tell.
    flags: the card's flag: 0 none, 1 red, 2 orange, 3 green, 4 blue, 5 pink, 6 turquoise, 7 purple.
    stability: FSRS only: days until recall drops to 90%; `null` while the card has no memory state.
    difficulty: FSRS only: 1 (easiest) to 10 (hardest); `null` while the card has no memory state.
    retrievability: FSRS only: the chance of recalling the card now, 0 to 1; `null` while unknown.
    """

    stability: Optional[float]
    difficulty: Optional[float]
    retrievability: Optional[float]


class NoCard(TypedDict):
    """`{}`: the id given is no card."""


class CardModTime(TypedDict):
    """When a card was last changed.

    cardId: the card's id.
    mod: seconds since 1970.
    """

    cardId: int
    mod: int


class _CardAnswerRequired(TypedDict):
    cardId: int
    ease: Literal[1, 2, 3, 4]


@open_shape
class CardAnswer(_CardAnswerRequired, total=False):
    """One answer of answerCards (a key other than these is refused).

    cardId: the card's id.
    ease: the button: 1 Again, 2 Hard, 3 Good, 4 Easy.
    time: milliseconds spent answering, recorded in the review log (default 0).
    """

    time: int



#: setSpecificValueOfCard's newValues: what it can set (anything else is
#: answered `[[false, reason]]`, not refused as a parameter)
CARD_VALUES = JsonSchema({"type": "array", "items": {"anyOf": [
    {"type": "integer"},
    {"type": "string", "pattern": "^\\s*[-+]?[0-9]+\\s*$",
     "description": "a whole number written as a string"},
]}})

#: setSpecificValueOfCard's result, as the reference answers it
SET_CARD_RESULT = JsonSchema({"anyOf": [
    {"const": False, "description": "nothing was done: keys and newValues differ in length, "
                                    "or a protected column was named without warning_check"},
    {"type": "array", "items": {"const": True}, "minItems": 1, "maxItems": 1,
     "description": "`[true]`: the columns were set"},
    {"type": "array", "minItems": 1, "maxItems": 1, "items": {
        "type": "array", "minItems": 2, "maxItems": 2,
        "items": {"anyOf": [{"const": False}, {"type": "string"}]}},
     "description": "`[[false, reason]]`: nothing was changed, and why"},
]})


class CardActions:
    # -- finding --------------------------------------------------------------
    @action()
    def findCards(self, query: Optional[str] = None) -> List[int]:
        """The ids of the cards an Anki search finds.

        query: an Anki search, as in the Browser (`""` finds every card); without it the result is `[]`.

        Example: {"query": "deck:current"} -> [1494723142483, 1494703460437, 1494703479525]
        """
        if query is None:
            return []
        try:
            return find_cards(self.col, query)
        except SearchError as e:
            raise ActionError(f"findCards: invalid search {query!r}: {e}") from None
        except DBError:  # e.g. SQLite: "LIKE or GLOB pattern too complex"
            shown = query if len(query) <= 80 else query[:80] + "..."
            raise ActionError(f"findCards: Anki cannot run the search {shown!r}: "
                              "it is too long or too complex") from None

    @action()
    def cardsToNotes(self, cards: List[int]) -> List[int]:
        """The ids of the notes the given cards belong to, each note once.

        Cards that do not exist are left out.

        cards: card ids.

        Example: {"cards": [1502098034045, 1502098034048, 1502298033753]} -> [1502098029797, 1502298025183]
        """
        rows = card_rows(self.col, cards)
        return unique(rows[cid].nid for cid in cards if cid in rows)

    # -- reading cards ----------------------------------------------------------
    @action()
    def cardsInfo(self, cards: List[int]) -> List[Union[CardInfo, NoCard]]:
        """Everything about each card: fields, rendered sides, note type, deck and scheduling.

        One object per id, in order; `{}` for an id that is no card.  `question` and `answer` are the card's sides as Anki's reviewer renders them (with the note type's CSS in a `<style>` element); `fieldOrder` and `ord` are the card's template index; `factor` is the ease in permille; `interval` is in days; `type`, `queue`, `due`, `reps`, `lapses`, `left`, `mod` and `flags` are the card's columns; `nextReviews` are the intervals on the four answer buttons.  When the collection uses FSRS, each card also has `stability` (days), `difficulty` (1 to 10) and `retrievability` (0 to 1), `null` for a card with no memory state yet.

        cards: card ids.

        Example: {"cards": [1498938915662]} -> [{"cardId": 1498938915662, "fields": {"Front": {"value": "front content", "order": 0}, "Back": {"value": "back content", "order": 1}}, "fieldOrder": 0, "question": "<style>.card {color: black;}</style>front content", "answer": "<style>.card {color: black;}</style>front content\\n\\n<hr id=answer>\\n\\nback content", "modelName": "Basic", "ord": 0, "deckName": "Default", "css": ".card {color: black;}", "factor": 2500, "interval": 16, "note": 1502298033753, "type": 2, "queue": 2, "due": 1520, "reps": 5, "lapses": 0, "left": 0, "mod": 1718377864, "nextReviews": ["<10m", "19d", "23d", "27d"], "flags": 0}]
        """
        return CardInfoBuilder(self.col).build(cards)

    @action()
    def cardsModTime(self, cards: List[int]) -> List[Union[CardModTime, NoCard]]:
        """When each card was last changed (seconds since 1970).

        One object per id, in order; `{}` for an id that is no card.

        cards: card ids.

        Example: {"cards": [1498938915662]} -> [{"cardId": 1498938915662, "mod": 1629454092}]
        """
        rows = card_rows(self.col, cards)
        return [{"cardId": cid, "mod": rows[cid].mod} if cid in rows else {} for cid in cards]

    @action()
    def getEaseFactors(self, cards: List[int]) -> List[Optional[int]]:
        """The ease factor of each card, in permille (2500 is 250%).

        `null` for an id that is no card.

        cards: card ids.

        Example: {"cards": [1483959291685, 1483959293217]} -> [4100, 3900]
        """
        rows = card_rows(self.col, cards)
        return [rows[cid].factor if cid in rows else None for cid in cards]

    @action()
    def suspended(self, card: int) -> bool:
        """Whether a card is suspended.

        card: a card id.

        An id that is no card is an error: `Card was not found: <id>`.

        Example: {"card": 1483959293217} -> true
        """
        row = card_rows(self.col, [card]).get(card)
        if row is None:
            raise ActionError(card_not_found(card), "not_found")
        return row.queue == QUEUE_SUSPENDED

    @action()
    def areSuspended(self, cards: List[int]) -> List[Optional[bool]]:
        """Whether each card is suspended; `null` for an id that is no card.

        cards: card ids.

        Example: {"cards": [1483959291685, 1483959293217, 1]} -> [false, true, null]
        """
        rows = card_rows(self.col, cards)
        return [rows[cid].queue == QUEUE_SUSPENDED if cid in rows else None for cid in cards]

    @action()
    def areDue(self, cards: List[int]) -> List[bool]:
        """Whether each card is due now.

        New cards are due; review cards are due on their day (by the collection's own day cutoff); learning cards whose current step is over 20 minutes are due once their time has come, shorter steps already within Anki's learn-ahead limit, as the reviewer shows them.  Suspended and buried cards are not due.

        cards: card ids; one that is no card is an error, `Card was not found: <id>` (the first such id).

        Example: {"cards": [1483959291685, 1483959293217]} -> [false, true]
        """
        col = self.col
        rows = required_card_rows(col, cards)
        learning = [cid for cid, row in rows.items() if row.queue in (QUEUE_LEARN, QUEUE_PREVIEW)]
        last_ivl = {cid: log[-1][0] for cid, log in revlog_by_card(col, learning, "ivl").items()}
        today = col.sched.today
        now = time.time()
        learn_ahead = col.get_preferences().scheduling.learn_ahead_secs

        def due(row: Any) -> bool:
            if row.queue == QUEUE_NEW:
                return True
            if row.queue in (QUEUE_REVIEW, QUEUE_DAY_LEARN):
                return row.due <= today
            if row.queue in (QUEUE_LEARN, QUEUE_PREVIEW):
                ivl = last_ivl.get(row.id)
                if ivl is not None and -ivl > LONG_STEP_SECS:
                    return row.due <= now
                return row.due <= now + learn_ahead
            return False

        return [due(rows[cid]) for cid in cards]

    @action()
    def getIntervals(
        self, cards: List[int], complete: bool = False
    ) -> Union[List[int], List[List[int]]]:
        """Each card's latest interval, or with `complete` all its intervals so far.

        Intervals come from the review log: negative numbers are seconds (learning steps), positive ones days.  A new card's latest interval is 0; a card without review history has its current interval.  An id that is no card is an error, `Card was not found: <id>`; with `complete` it has no history: `[]`.

        cards: card ids.
        complete: give every interval of each card's history (oldest first) instead of the latest.

        Example: {"cards": [1502298033753, 1502298036657]} -> [-14400, 3]
        Example: {"cards": [1502298033753, 1502298036657], "complete": true} -> [[-120, -180, -240, -300, -360, -14400], [-120, -180, -240, -300, -360, -14400, 1, 3]]
        """
        rows = card_rows(self.col, cards) if complete else required_card_rows(self.col, cards)
        logs = revlog_by_card(self.col, list(rows), "ivl")

        def intervals(cid: int) -> Any:
            row = rows.get(cid)
            if row is None:
                return []
            history = [entry[0] for entry in logs.get(cid, ())]
            if complete:
                return history
            if row.type == TYPE_NEW:
                return 0
            return history[-1] if history else row.ivl

        return [intervals(cid) for cid in cards]

    # -- changing cards --------------------------------------------------------
    @action(write=True, idempotent=True, emits=Emits("cards.changed", "cards", "suspended"))
    def suspend(self, cards: List[int]) -> bool:
        """Suspend cards; `false` if every one of them was suspended already.

        cards: card ids; one that is no card is an error, `Card was not found: <id>` (the first such id), and nothing is suspended.

        Example: {"cards": [1483959291685, 1483959293217]} -> true
        """
        rows = required_card_rows(self.col, cards)
        todo = [cid for cid, row in rows.items() if row.queue != QUEUE_SUSPENDED]
        if not todo:
            return False
        self.col.sched.suspend_cards(todo)
        return True

    @action(write=True, idempotent=True, emits=Emits("cards.changed", "cards", "unsuspended"))
    def unsuspend(self, cards: List[int]) -> bool:
        """Unsuspend cards; `true` if at least one of them was suspended, else `false`.

        cards: card ids; one that is no card is an error, `Card was not found: <id>` (the first such id), and nothing is unsuspended.

        Example: {"cards": [1483959291685, 1483959293217]} -> true
        """
        rows = required_card_rows(self.col, cards)
        todo = [cid for cid, row in rows.items() if row.queue == QUEUE_SUSPENDED]
        if not todo:
            return False
        self.col.sched.unsuspend_cards(todo)
        return True

    @action(write=True, idempotent=True, emits=Emits("cards.changed", "cards", "edited"))
    def setEaseFactors(self, cards: List[int], easeFactors: List[int]) -> List[bool]:
        """Set the ease factor of each card (permille: 2500 is 250%).

        One boolean per card: `false` for an id that is no card.

        cards: card ids.
        easeFactors: the new ease factors, one per card.

        Example: {"cards": [1483959291685, 1483959293217], "easeFactors": [4100, 3900]} -> [true, true]
        """
        if len(cards) != len(easeFactors):
            raise ActionError("setEaseFactors: 'cards' and 'easeFactors' must have the same length")
        if any(factor < 0 for factor in easeFactors):
            raise ActionError("setEaseFactors: an ease factor cannot be negative")
        col = self.col
        rows = card_rows(col, cards)
        changed: Dict[int, Any] = {}
        for cid, factor in zip(cards, easeFactors):
            if cid in rows:
                card = changed.get(cid) or col.get_card(cid)
                card.factor = factor
                changed[cid] = card
        if changed:
            col.update_cards(list(changed.values()))
        return [cid in rows for cid in cards]

    @action(destructive=True, idempotent=True, emits=Emits("cards.changed", "card", "edited"))
    def setSpecificValueOfCard(
        self,
        card: int,
        keys: List[str],
        newValues: Annotated[List[Any], CARD_VALUES],
        warning_check: bool = False,
    ) -> Annotated[Union[bool, List[Any]], SET_CARD_RESULT]:
        """Set columns of one card directly (see AnkiDroid's database structure wiki for their meaning).

        `due`, `factor` and `flags` may always be set.  `did`, `ivl`, `lapses`, `left`, `nid`, `odid`, `odue`, `ord`, `queue`, `reps` and `type` can corrupt scheduling and are only set with `warning_check: true`; `id`, `mod` and `usn` are Anki's own and never set.  Values may be whole numbers or numeric strings.

        The result, as in the reference: `false` when `keys` and `newValues` differ in length, or when a key is one of the protected ones above (`id`, `mod` and `usn` included) and `warning_check` is not `true`; otherwise `[true]` (one element for the whole call, however many keys), or `[[false, "reason"]]` when nothing was changed, e.g. `[[false, "Card was not found: 1"]]`.

        card: a card id.
        keys: the column names.
        newValues: the new values, one per key.
        warning_check: allow the protected columns.

        Example: {"card": 1483959291685, "keys": ["flags", "odue"], "newValues": ["1", "-100"], "warning_check": true} -> [true]
        Example: {"card": 1483959291685, "keys": ["flags", "odue"], "newValues": ["1", "-100"]} -> false
        """
        if len(keys) != len(newValues):
            return False
        if not warning_check and any(k in PROTECTED_COLUMNS + FIXED_COLUMNS for k in keys):
            return False
        if card not in card_rows(self.col, [card]):
            return [[False, card_not_found(card)]]
        problem = _column_problem(keys)
        if problem:
            return [[False, problem]]
        values = []
        for key, value in zip(keys, newValues):
            number = _whole_number(value)
            if number is None:
                return [[False, f"setSpecificValueOfCard: {key} must be a whole number, got {json.dumps(value)}"]]
            values.append(number)
        target = self.col.get_card(card)
        for key, value in zip(keys, values):
            setattr(target, key, value)
        try:
            self.col.update_card(target)
        except Exception as e:
            return [[False, f"setSpecificValueOfCard: {e}"]]
        return [True]

    # -- scheduling ---------------------------------------------------------------
    @action(destructive=True, idempotent=True, emits=Emits("cards.changed", "cards", "forgotten"))
    def forgetCards(self, cards: List[int]) -> None:
        """Reset cards to new, as Anki's Forget does (keeping reps and lapses; a card's old new-queue position is restored when it had one).

        cards: card ids; ids that are no cards are skipped.

        Example: {"cards": [1498938915662, 1502098034048]} -> null
        """
        ids = list(card_rows(self.col, cards))
        if ids:
            self.col.sched.schedule_cards_as_new(ids, restore_position=True, reset_counts=False)

    @action(destructive=True, emits=Emits("cards.changed", "cards", "rescheduled"))
    def relearnCards(self, cards: List[int]) -> None:
        """Put cards into relearning, due now, with their deck's relearning steps ahead.

        Their interval, ease and memory state stay (answering decides the new interval); suspended or buried cards come back.  New cards have nothing to relearn and stay new.

        cards: card ids; ids that are no cards are skipped.

        Example: {"cards": [1498938915662, 1502098034048]} -> null
        """
        col = self.col
        rows = card_rows(col, cards)
        now = int(time.time())
        steps: Dict[int, int] = {}
        changed = []
        for cid, row in rows.items():
            if row.type == TYPE_NEW:
                continue
            card = col.get_card(cid)
            did = card.odid or card.did
            if did not in steps:
                steps[did] = len(col.decks.config_dict_for_deck_id(did)["lapse"]["delays"])
            card.type = TYPE_RELEARNING
            card.queue = QUEUE_LEARN
            card.due = now
            card.left = steps[did] * 1000 + steps[did]  # steps today, steps left
            changed.append(card)
        if changed:
            col.update_cards(changed)

    @action(write=True, emits=Emits("cards.changed", "answers.cardId", "reviewed"))
    def answerCards(self, answers: List[Annotated[Dict[str, int], CardAnswer]]) -> List[bool]:
        """Answer cards, as if in the reviewer; one boolean per answer, `false` for an id that is no card.

        Anki's scheduler takes each answer (in order; a card may be answered more than once): it writes the review log and reschedules the card.  The whole request is one undo step.

        answers: objects `{"cardId": id, "ease": 1 to 4}` (1 Again, 2 Hard, 3 Good, 4 Easy), optionally with `"time"`: milliseconds spent answering, recorded in the review log (default 0).

        Example: {"answers": [{"cardId": 1498938915662, "ease": 2}, {"cardId": 1502098034048, "ease": 4}]} -> [true, true]
        """
        parsed = [_parse_answer(i, answer) for i, answer in enumerate(answers)]
        col = self.col
        rows = card_rows(col, [cid for cid, _, _ in parsed])
        results = []
        for cid, ease, millis in parsed:
            if cid not in rows:
                results.append(False)
                continue
            compat.answer_card(col, col.get_card(cid), ease, millis)
            results.append(True)
        return results

    @action(write=True, emits=Emits("cards.changed", "cards", "rescheduled"))
    def setDueDate(self, cards: List[int], days: str) -> bool:
        """Make cards review cards due on a given day, as the Browser's Set Due Date does.

        days: `"0"` is today, `"1"` tomorrow; a range `"3-7"` picks a random day in it; a trailing `!` (`"1!"`) also sets the interval to that many days.

        cards: card ids; ids that are no cards are skipped (the result is still `true`).

        Example: {"cards": [1483959291685], "days": "3-7"} -> true
        """
        if not DUE_DATE.match(days):
            raise ActionError(
                f"setDueDate: days must look like \"0\", \"1!\" or \"3-7\", got {days!r}")
        ids = list(card_rows(self.col, cards))
        if ids:
            self.col.sched.set_due_date(ids, days)
        return True


def _column_problem(keys: List[str]) -> Optional[str]:
    for key in keys:
        if key in FIXED_COLUMNS:
            return f"setSpecificValueOfCard: {key} is maintained by Anki and cannot be set"
        if key not in FREE_COLUMNS + PROTECTED_COLUMNS:
            allowed = ", ".join(FREE_COLUMNS + PROTECTED_COLUMNS)
            return f"setSpecificValueOfCard: unknown column {key!r} (settable: {allowed})"
    return None


def _whole_number(value: Any) -> Optional[int]:
    """`value` as an int: a whole number, or a string of one; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _parse_answer(index: int, answer: Dict[str, int]) -> tuple:
    where = f"answerCards: answers[{index}]"
    unknown = set(answer) - {"cardId", "ease", "time"}
    if unknown:
        raise ActionError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    if "cardId" not in answer:
        raise ActionError(f"{where} needs the card id as 'cardId'")
    ease = answer.get("ease")
    if ease not in (1, 2, 3, 4):
        raise ActionError(f"{where}: 'ease' must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)")
    millis = answer.get("time", 0)
    if not 0 <= millis < 2**31:
        raise ActionError(f"{where}: 'time' must be the milliseconds spent answering")
    return answer["cardId"], ease, millis
