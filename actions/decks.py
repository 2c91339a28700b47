# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deck actions: decks, deck options groups and filtered decks."""
from __future__ import annotations

import copy
from typing import Annotated, Any, Dict, List, Literal, Optional, TypedDict, Union

from anki import decks_pb2
from anki.errors import FilteredDeckError
from anki.utils import ids2str

from .. import compat
from ..util import ActionError, Emits, action, open_shape
from .deck_config import apply_legacy_changes, config_id, deep_merge, is_int

DEFAULT_DECK_ID = 1
DEFAULT_CONFIG_ID = 1


class DeckStats(TypedDict):
    """A deck's due counts for today and its number of cards.

    deck_id: the deck's id.
    name: the deck's full name.
    new_count: new cards to study today, as Anki's deck list shows them (subdecks and daily limits included).
    learn_count: learning cards due today, as Anki's deck list shows them.
    review_count: reviews due today, as Anki's deck list shows them.
    total_in_deck: the number of cards in the deck itself (not counting its subdecks).
    """

    deck_id: int
    name: str
    new_count: int
    learn_count: int
    review_count: int
    total_in_deck: int


class _FilteredDeckSearchRequired(TypedDict):
    search: str


class FilteredDeckSearch(_FilteredDeckSearchRequired, total=False):
    """One filter of a filtered deck (other keys are refused).

    search: the cards to gather, in Anki's search syntax.
    limit: how many cards at most, a positive integer; default 100.
    order: which cards to gather first, Anki's filtered-deck order: 0 oldest seen first, 1 random, 2 increasing intervals, 3 decreasing intervals, 4 most lapses, 5 order added, 6 order due, 7 latest added first, 8 relative overdueness (Anki 23.10+: 8 retrievability ascending, 9 descending, 10 relative overdueness); default 0.
    """

    limit: int
    order: int


# -- options groups: Anki's legacy JSON of its deck options (getDeckConfig,
# saveDeckConfig).  Open shapes: Anki versions and add-ons add keys.

@open_shape
class NewCardOptions(TypedDict, total=False):
    """An options group's settings for new cards (Anki gives every key).

    delays: the learning steps, in minutes.
    ints: the graduating interval and the easy interval, in days (and a third number Anki does not use).
    initialFactor: the starting ease, in permille (2500: 250%).
    order: where new cards are inserted: 0 in random order, 1 in the order added.
    perDay: new cards per day.
    bury: bury new siblings until the next day.
    """

    delays: List[float]
    ints: List[int]
    initialFactor: int
    order: int
    perDay: int
    bury: bool


@open_shape
class ReviewOptions(TypedDict, total=False):
    """An options group's settings for reviews (Anki gives every key).

    perDay: maximum reviews per day.
    ease4: the easy bonus, a multiplier.
    hardFactor: the hard interval, a multiplier.
    ivlFct: the interval modifier, a multiplier.
    maxIvl: the maximum interval, in days.
    bury: bury review siblings until the next day.
    """

    perDay: int
    ease4: float
    hardFactor: float
    ivlFct: float
    maxIvl: int
    bury: bool


@open_shape
class LapseOptions(TypedDict, total=False):
    """An options group's settings for lapses (Anki gives every key).

    delays: the relearning steps, in minutes.
    mult: the new interval after a lapse, as a multiple of the old one.
    minInt: the minimum interval after a lapse, in days.
    leechFails: how many lapses make a card a leech.
    leechAction: what happens to a leech: 0 it is suspended, 1 it is only tagged.
    """

    delays: List[float]
    mult: float
    minInt: int
    leechFails: int
    leechAction: int


