# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graphical actions: the deck list, a deck's overview and the reviewer."""
from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Dict, List, Optional, TypedDict

from ..compat import reviewer_button_labels
from ..util import action, wait_for
from .gui_util import resolve
from .note_reader import NoteFieldValue


class CurrentCard(TypedDict):
    """The card Anki's reviewer shows.

    cardId: the card's id.
    fields: field name -> its content and position, for every field of its note.
    fieldOrder: the card's template number (its `ord`, from 0).
    question: the question side, rendered HTML (with the note type's styling).
    answer: the answer side, rendered HTML (with the note type's styling).
    buttons: the eases its answer buttons offer (1 Again, 2 Hard, 3 Good, 4 Easy).
    nextReviews: for each of `buttons`, the next interval that button shows (e.g. `<10m`, `4d`).
    modelName: its note type.
    deckName: its deck.
    css: the note type's styling.
    template: the name of its card template.
    """

    cardId: int
    fields: Dict[str, NoteFieldValue]
    fieldOrder: int
    question: str
    answer: str
    buttons: List[int]
    nextReviews: List[str]
    modelName: str
    deckName: str
    css: str
    template: str


class ReviewGui:
    def _active_reviewer(self, action_name: str) -> Any:
        """Anki's reviewer while it shows a card, else None."""
        mw = self.window(action_name)
        reviewer = mw.reviewer
        if mw.state == "review" and reviewer.card is not None:
            return reviewer
        return None

    @action(gui=True)
    def guiReviewActive(self) -> bool:
        """Whether Anki's reviewer is showing a card now.

        Example: {} -> true
        """
        return self._active_reviewer("guiReviewActive") is not None

    @action(gui=True)
    def guiCurrentCard(self) -> Optional[CurrentCard]:
        """The card the reviewer shows now; `null` when Anki is not reviewing.

        `question` and `answer` are the rendered HTML (with the note type's
        styling), `buttons` the eases the answer buttons offer and
        `nextReviews` the interval each of them shows.

        Example: {} -> {"cardId": 1498938915662, "fields": {"Front": {"value": "front content", "order": 0}, "Back": {"value": "back content", "order": 1}}, "fieldOrder": 0, "question": "<style>.card {}</style>front content", "answer": "<style>.card {}</style>front content<hr id=answer>back content", "buttons": [1, 2, 3, 4], "nextReviews": ["<1m", "<6m", "<10m", "4d"], "modelName": "Basic", "deckName": "Default", "css": ".card {}", "template": "Card 1"}
        """
        reviewer = self._active_reviewer("guiCurrentCard")
        if reviewer is None:
            return None
        col = self.col
        card = reviewer.card
        note = card.note()
        model = card.note_type()
        fields = {
            f["name"]: {"value": note.fields[f["ord"]], "order": f["ord"]}
            for f in model["flds"]
        }
        buttons = [int(ease) for ease, _ in reviewer._answerButtonList()]
        return {
            "cardId": card.id,
            "fields": fields,
            "fieldOrder": card.ord,
            "question": card.question(),
            "answer": card.answer(),
            "buttons": buttons,
            "nextReviews": reviewer_button_labels(col, reviewer, buttons),
            "modelName": model["name"],
            "deckName": col.decks.name(card.did),
            "css": model["css"],
            "template": card.template()["name"],
        }

    @action(gui=True)
    def guiStartCardTimer(self) -> bool:
        """Restart the answer timer of the reviewer's card; `false` when Anki is not reviewing.

        The time a review takes is counted from here, so a client that shows
        the card itself can start the clock when it does.

        Example: {} -> true
        """
        reviewer = self._active_reviewer("guiStartCardTimer")
        if reviewer is None:
            return False
        reviewer.card.start_timer()
        return True

    @action(gui=True)
    def guiShowQuestion(self) -> bool:
        """Show the question side of the reviewer's card; `false` when Anki is not reviewing.

        Example: {} -> true
        """
        reviewer = self._active_reviewer("guiShowQuestion")
        if reviewer is None:
            return False
        reviewer._showQuestion()
        return True

    @action(gui=True)
    def guiShowAnswer(self) -> bool:
        """Show the answer side of the reviewer's card; `false` when Anki is not reviewing.

        Example: {} -> true
        """
        reviewer = self._active_reviewer("guiShowAnswer")
        if reviewer is None:
            return False
        reviewer._showAnswer()
        return reviewer.state == "answer"

    @action(gui=True)
    def guiAnswerCard(self, ease: int) -> bool:
        """Answer the reviewer's card with `ease`, as its answer button does; `false` if that cannot be done now.

        The answer side must be showing (guiShowAnswer) and `ease` must be
        one of the card's buttons (1 Again, 2 Hard, 3 Good, 4 Easy).  The
        reply comes once Anki has recorded the answer and moved on to the
        next card (or, with none left, to the deck's overview).

        ease: 1 to 4.

        Example: {"ease": 3} -> true
        """
        reviewer = self._active_reviewer("guiAnswerCard")
        if reviewer is None or reviewer.state != "answer":
            return False
        if ease not in [e for e, _ in reviewer._answerButtonList()]:
            return False
        from aqt import gui_hooks

        mw = reviewer.mw
        done: Future = Future()
        fired = []

        def answered(*_: Any) -> None:
            fired.append(True)
            self.host.answering = None
            gui_hooks.reviewer_did_answer_card.remove(answered)
            # resolved once Anki has also shown what comes next
            mw.taskman.run_on_main(lambda: resolve(done, True))

        gui_hooks.reviewer_did_answer_card.append(answered)
        self.host.answering = (reviewer.card.id, "guiAnswerCard")
        reviewer._answerCard(ease)
        if not fired and reviewer.state != "transition":
            # Anki (or another add-on) declined to answer
            gui_hooks.reviewer_did_answer_card.remove(answered)
            self.host.answering = None
            return False
        return wait_for(done, "guiAnswerCard")

    @action(gui=True)
    def guiPlayAudio(self) -> bool:
        """Replay the audio of the side the reviewer shows, as the R key does; `false` when Anki is not reviewing.

        Example: {} -> true
        """
        reviewer = self._active_reviewer("guiPlayAudio")
        if reviewer is None:
            return False
        reviewer.replayAudio()
        return True

    @action(gui=True)
    def guiDeckBrowser(self) -> None:
        """Show Anki's deck list.

        Example: {} -> null
        """
        self.window("guiDeckBrowser").moveToState("deckBrowser")

    @action(gui=True)
    def guiDeckOverview(self, name: str) -> bool:
        """Show the overview of deck `name` (its counts and Study Now); `false` if there is no such deck.

        name: the deck's full name.

        Example: {"name": "Default"} -> true
        """
        return self._show_overview("guiDeckOverview", name)

    @action(gui=True)
    def guiDeckReview(self, name: str) -> bool:
        """Start reviewing deck `name`; `false` if there is no such deck or nothing in it is due.

        With nothing due, Anki shows the deck's overview (its congratulations
        screen) instead.

        name: the deck's full name.

        Example: {"name": "Default"} -> true
        """
        if not self._show_overview("guiDeckReview", name):
            return False
        mw = self.window("guiDeckReview")
        mw.moveToState("review")
        return self._active_reviewer("guiDeckReview") is not None

    def _show_overview(self, action_name: str, name: str) -> bool:
        mw = self.window(action_name)
        col = self.col
        deck_id = col.decks.id_for_name(name)
        if deck_id is None:
            return False
        col.decks.select(deck_id)
        mw.moveToState("overview")
        return True
