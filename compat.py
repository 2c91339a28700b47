# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Anki's API differs between the supported versions (2.1.66 to the
newest), the difference is absorbed here, so action code never branches on
Anki's version.  Keep each shim small and say which versions need it.
This module must not import aqt at module level.
"""
from __future__ import annotations


# -- scheduling ---------------------------------------------------------------

import time as _time
from typing import Any as _Any, List as _List, Optional as _Optional, Tuple as _Tuple


def answer_card(col: _Any, card: _Any, ease: int, millis: int) -> None:
    """Answer `card` with `ease` (1 Again .. 4 Easy) through Anki's scheduler,
    recording `millis` as the time taken.

    The v3 scheduler (the only one from 23.10; optional in 2.1.66) answers in
    the backend, which writes the review log and the undo entry.  A 2.1.66
    collection still on the v2 scheduler answers through its `answerCard`.
    """
    sched = col.sched
    card.timer_started = _time.time() - millis / 1000.0
    build = getattr(sched, "build_answer", None)
    if build is None:
        sched.reset()  # the v2 scheduler answers from its queues
        sched.answerCard(card, ease)
        return
    from anki.scheduler_pb2 import CardAnswer

    rating = (CardAnswer.AGAIN, CardAnswer.HARD, CardAnswer.GOOD, CardAnswer.EASY)[ease - 1]
    states = col._backend.get_scheduling_states(card.id)
    answer = build(card=card, states=states, rating=rating)
    answer.milliseconds_taken = millis
    sched.answer_card(answer)


def next_review_labels(col: _Any, card_id: int) -> _List[str]:
    """The answer buttons' intervals of a card (e.g. ["<1m", "<10m", "1d", "4d"]),
    as Anki's reviewer shows them, without Unicode isolation marks."""
    try:
        states = col._backend.get_scheduling_states(card_id)
        labels = col._backend.describe_next_states(states)
    except Exception:  # e.g. a card the state machine cannot describe
        return []
    return [label.replace("\u2068", "").replace("\u2069", "") for label in labels]


def fsrs_enabled(col: _Any) -> bool:
    """FSRS exists from Anki 23.10; older versions never use it."""
    try:
        return bool(col.get_config("fsrs", False))
    except Exception:
        return False


def fsrs_memory(col: _Any, card_id: int) -> _Optional[_Tuple[float, float, _Optional[float]]]:
    """(stability, difficulty, retrievability) of a card that has an FSRS
    memory state (Anki 23.10+), as Anki's card info shows them; else None."""
    try:
        stats = col.card_stats_data(card_id)
        if not stats.HasField("memory_state"):
            return None
        retrievability = (
            stats.fsrs_retrievability if stats.HasField("fsrs_retrievability") else None
        )
    except Exception:
        return None
    memory = stats.memory_state
    return memory.stability, memory.difficulty, retrievability