#: the keys of an options group, described once for both shapes that have
#: them all (DeckOptionsGroup, DeckOptionsChanges)
_OPTIONS_GROUP_KEYS = """\
id: the options group's id (the Default group's is 1).
name: the group's name.
dyn: false: an options group, not a filtered deck.
mod: when the group was last changed, in seconds since 1970.
usn: its update sequence number, for syncing (-1: changed since the last sync).
maxTaken: answers that take longer count as this many seconds.
autoplay: play audio automatically.
timer: show the answer timer: 1 yes, 0 no.
replayq: replay the question's audio when the answer is shown.
new: the settings for new cards.
rev: the settings for reviews.
lapse: the settings for lapses.
newPerDayMinimum: a setting Anki has but does not use.
newGatherPriority: the order new cards are gathered in: 0 deck, 1 ascending position, 2 descending position, 3 random notes, 4 random cards, 5 deck then random notes (not in Anki 2.1.66).
newSortOrder: the order new cards are shown in: 0 card type then gathered order, 1 gathered order, 2 card type then random, 3 random note then card type, 4 random.
reviewOrder: the order reviews are shown in: 0 due date then random, 1 due date then deck, 2 deck then due date, 3 ascending intervals, 4 descending intervals, 5 ascending ease, 6 descending ease, 8 random; Anki 2.1.66 has 7 relative overdueness, newer Ankis 7 ascending retrievability, 9 order added, 10 reverse order added, 11 descending retrievability, 12 relative overdueness.
newMix: when new cards are shown: 0 mixed with reviews, 1 after reviews, 2 before reviews.
interdayLearningMix: when learning cards with steps of a day or more are shown: 0 mixed with reviews, 1 after reviews, 2 before reviews.
buryInterdayLearning: bury siblings in learning with steps of a day or more until the next day.
desiredRetention: FSRS's desired retention, between 0 and 1 (not in Anki 2.1.66, as the keys below).
fsrsWeights: the FSRS 4 parameters.
fsrsParams5: the FSRS 5 parameters.
fsrsParams6: the FSRS 6 parameters.
sm2Retention: the retention FSRS assumes for reviews before its own (historical retention).
weightSearch: the search whose reviews FSRS optimizes its parameters on; empty: the decks that use this group.
ignoreRevlogsBeforeDate: FSRS ignores reviews before this date (`YYYY-MM-DD`); empty: it ignores none.
easyDaysPercentages: Easy Days: the share of the usual reviews to schedule on each weekday, Monday first (1.0: all).
stopTimerOnAnswer: stop the on-screen timer when the answer is shown.
secondsToShowQuestion: auto advance: seconds to show the question before `questionAction`; 0 off.
secondsToShowAnswer: auto advance: seconds to show the answer before `answerAction`; 0 off.
questionAction: auto advance's action on the question: 0 show the answer, 1 show a reminder.
answerAction: auto advance's action on the answer: 0 bury the card, 1 answer Again, 2 answer Good, 3 answer Hard, 4 show a reminder.
waitForAudio: auto advance waits for the audio to finish.
"""


#: the keys every options group has, besides id, name and dyn
_GROUP_KEYS = {
    "mod": int, "usn": int, "maxTaken": int, "autoplay": bool, "timer": int, "replayq": bool,
    "new": NewCardOptions, "rev": ReviewOptions, "lapse": LapseOptions,
    "newPerDayMinimum": int, "newGatherPriority": int, "newSortOrder": int,
    "reviewOrder": int, "newMix": int, "interdayLearningMix": int, "buryInterdayLearning": bool,
}
#: the keys newer Ankis add (none in 2.1.66)
_NEWER_GROUP_KEYS = {
    "desiredRetention": float, "fsrsWeights": List[float], "fsrsParams5": List[float],
    "fsrsParams6": List[float], "sm2Retention": float, "weightSearch": str,
    "ignoreRevlogsBeforeDate": str, "easyDaysPercentages": List[float],
    "stopTimerOnAnswer": bool, "secondsToShowQuestion": float, "secondsToShowAnswer": float,
    "questionAction": int, "answerAction": int, "waitForAudio": bool,
}
_DeckOptionsGroupRequired = TypedDict(  # type: ignore[misc]
    "_DeckOptionsGroupRequired", {"id": int, "name": str, "dyn": Literal[False], **_GROUP_KEYS})
_NewerGroupKeys = TypedDict("_NewerGroupKeys", _NEWER_GROUP_KEYS, total=False)  # type: ignore[misc]


@open_shape
class DeckOptionsGroup(_DeckOptionsGroupRequired, _NewerGroupKeys):
    pass


