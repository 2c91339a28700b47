# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Statistic actions: review history and counts.

Counts follow Anki's own statistics: days end at the collection's day cutoff
(its "next day starts at" hour, in its timezone), and manual rescheduling
entries of the review log (set due date, forget) are not reviews.
"""
from __future__ import annotations

import datetime
from typing import Annotated, Any, Dict, List, TypedDict

from ..util import ActionError, JsonSchema, action
from .card_data import REVLOG_COLUMNS, REVLOG_MANUAL, REVLOG_RESCHEDULED, revlog_by_card
from .sql_ids import chunks, id_list, unique

DAY_SECS = 86400
NOT_MANUAL = f"type not in ({REVLOG_MANUAL}, {REVLOG_RESCHEDULED})"
REVLOG_FIELDS = ", ".join(REVLOG_COLUMNS)
_I32 = (-(2 ** 31), 2 ** 31 - 1)
#: the values Anki can read back (and its Check Database keeps), per column
REVLOG_RANGES = {"id": (1, 2 ** 63 - 1), "cid": (1, 2 ** 63 - 1), "usn": _I32, "ease": (0, 4),
                 "ivl": _I32, "lastIvl": _I32, "factor": (0, 2 ** 31 - 1),
                 "time": (0, 2 ** 31 - 1), "type": (0, 5)}

#: getNumCardsReviewedByDay's result: [date, count] pairs
REVIEWS_BY_DAY = JsonSchema({
    "type": "array",
    "items": {
        "type": "array", "minItems": 2, "maxItems": 2,
        "items": {"anyOf": [{"type": "string", "format": "date"}, {"type": "integer", "minimum": 1}]},
        "description": "`[day, count]`: the day (`YYYY-MM-DD`, the date it starts on) and the "
                       "number of reviews that day",
    },
})
#: what each number of a review-log entry is (cardReviews, getReviewsOfCards)
_REVLOG_MEANINGS = {
    "id": "the review's time, in milliseconds since 1970 (unique in the log)",
    "cid": "the card's id",
    "usn": "the update sequence number, for syncing (-1: not synced yet)",
    "ease": "the button: 1 Again, 2 Hard, 3 Good, 4 Easy; 0 for manual rescheduling",
    "ivl": "the interval after the review: negative in seconds, positive in days",
    "lastIvl": "the interval before the review, as `ivl`",
    "factor": "the ease after the review, in permille",
    "time": "the time taken, in milliseconds",
    "type": "0 learning, 1 review, 2 relearning, 3 filtered, 4 manual, 5 rescheduled",
}
#: cardReviews' result: review-log entries, each the numbers of REVLOG_COLUMNS
REVLOG_ROWS = JsonSchema({
    "type": "array",
    "items": {
        "type": "array", "items": {"type": "integer"},
        "minItems": len(REVLOG_COLUMNS), "maxItems": len(REVLOG_COLUMNS),
        "description": "a review-log entry's numbers, in this order: " + "; ".join(
            f"{column}: {_REVLOG_MEANINGS[column]}" for column in REVLOG_COLUMNS),
    },
})


class ReviewLogEntry(TypedDict):
    id: int
    usn: int
    ease: int
    ivl: int
    lastIvl: int
    factor: int
    time: int
    type: int


ReviewLogEntry.__doc__ = "One review of a card, from Anki's review log.\n\n" + "\n".join(
    f"{key}: {_REVLOG_MEANINGS[key]}." for key in ReviewLogEntry.__annotations__)


class StatsActions:
    @action()
    def getNumCardsReviewedToday(self) -> int:
        """How many reviews were done today (since the collection's day cutoff), as Anki's "Studied today" counts them.

        Example: {} -> 42
        """
        col = self.col
        start_ms = (col.sched.day_cutoff - DAY_SECS) * 1000
        return col.db.scalar(f"select count() from revlog where id > ? and {NOT_MANUAL}", start_ms)

    @action()
    def getNumCardsReviewedByDay(self) -> Annotated[List[List[Any]], REVIEWS_BY_DAY]:
        """The number of reviews on each day with reviews, newest first, as `[date, count]` pairs.

        A day runs from the collection's day cutoff to the next one and is named by the date it starts on, so reviews after midnight but before the cutoff count for the day before, as in Anki's statistics.

        Example: {} -> [["2021-02-28", 124], ["2021-02-27", 261]]
        """
        col = self.col
        next_day = col.sched.day_cutoff
        rows = col.db.all(
            f"select (id / 1000 - ?) / {DAY_SECS} as day, count() from revlog "
            f"where {NOT_MANUAL} group by day order by day desc",
            next_day,
        )
        # Anki's day buckets truncate towards zero, so today is bucket 0 and
        # yesterday -1; name each by its start date, counted in calendar days
        # from the date the next day starts on (robust to DST changes).
        tomorrow = datetime.datetime.fromtimestamp(next_day).date()
        return [
            [(tomorrow + datetime.timedelta(days=day - 1)).isoformat(), count]
            for day, count in rows
        ]

    @action()
    def getCollectionStatsHTML(self, wholeCollection: bool = True) -> str:
        """Anki's statistics report (the old-style one) as an HTML page.

        wholeCollection: report on the whole collection; `false` for the current deck only.

        Example: {"wholeCollection": true} -> "<center> ... </center>"
        """
        stats = self.col.stats()
        stats.wholeCollection = wholeCollection
        return stats.report()

    @action()
    def cardReviews(self, deck: str, startID: int) -> Annotated[List[List[int]], REVLOG_ROWS]:
        """The review-log entries of a deck's cards after a given entry, oldest first.

        Each entry is `[id, cardId, usn, ease, ivl, lastIvl, factor, time, type]`: `id` is the review's time in milliseconds since 1970, `ease` the button (0 for manual rescheduling), `ivl`/`lastIvl` intervals (negative: seconds, positive: days), `factor` the ease in permille, `time` the milliseconds taken and `type` 0 learning, 1 review, 2 relearning, 3 filtered, 4 manual.  Cards count for their home deck (also while in a filtered deck), not for its subdecks.  A deck that does not exist has no reviews.

        deck: the deck's full name.
        startID: only entries with a larger id (0 for all).

        Example: {"deck": "default", "startID": 1594194095740} -> [[1594194095746, 1485369733217, -1, 3, 4, -60, 2500, 6157, 0], [1594201393292, 1485369902086, -1, 1, -60, -60, 0, 4846, 0]]
        """
        col = self.col
        did = col.decks.id_for_name(deck)
        if did is None:
            return []
        return col.db.all(
            f"select {REVLOG_FIELDS} from revlog where id > ? and cid in "
            "(select id from cards where did = ? or odid = ?) order by id",
            startID, did, did,
        )

    @action()
    def getReviewsOfCards(self, cards: List[int]) -> Dict[str, List[ReviewLogEntry]]:
        """Each card's review-log entries, oldest first, keyed by card id.

        Every requested id is a key; a card without reviews (or an id that is no card) has `[]`.  The fields are those of cardReviews.

        cards: card ids.

        Example: {"cards": [1653613948202]} -> {"1653613948202": [{"id": 1653772912146, "usn": 1750, "ease": 1, "ivl": -20, "lastIvl": -20, "factor": 0, "time": 38192, "type": 0}]}
        """
        names = [c for c in REVLOG_COLUMNS if c != "cid"]
        logs = revlog_by_card(self.col, cards, ", ".join(names))
        return {
            str(cid): [dict(zip(names, entry)) for entry in logs.get(cid, ())]
            for cid in unique(cards)
        }

    @action()
    def getLatestReviewID(self, deck: str) -> int:
        """The id (time in milliseconds) of the latest review of a deck's cards; 0 if there is none.

        Cards count for their home deck, as in cardReviews.

        deck: the deck's full name.

        Example: {"deck": "default"} -> 1594194095746
        """
        col = self.col
        did = col.decks.id_for_name(deck)
        if did is None:
            return 0
        latest = col.db.scalar(
            "select max(id) from revlog where cid in "
            "(select id from cards where did = ? or odid = ?)", did, did)
        return latest or 0

    @action(write=True)
    def insertReviews(self, reviews: List[List[int]]) -> None:
        """Add entries to the review log, e.g. reviews done elsewhere.

        Each entry is `[id, cardId, usn, ease, ivl, lastIvl, factor, time, type]`, as cardReviews gives them; `id` (the review's time in milliseconds) must not be in the log yet.  The cards themselves are not rescheduled.  Anki cannot undo this (it has no API for the review log), so it also clears Undo.

        reviews: the entries.

        Example: {"reviews": [[1594194095746, 1485369733217, -1, 3, 4, -60, 2500, 6157, 0]]} -> null
        """
        if not reviews:
            return None
        for i, row in enumerate(reviews):
            if len(row) != len(REVLOG_COLUMNS):
                raise ActionError(
                    f"insertReviews: reviews[{i}] must have {len(REVLOG_COLUMNS)} numbers: "
                    + ", ".join(REVLOG_COLUMNS))
            for column, value in zip(REVLOG_COLUMNS, row):
                low, high = REVLOG_RANGES[column]
                if not low <= value <= high:
                    raise ActionError(f"insertReviews: reviews[{i}]: {column} must be "
                                      f"between {low} and {high}, not {value}")
        ids = [row[0] for row in reviews]
        if len(set(ids)) != len(ids):
            raise ActionError("insertReviews: two reviews have the same id")
        col = self.col
        taken = []
        for part in chunks(ids):
            taken += col.db.list(f"select id from revlog where id in {id_list(part)}")
        if taken:
            raise ActionError(f"insertReviews: the review log already has an entry with id {taken[0]}")
        col.db.executemany(
            f"insert into revlog ({REVLOG_FIELDS}) values ({', '.join('?' * len(REVLOG_COLUMNS))})",
            reviews,
        )
        return None