DeckOptionsGroup.__doc__ = (
    "An options group (preset) of deck options, as Anki keeps it (its legacy JSON); newer "
    "Ankis and add-ons add keys.\n\n" + _OPTIONS_GROUP_KEYS)


class _DeckOptionsChangesRequired(TypedDict):
    id: Union[int, str]


_ChangeableGroupKeys = TypedDict(  # type: ignore[misc]
    "_ChangeableGroupKeys",
    {"name": str, "dyn": bool, **_GROUP_KEYS, **_NEWER_GROUP_KEYS}, total=False)


@open_shape
class DeckOptionsChanges(_DeckOptionsChangesRequired, _ChangeableGroupKeys):
    pass


DeckOptionsChanges.__doc__ = (
    "An options group to save, as getDeckConfig gives it: `id` (an integer, or a string of "
    "digits) names the group; other keys left out keep their values, `dyn`, `mod` and `usn` "
    "are ignored, and keys of add-ons are kept.\n\n" + _OPTIONS_GROUP_KEYS)


class _FilteredDeckOptionsRequired(TypedDict):
    id: int
    name: str
    dyn: Literal[1]
    terms: List[List[Union[str, int]]]
    resched: bool
    delays: Optional[List[float]]
    previewDelay: int
    desc: str
    mod: int
    usn: int


@open_shape
class FilteredDeckOptions(_FilteredDeckOptionsRequired, total=False):
    """A filtered deck's own settings (its legacy JSON; it also has keys of the deck list's state, such as `collapsed` and `newToday`).

    id: the deck's id.
    name: the deck's full name.
    dyn: 1: a filtered deck.
    terms: its filters, each `[search, limit, order]` as createFilteredDeck's `searchTerms` has them.
    resched: reschedule cards based on the answers given in this deck.
    delays: the old scheduler's custom learning steps, in minutes; null: none.
    previewDelay: the old scheduler's delay, in minutes, before a card answered Again is shown again when rescheduling is off.
    previewAgainSecs: with rescheduling off, seconds before a card answered Again is shown again; 0 returns it to its home deck (not in Anki 2.1.66, as the two keys below).
    previewHardSecs: the same for Hard.
    previewGoodSecs: the same for Good.
    desc: the description shown on its overview screen.
    mod: when the deck was last changed, in seconds since 1970.
    usn: its update sequence number, for syncing (-1: changed since the last sync).
    """

    previewAgainSecs: int
    previewHardSecs: int
    previewGoodSecs: int


class DeckActions:
    # -- looking up ------------------------------------------------------------
    def _deck_id(self, name: str) -> int:
        """The id of the deck `name` (case-insensitive), or a clear error."""
        did = self.col.decks.id_for_name(name)
        if not did:
            raise ActionError(f"deck was not found: {name}", "not_found")
        return did

    def _deck_dict(self, name: str) -> Dict[str, Any]:
        return self.col.decks.get_legacy(self._deck_id(name))

    def _normal_deck(self, name: str, action_name: str) -> int:
        """Get or create the normal deck `name` (and its parents)."""
        if not name.strip():
            raise ActionError(f"{action_name}: the deck name must not be empty")
        did = self.col.decks.id_for_name(name)
        if did:
            if self.col.decks.get_legacy(did)["dyn"]:
                raise ActionError(f"{action_name}: {name} is a filtered deck")
            return did
        try:
            return self.col.decks.add_normal_deck_with_name(name).id
        except FilteredDeckError as e:
            raise ActionError(f"{action_name}: {e}") from None

    # -- decks -------------------------------------------------------------------
    @action()
    def deckNames(self) -> List[str]:
        """The names of all decks, parents before their children.

        Example: {} -> ["Default", "Japanese", "Japanese::JLPT N3"]
        """
        return [d.name for d in self.col.decks.all_names_and_ids()]

    @action()
    def deckNamesAndIds(self) -> Dict[str, int]:
        """Every deck's name and id.

        Example: {} -> {"Default": 1, "Japanese::JLPT N3": 1502298036657}
        """
        return {d.name: d.id for d in self.col.decks.all_names_and_ids()}

    @action()
    def deckNameFromId(self, deckId: int) -> str:
        """The name of the deck with id `deckId`.

        deckId: the deck's id.

        Example: {"deckId": 1} -> "Default"
        """
        name = self.col.decks.name_if_exists(deckId)
        if name is None:
            raise ActionError(f"deck was not found: {deckId}", "not_found")
        return name

    @action()
    def getDecks(self, cards: List[int]) -> Dict[str, List[int]]:
        """Group cards by the deck they are in now.

        cards: card ids; an id that is no card is listed under the Default deck, as the reference does.

        A card in a filtered deck is listed under the filtered deck.

        Example: {"cards": [1502298036657, 1502298033753, 1502032366472]} -> {"Default": [1502032366472], "Japanese::JLPT N3": [1502298036657, 1502298033753]}
        """
        if not cards:
            return {}
        rows = dict(self.col.db.all(f"select id, did from cards where id in {ids2str(cards)}"))
        names = {d.id: d.name for d in self.col.decks.all_names_and_ids()}
        result: Dict[str, List[int]] = {}
        for cid in dict.fromkeys(cards):  # each card once, in the order given
            did = rows.get(cid, DEFAULT_DECK_ID)  # the reference's decks.get(None): Default
            result.setdefault(names.get(did, str(did)), []).append(cid)
        return result

    @action(write=True, idempotent=True, emits=Emits("decks.changed", "result"))
    def createDeck(self, deck: str) -> int:
        """Create a deck (and its missing parents); an existing deck is kept as is.

        deck: the full name, `::` between a parent and its child.

        Returns the deck's id (the existing one when the deck was there).

        Example: {"deck": "Japanese::Tokyo"} -> 1519323742721
        """
        if not deck.strip():
            raise ActionError("createDeck: the deck name must not be empty")
        did = self.col.decks.id_for_name(deck)
        if did:
            return did
        try:
            return self.col.decks.add_normal_deck_with_name(deck).id
        except FilteredDeckError as e:
            raise ActionError(f"createDeck: {e}") from None

    @action(write=True, idempotent=True, emits=Emits("cards.changed", "cards", "moved"))
    def changeDeck(self, cards: List[int], deck: str) -> None:
        """Move cards to a deck, creating the deck if it does not exist yet.

        cards: card ids; ids that are no cards are skipped (the deck is still created).
        deck: the target deck's full name; it cannot be a filtered deck.

        Cards that are in a filtered deck leave it first (as Anki's Change
        Deck does).

        Example: {"cards": [1502098034045, 1502098034048, 1502298033753], "deck": "Japanese::JLPT N3"} -> null
        """
        did = self._normal_deck(deck, "changeDeck")
        found = self.col.db.list(f"select id from cards where id in {ids2str(cards)}") if cards else []
        if found:
            self.col.set_deck(found, did)
        return None

    @action(destructive=True, idempotent=True, emits=Emits("decks.changed", "decks"))
    def deleteDecks(self, decks: List[str], cardsToo: bool = False) -> None:
        """Delete decks and their subdecks.

        decks: full deck names; a name that is no deck is an error (nothing is deleted).
        cardsToo: also delete the cards in them (and notes left without cards).

        As the v6 reference says, with `cardsToo` false the cards are kept and
        moved to the Default deck (later AnkiConnect releases refuse instead;
        this one does what the reference documents).  Cards of a deleted
        filtered deck go back to their home decks.  The Default deck itself
        stays: with `cardsToo` its cards are deleted, otherwise only its
        subdecks go.

        Example: {"decks": ["Japanese::JLPT N5", "Easy Spanish"], "cardsToo": true} -> null
        """
        dids = [self._deck_id(name) for name in decks]
        if not dids:
            return None
        if cardsToo:
            self.col.decks.remove(dids)
            return None
        doomed = set()
        for did in dids:
            doomed.update(self.col.decks.deck_and_child_ids(did))
        doomed.discard(DEFAULT_DECK_ID)
        if not doomed:
            return None
        # cards whose home deck goes away move to Default (leaving any
        # filtered deck they are in); a deleted filtered deck's own cards
        # return home when Anki removes it
        where = ids2str(doomed)
        homeless = self.col.db.list(
            f"select id from cards where (case when odid then odid else did end) in {where}"
        )
        if homeless:
            self.col.set_deck(homeless, DEFAULT_DECK_ID)
        self.col.decks.remove(sorted(doomed))
        return None

    @action()
    def getDeckStats(self, decks: List[str]) -> Dict[str, DeckStats]:
        """Today's due counts and card totals of decks, keyed by deck id (a string).

        decks: full deck names; a name that is no deck is an error (none is created).

        `new_count`, `learn_count` and `review_count` are what Anki's deck
        list shows (subdecks and daily limits included); `total_in_deck`
        counts the cards in the deck itself.

        Example: {"decks": ["Japanese::JLPT N5", "Easy Spanish"]} -> {"1651445861967": {"deck_id": 1651445861967, "name": "Japanese::JLPT N5", "new_count": 20, "learn_count": 0, "review_count": 0, "total_in_deck": 1506}, "1651445861960": {"deck_id": 1651445861960, "name": "Easy Spanish", "new_count": 26, "learn_count": 10, "review_count": 5, "total_in_deck": 4}}
        """
        wanted = {self._deck_id(name) for name in decks}
        nodes: Dict[int, Any] = {}
        stack = [self.col.sched.deck_due_tree()]
        while stack:
            node = stack.pop()
            if node.deck_id in wanted:
                nodes[node.deck_id] = node
            stack.extend(node.children)
        names = {d.id: d.name for d in self.col.decks.all_names_and_ids()}
        result: Dict[str, DeckStats] = {}
        for did in sorted(wanted, key=lambda d: names[d].lower()):
            node = nodes.get(did)  # Anki leaves an empty Default deck out
            result[str(did)] = {
                "deck_id": did,
                "name": names[did],
                "new_count": node.new_count if node else 0,
                "learn_count": node.learn_count if node else 0,
                "review_count": node.review_count if node else 0,
                "total_in_deck": node.total_in_deck if node else 0,
            }
        return result

    @action()
    def getDeckDescription(self, deck: str) -> str:
        """The description shown on the deck's overview screen (`""` if none).

        deck: the deck's full name.

        Example: {"deck": "Default"} -> "Cards I add from the browser"
        """
        return self._deck_dict(deck).get("desc", "") or ""

    @action(write=True, idempotent=True)
    def setDeckDescription(self, deck: str, description: str) -> bool:
        """Set the description shown on the deck's overview screen.

        deck: the deck's full name.
        description: the new description (HTML allowed).

        Example: {"deck": "Default", "description": "Cards I add from the browser"} -> true
        """
        info = self._deck_dict(deck)
        info["desc"] = description
        self.col.decks.update_dict(info)
        return True

    # -- filtered decks ----------------------------------------------------------
    @action(write=True)
    def createFilteredDeck(
        self, name: str, searchTerms: List[Annotated[Dict[str, Any], FilteredDeckSearch]],
        reschedule: bool = True,
    ) -> int:
        """Create a filtered deck and build it at once; returns its id.

        name: the new deck's full name (no deck may have it yet).
        searchTerms: one or two filters `{"search": str, "limit": int, "order": int}`; `limit` defaults to 100, `order` to 0.  `order` is Anki's filtered-deck order: 0 oldest seen first, 1 random, 2 increasing intervals, 3 decreasing intervals, 4 most lapses, 5 order added, 6 order due, 7 latest added first, 8 relative overdueness (Anki 23.10+: 8 retrievability ascending, 9 descending, 10 relative overdueness).
        reschedule: reschedule cards based on the answers given in this deck.

        Fails, creating nothing, when the searches match no cards.

        Example: {"name": "Hard ones", "searchTerms": [{"search": "deck:Japanese prop:ease<2", "limit": 50, "order": 4}]} -> 1651445861999
        """
        if not name.strip():
            raise ActionError("createFilteredDeck: the deck name must not be empty")
        if self.col.decks.id_for_name(name):
            raise ActionError(f"createFilteredDeck: a deck named {name} already exists")
        if not 1 <= len(searchTerms) <= 2:
            raise ActionError("createFilteredDeck: searchTerms must hold one or two filters")
        orders = set(decks_pb2.Deck.Filtered.SearchTerm.Order.values())
        deck = self.col.sched.get_or_create_filtered_deck(0)
        del deck.config.search_terms[:]
        for i, term in enumerate(searchTerms):
            where = f"createFilteredDeck: searchTerms[{i}]"
            unknown = set(term) - {"search", "limit", "order"}
            if unknown:
                raise ActionError(f"{where} has an unknown key: {sorted(unknown)[0]}")
            search, limit, order = term.get("search"), term.get("limit", 100), term.get("order", 0)
            if not isinstance(search, str):
                raise ActionError(f"{where}.search must be a string")
            if not is_int(limit) or limit < 1:
                raise ActionError(f"{where}.limit must be a positive integer")
            if not is_int(order) or order not in orders:
                raise ActionError(f"{where}.order must be one of {sorted(orders)}")
            deck.config.search_terms.add(search=search, limit=int(limit), order=int(order))
        deck.name = name
        deck.config.reschedule = reschedule
        try:
            return self.col.sched.add_or_update_filtered_deck(deck).id
        except FilteredDeckError as e:
            raise ActionError(f"createFilteredDeck: {e}") from None

    # -- options groups ----------------------------------------------------------
    @action()
    def getDeckConfig(
        self, deck: str
    ) -> Union[DeckOptionsGroup, FilteredDeckOptions, Literal[False]]:
        """The options group (preset) of a deck; `false` if there is no such deck.

        deck: the deck's full name.

        The group is Anki's own JSON of it (`"dyn": false`), with every key
        Anki has (newer versions have more) and any an add-on saved.  For a
        filtered deck, its own settings are returned instead (`"dyn": 1`).

        Example: {"deck": "Default"} -> {"id": 1, "name": "Default", "dyn": false, "maxTaken": 60, "autoplay": true, "timer": 0, "replayq": true, "usn": -1, "mod": 1502970872, "new": {"bury": true, "order": 1, "initialFactor": 2500, "perDay": 20, "delays": [1, 10], "ints": [1, 4, 7]}, "rev": {"bury": true, "ivlFct": 1, "ease4": 1.3, "maxIvl": 36500, "perDay": 100, "hardFactor": 1.2}, "lapse": {"leechFails": 8, "delays": [10], "minInt": 1, "leechAction": 0, "mult": 0}, "newPerDayMinimum": 0, "newGatherPriority": 0, "newSortOrder": 0, "reviewOrder": 0, "newMix": 0, "interdayLearningMix": 0, "buryInterdayLearning": false}
        """
        did = self.col.decks.id_for_name(deck)
        if not did:
            return False
        return self.col.decks.config_dict_for_deck_id(did)

    @action(write=True, idempotent=True)
    def saveDeckConfig(self, config: Annotated[Dict[str, Any], DeckOptionsChanges]) -> bool:
        """Save an options group (as getDeckConfig gives it); `false` if its `id` is no group.

        config: the group, with its `id`; keys left out keep their values.

        Saved as Anki's deck options screen saves (learning cards follow
        changed steps, a changed new card order re-sorts) and undoable.  A
        change to a key that screen has no setting for (an add-on's own key)
        is saved the legacy way, which Anki cannot undo.

        Example: {"config": {"id": 1, "name": "Default", "new": {"perDay": 30}, "rev": {"perDay": 300}}} -> true
        """
        cid = config_id(config.get("id"), "saveDeckConfig: config.id")
        protos = compat.deck_config_protos(self.col)
        if cid not in protos:
            return False
        current = self.col.decks.get_config(cid)
        proto = copy.deepcopy(protos[cid])
        if apply_legacy_changes(proto, current, config):
            target, configs = self._config_target(cid, protos)
            compat.update_deck_configs(self.col, target, [proto] + configs)
        else:
            # a key Anki's options screen has no field for: save the legacy
            # way (Anki cannot undo that)
            merged = deep_merge(current, config)
            merged["id"] = cid
            try:
                self.col.decks.update_config(merged)
            except Exception as e:  # Anki refuses a value of the wrong type
                raise ActionError(f"saveDeckConfig: Anki refused the options: {e}") from None
        return True

    @action(write=True, idempotent=True)
    def setDeckConfigId(self, decks: List[str], configId: Union[int, str]) -> bool:
        """Give decks the options group `configId`.

        decks: full deck names (normal decks).
        configId: the group's id.

        `false` (and nothing changes) if the group or any of the decks does not exist.

        Example: {"decks": ["Default"], "configId": 1} -> true
        """
        cid = config_id(configId, "setDeckConfigId: parameter 'configId'")
        if cid not in {c["id"] for c in self.col.decks.all_config()}:
            return False  # (get_config answers the Default group for unknown ids)
        infos = []
        for name in decks:
            did = self.col.decks.id_for_name(name)
            if not did:
                return False
            info = self.col.decks.get_legacy(did)
            if info["dyn"]:
                raise ActionError(f"setDeckConfigId: {name} is a filtered deck, which has no options group")
            infos.append(info)
        for info in infos:
            if info["conf"] != cid:
                info["conf"] = cid
                self.col.decks.update_dict(info)
        return True

    @action(write=True)
    def cloneDeckConfigId(self, name: str, cloneFrom: Union[int, str] = DEFAULT_CONFIG_ID) -> Union[int, bool]:
        """Create an options group copied from another; returns the new group's id.

        name: the new group's name.
        cloneFrom: the id of the group to copy (default: the Default group, 1).

        `false` if there is no group `cloneFrom`.

        Example: {"name": "Copy of Default", "cloneFrom": 1} -> 1502972374573
        """
        cid = config_id(cloneFrom, "cloneDeckConfigId: parameter 'cloneFrom'")
        protos = compat.deck_config_protos(self.col)
        if cid not in protos:
            return False
        clone = copy.deepcopy(protos[cid])
        clone.id = 0
        clone.name = name
        target, configs = self._config_target(None, protos)
        compat.update_deck_configs(self.col, target, [clone] + configs)
        added = set(compat.deck_config_protos(self.col)) - set(protos)
        return added.pop()

    @action(destructive=True)
    def removeDeckConfigId(self, configId: Union[int, str]) -> bool:
        """Remove an options group; decks that used it get the Default group.

        configId: the group's id.

        `false` for the Default group (id 1, which cannot be removed) or a
        group that does not exist.  As in Anki, removing a group makes the
        next sync a full one.

        Example: {"configId": 1502972374573} -> true
        """
        cid = config_id(configId, "removeDeckConfigId: parameter 'configId'")
        protos = compat.deck_config_protos(self.col)
        if cid == DEFAULT_CONFIG_ID or cid not in protos:
            return False
        using = self._decks_by_config()
        # the target deck is given the Default group, and so is every deck of
        # the removed group: pick one that has it already or loses its own
        target = (using.get(DEFAULT_CONFIG_ID) or using.get(cid) or [None])[0]
        if target is None:
            target, configs = self._config_target(None, protos)
        else:
            configs = [protos[DEFAULT_CONFIG_ID]]
        compat.update_deck_configs(self.col, target, configs, removed_ids=[cid])
        return True

    def _decks_by_config(self) -> Dict[int, List[int]]:
        using: Dict[int, List[int]] = {}
        for info in self.col.decks.all():
            if not info["dyn"]:
                using.setdefault(int(info["conf"]), []).append(info["id"])
        return using

    def _config_target(self, cid: Any, protos: Dict[int, Any]):
        """A normal deck for update_deck_configs, and the configs to send
        after the one being saved (the deck gets the last), so that the
        deck keeps its own group."""
        using = self._decks_by_config()
        if cid is not None and using.get(cid):
            return using[cid][0], []
        info = self.col.decks.get_legacy(DEFAULT_DECK_ID)
        own = int(info["conf"])
        if own not in protos:
            own = DEFAULT_CONFIG_ID
        return DEFAULT_DECK_ID, ([] if own == cid else [protos[own]])
