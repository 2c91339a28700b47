"""Card actions against real Anki: state checked through other actions and
through Anki's own objects (its scheduler, undo, review log)."""
import time

import pytest

from harness import ApiError


def add_cards(anki, count=1, model="Basic", deck=1, prefix="front"):
    """Add `count` notes of `model` to `deck` in Anki; returns their card ids."""
    return anki.driver(f"""
m = mw.col.models.by_name({model!r})
result = []
for i in range({count}):
    n = mw.col.new_note(m)
    n[m['flds'][0]['name']] = {prefix!r} + str(i)
    n[m['flds'][1]['name']] = 'back <b>' + str(i) + '</b>'
    mw.col.add_note(n, {deck})
    result += [c.id for c in n.cards()]
""")


def anki_answer(anki, cid, ease):
    """Answer a card through Anki's own scheduler, as its reviewer does."""
    anki.driver(f"c = mw.col.get_card({cid}); c.start_timer(); "
                f"mw.col.sched.answerCard(c, {ease}); result = True")


def card(anki, cid):
    """A card's columns as Anki sees them."""
    return anki.driver(f"""
c = mw.col.get_card({cid})
result = dict(type=c.type, queue=c.queue, due=c.due, ivl=c.ivl, factor=c.factor,
              reps=c.reps, lapses=c.lapses, left=c.left, flags=c.flags, mod=c.mod, odue=c.odue)
""")


def undo_name(anki):
    return anki.driver("result = mw.col.undo_status().undo")


def undo(anki):
    anki.driver("mw.col.undo(); result = True")


def error_of(api, action, **params):
    """The whole error text of a request that must fail."""
    reply = api.request(action, **params)
    assert reply["result"] is None and reply["error"], reply
    return reply["error"]


@pytest.fixture
def deck_options(anki):
    """Change the Default options group for a test; restored afterwards."""
    saved = anki.driver("import json; result = json.dumps(mw.col.decks.get_config(1))")

    def change(code):
        anki.driver(f"conf = mw.col.decks.get_config(1)\n{code}\nmw.col.decks.save(conf)\nresult = True")

    yield change
    anki.driver(f"import json; mw.col.decks.save(json.loads({saved!r})); result = True")


# -- findCards / cardsToNotes -----------------------------------------------------


def test_find_cards(api, anki):
    ids = add_cards(anki, 2, model="Basic (and reversed card)")
    assert api.call("findCards") == []
    assert sorted(api.call("findCards", query="")) == sorted(ids)
    assert sorted(api.call("findCards", query="deck:current")) == sorted(ids)
    assert sorted(api.call("findCards", query="front0")) == sorted(ids[:2])
    assert api.call("findCards", query="card:2 front1") == [ids[3]]
    assert api.call("findCards", query="deck:nothing-here") == []
    with pytest.raises(ApiError, match="findCards"):
        api.call("findCards", query="prop:ivl>")


def test_cards_to_notes(api, anki):
    ids = add_cards(anki, 2, model="Basic (and reversed card)")
    nids = anki.driver(f"result = [mw.col.get_card(c).nid for c in {ids}]")
    assert api.call("cardsToNotes", cards=[ids[3], ids[0], ids[1], 1]) == [nids[3], nids[0]]
    assert api.call("cardsToNotes", cards=[]) == []


# -- cardsInfo -------------------------------------------------------------------------


def test_cards_info_documented_fields(api, anki):
    ids = add_cards(anki, 1, model="Basic (and reversed card)")
    deck = anki.driver("result = mw.col.decks.id('Lang::Words')")
    anki.driver(f"mw.col.set_deck([{ids[1]}], {deck}); result = True")
    info = api.call("cardsInfo", cards=[ids[0], 123, ids[1]])
    assert info[1] == {}
    first, second = info[0], info[2]
    expected_keys = {"cardId", "fields", "fieldOrder", "question", "answer", "modelName", "ord",
                     "deckName", "css", "factor", "interval", "note", "type", "queue", "due",
                     "reps", "lapses", "left", "mod", "nextReviews", "flags"}
    assert set(first) == expected_keys
    assert first["cardId"] == ids[0]
    assert first["fields"] == {"Front": {"value": "front0", "order": 0},
                               "Back": {"value": "back <b>0</b>", "order": 1}}
    assert (first["ord"], first["fieldOrder"], second["ord"], second["fieldOrder"]) == (0, 0, 1, 1)
    assert first["modelName"] == "Basic (and reversed card)"
    assert (first["deckName"], second["deckName"]) == ("Default", "Lang::Words")
    # the sides exactly as Anki renders them, CSS included
    sides = anki.driver(f"c = mw.col.get_card({ids[1]}); result = [c.question(), c.answer(), "
                        "c.note_type()['css'], c.nid]")
    assert [second["question"], second["answer"], second["css"], second["note"]] == sides
    assert second["question"].startswith("<style>") and second["question"].endswith("back <b>0</b>")
    assert "front0" in second["answer"]
    assert (first["type"], first["queue"], first["reps"], first["interval"]) == (0, 0, 0, 0)
    assert first["due"] == card(anki, ids[0])["due"]  # its position in the new queue
    assert len(first["nextReviews"]) == 4 and all(isinstance(s, str) for s in first["nextReviews"])
    assert first["flags"] == 0 and first["note"] == second["note"]


def test_cards_info_follows_scheduling(api, anki):
    [cid] = add_cards(anki)
    anki_answer(anki, cid, 4)  # Easy: straight to review
    anki.driver(f"mw.col.set_user_flag_for_cards(3, [{cid}]); result = True")
    [info] = api.call("cardsInfo", cards=[cid])
    anki_card = card(anki, cid)
    assert info["type"] == info["queue"] == 2
    assert (info["interval"], info["due"], info["factor"], info["reps"], info["lapses"],
            info["left"], info["mod"]) == (anki_card["ivl"], anki_card["due"], anki_card["factor"],
                                           1, 0, anki_card["left"], anki_card["mod"])
    assert info["interval"] >= 1 and info["factor"] == 2500
    assert info["flags"] == 3
    labels = anki.driver(f"""
from anki.lang import without_unicode_isolation
st = mw.col._backend.get_scheduling_states({cid})
result = [without_unicode_isolation(s) for s in mw.col._backend.describe_next_states(st)]
""")
    assert info["nextReviews"] == labels


def test_cards_info_fsrs_memory_state(api, anki):
    if not anki.driver("import anki.stats_pb2 as s\nresult = 'memory_state' in s.CardStatsResponse.DESCRIPTOR.fields_by_name"):
        pytest.skip("this Anki has no FSRS (before 23.10)")
    [cid, other] = add_cards(anki, 2)
    anki.driver("mw.col.set_config('fsrs', True); result = True")
    try:
        anki_answer(anki, cid, 3)
        anki_answer(anki, cid, 3)
        [info, new] = api.call("cardsInfo", cards=[cid, other])
        expected = anki.driver(f"""
s = mw.col.card_stats_data({cid})
result = [s.memory_state.stability, s.memory_state.difficulty, s.fsrs_retrievability]
""")
        assert [info["stability"], info["difficulty"]] == expected[:2]
        # (retrievability falls as time passes: read a moment later, it may be a hair lower)
        assert info["retrievability"] == pytest.approx(expected[2], abs=1e-4)
        assert info["stability"] > 0 and 1 <= info["difficulty"] <= 10
        assert 0 < info["retrievability"] <= 1
        assert (new["stability"], new["difficulty"], new["retrievability"]) == (None, None, None)
    finally:
        anki.driver("mw.col.set_config('fsrs', False); result = True")
    [plain] = api.call("cardsInfo", cards=[cid])
    assert "stability" not in plain


def test_cards_mod_time(api, anki):
    [cid] = add_cards(anki)
    [entry, missing] = api.call("cardsModTime", cards=[cid, 5])
    assert entry == {"cardId": cid, "mod": card(anki, cid)["mod"]} and missing == {}
    anki.driver(f"mw.col.db.execute('update cards set mod = 1 where id = ?', {cid}); result = True")
    assert api.call("cardsModTime", cards=[cid]) == [{"cardId": cid, "mod": 1}]


# -- suspending ----------------------------------------------------------------------


def test_suspend_and_unsuspend_documented_booleans(api, anki):
    a, b = add_cards(anki, 2)
    assert api.call("areSuspended", cards=[a, b, 9]) == [False, False, None]
    assert api.call("suspend", cards=[a]) is True
    assert api.call("suspended", card=a) is True and api.call("suspended", card=b) is False
    assert api.call("findCards", query="is:suspended") == [a]
    assert undo_name(anki) == "AnkiConnect: suspend"
    assert api.call("suspend", cards=[a, b]) is True  # b was not suspended yet
    assert api.call("suspend", cards=[a, b]) is False  # all already suspended
    assert api.call("areSuspended", cards=[a, b]) == [True, True]
    assert api.call("unsuspend", cards=[a]) is True
    assert api.call("unsuspend", cards=[a]) is False  # not suspended before: false, not null
    assert api.call("areSuspended", cards=[a, b]) == [False, True]
    assert card(anki, a)["queue"] == 0


def test_unknown_cards_are_named_in_the_references_words(api, anki):
    """The reference's own test: suspend with cards [-123] fails with
    "Card was not found"; every action that refuses an unknown card says it
    that way, naming the first unknown id, and changes nothing."""
    a, b = add_cards(anki, 2)
    api.call("suspend", cards=[b])
    assert error_of(api, "suspend", cards=[-123]) == "Card was not found: -123"
    assert error_of(api, "suspend", cards=[a, 77, 78]) == "Card was not found: 77"
    assert error_of(api, "suspend", cards=[b, 77]) == "Card was not found: 77"
    assert error_of(api, "unsuspend", cards=[b, 77]) == "Card was not found: 77"
    assert error_of(api, "suspended", card=77) == "Card was not found: 77"
    assert error_of(api, "suspended", card=0) == "Card was not found: 0"
    assert error_of(api, "areDue", cards=[a, 77]) == "Card was not found: 77"
    assert error_of(api, "getIntervals", cards=[a, 77]) == "Card was not found: 77"
    assert api.call("areSuspended", cards=[a, b]) == [False, True]  # nothing changed
    # where the reference answers instead, so does this one
    assert api.call("areSuspended", cards=[a, 77]) == [False, None]
    assert api.call("getIntervals", cards=[a, 77], complete=True) == [[], []]
    assert api.call("getEaseFactors", cards=[a, 77]) == [card(anki, a)["factor"], None]
    assert api.call("cardsInfo", cards=[77]) == [{}]
    assert api.call("cardsModTime", cards=[77]) == [{}]
    assert api.call("cardsToNotes", cards=[77]) == []
    assert api.call("getReviewsOfCards", cards=[77]) == {"77": []}
    assert api.call("setEaseFactors", cards=[77], easeFactors=[2000]) == [False]
    assert api.call("answerCards", answers=[{"cardId": 77, "ease": 3}]) == [False]
    assert api.call("setSpecificValueOfCard", card=77, keys=["flags"], newValues=[1]) == [
        [False, "Card was not found: 77"]]


def test_unsuspend_leaves_buried_cards_buried(api, anki):
    a, b = add_cards(anki, 2)
    anki.driver(f"mw.col.sched.bury_cards([{b}]); result = True")
    buried = card(anki, b)["queue"]
    assert buried < -1
    api.call("suspend", cards=[a])
    assert api.call("unsuspend", cards=[a, b]) is True
    assert card(anki, b)["queue"] == buried  # unsuspend only unsuspends


def test_suspend_is_one_undo_step(api, anki):
    ids = add_cards(anki, 3)
    api.call("suspend", cards=ids)
    assert undo_name(anki) == "AnkiConnect: suspend"
    undo(anki)
    assert api.call("areSuspended", cards=ids) == [False, False, False]


# -- due and intervals --------------------------------------------------------------


def test_are_due(api, anki, deck_options):
    new, short, review, long_step, suspended = add_cards(anki, 5)
    anki_answer(anki, short, 3)  # Good: the 10 minute step, within the learn-ahead limit
    api.call("answerCards", answers=[{"cardId": review, "ease": 4}])  # Easy: due in days
    deck_options("conf['new']['delays'] = [45.0, 1440.0]")
    anki_answer(anki, long_step, 1)  # Again: the 45 minute step, not due before its time
    api.call("suspend", cards=[suspended])
    assert api.call("areDue", cards=[new, short, review, long_step, suspended]) == [
        True, True, False, False, False]
    # a learning card with a long step is due once its time has passed
    anki.driver(f"c = mw.col.get_card({long_step}); c.due = {int(time.time()) - 5}; "
                "mw.col.update_card(c); result = True")
    assert api.call("areDue", cards=[long_step]) == [True]
    # a review card is due on its day
    api.call("setDueDate", cards=[review], days="0")
    assert api.call("areDue", cards=[review]) == [True]
    assert sorted(api.call("findCards", query="is:due")) == sorted([short, review, long_step])


def test_get_intervals(api, anki):
    new, learning, graduated = add_cards(anki, 3)
    anki_answer(anki, learning, 3)  # 10 minute step
    api.call("answerCards", answers=[{"cardId": graduated, "ease": 1}, {"cardId": graduated, "ease": 3},
                                     {"cardId": graduated, "ease": 3}])
    assert api.call("getIntervals", cards=[new, learning, graduated]) == [0, -600, 1]
    assert api.call("getIntervals", cards=[new, learning, graduated, 5], complete=True) == [
        [], [-600], [-60, -600, 1], []]
    # a forgotten card is new again: latest interval 0, its history kept
    api.call("forgetCards", cards=[graduated])
    assert api.call("getIntervals", cards=[graduated]) == [0]
    assert api.call("getIntervals", cards=[graduated], complete=True) == [[-60, -600, 1, 0]]


# -- ease factors and raw columns --------------------------------------------------


def test_ease_factors(api, anki):
    a, b = add_cards(anki, 2)
    api.call("answerCards", answers=[{"cardId": a, "ease": 4}, {"cardId": b, "ease": 4}])
    assert api.call("getEaseFactors", cards=[a, b, 8]) == [2500, 2500, None]
    assert api.call("setEaseFactors", cards=[a, b, 8], easeFactors=[4100, 3900, 2000]) == [
        True, True, False]
    assert api.call("getEaseFactors", cards=[a, b]) == [4100, 3900]
    assert card(anki, a)["factor"] == 4100
    assert undo_name(anki) == "AnkiConnect: setEaseFactors"
    undo(anki)
    assert api.call("getEaseFactors", cards=[a, b]) == [2500, 2500]
    with pytest.raises(ApiError, match="same length"):
        api.call("setEaseFactors", cards=[a, b], easeFactors=[4100])


def test_set_specific_value_of_card(api, anki):
    [cid] = add_cards(anki)
    assert api.call("setSpecificValueOfCard", card=cid, keys=["flags", "factor"],
                    newValues=["1", 2700]) == [True]  # one element for the whole call
    assert (card(anki, cid)["flags"], card(anki, cid)["factor"]) == (1, 2700)
    assert undo_name(anki) == "AnkiConnect: setSpecificValueOfCard"
    assert api.call("setSpecificValueOfCard", card=cid, keys=["flags", "odue"],
                    newValues=["2", "-100"], warning_check=True) == [True]
    assert (card(anki, cid)["flags"], card(anki, cid)["odue"]) == (2, -100)
    assert api.call("setSpecificValueOfCard", card=cid, keys=["due"], newValues=[7.0]) == [True]
    assert card(anki, cid)["due"] == 7
    assert api.call("setSpecificValueOfCard", card=cid, keys=[], newValues=[]) == [True]


def test_set_specific_value_of_card_answers_as_the_reference(api, anki):
    """Bare `false` for mismatched lists and for protected keys without
    warning_check; `[[false, reason]]` for a failure after that."""
    [cid] = add_cards(anki)
    before = card(anki, cid)
    # the documented sample without warning_check: odue is protected
    assert api.request("setSpecificValueOfCard", card=cid, keys=["flags", "odue"],
                       newValues=["1", "-100"]) == {"result": False, "error": None}
    for key in ("did", "id", "ivl", "lapses", "left", "mod", "nid", "odid", "odue", "ord",
                "queue", "reps", "type", "usn"):
        for extra in ({}, {"warning_check": False}):
            assert api.call("setSpecificValueOfCard", card=cid, keys=["flags", key],
                            newValues=[1, 1], **extra) is False, key
    # lengths that differ: false, whatever the keys
    assert api.call("setSpecificValueOfCard", card=cid, keys=["flags"], newValues=[1, 2]) is False
    assert api.call("setSpecificValueOfCard", card=cid, keys=[], newValues=[1]) is False
    # the unknown card is named as the reference names it; lengths come first
    assert api.call("setSpecificValueOfCard", card=99, keys=["flags"], newValues=[1]) == [
        [False, "Card was not found: 99"]]
    assert api.call("setSpecificValueOfCard", card=99, keys=["flags"], newValues=[]) is False
    assert api.call("setSpecificValueOfCard", card=99, keys=["ivl"], newValues=[1]) is False
    # failures after the checks: one [false, reason] for the whole call
    for keys, values in ((["id"], [5]), (["mod"], [5]), (["usn"], [5]), (["nonsense"], [1]),
                         (["flags"], ["two"]), (["flags"], [1.5]), (["flags"], [True]),
                         (["flags", "due"], [1, None])):
        reply = api.call("setSpecificValueOfCard", card=cid, keys=keys, newValues=values,
                         warning_check=True)
        assert len(reply) == 1 and reply[0][0] is False and reply[0][1], (keys, reply)
    assert card(anki, cid) == before  # nothing changed by any of them
    # parameters still have their declared types
    with pytest.raises(ApiError, match="parameter 'keys' must be an array"):
        api.call("setSpecificValueOfCard", card=cid, keys="flags", newValues=[1])
    with pytest.raises(ApiError, match="parameter 'card' must be an integer"):
        api.call("setSpecificValueOfCard", card=[cid], keys=["flags"], newValues=[1])


# -- scheduling -------------------------------------------------------------------------


def test_forget_cards(api, anki):
    first, second = add_cards(anki, 2)
    position = card(anki, second)["due"]
    api.call("answerCards", answers=[{"cardId": second, "ease": 4}, {"cardId": first, "ease": 4}])
    assert api.call("forgetCards", cards=[second]) is None
    forgotten = card(anki, second)
    assert (forgotten["type"], forgotten["queue"], forgotten["ivl"]) == (0, 0, 0)
    assert forgotten["due"] == position  # its position in the new queue is restored
    assert forgotten["reps"] == 1  # counts are kept, as Anki's Forget does by default
    assert card(anki, first)["type"] == 2
    assert undo_name(anki) == "AnkiConnect: forgetCards"
    undo(anki)
    assert card(anki, second)["type"] == 2
    # ids that are no cards are skipped, as the reference does
    assert api.call("forgetCards", cards=[4, second]) is None
    assert card(anki, second)["type"] == 0 and card(anki, first)["type"] == 2
    assert api.call("forgetCards", cards=[4]) is None


def test_relearn_cards(api, anki):
    review, new = add_cards(anki, 2)
    api.call("answerCards", answers=[{"cardId": review, "ease": 4}])
    before = card(anki, review)
    assert api.call("relearnCards", cards=[review, new]) is None
    after = card(anki, review)
    assert (after["type"], after["queue"]) == (3, 1)
    assert abs(after["due"] - time.time()) < 60
    assert after["ivl"] == before["ivl"] and after["factor"] == before["factor"]
    assert after["left"] % 1000 == 1  # the default options have one relearning step
    assert card(anki, new)["type"] == 0
    assert api.call("relearnCards", cards=[5]) is None  # no card: skipped, as the reference does
    assert api.call("areDue", cards=[review]) == [True]
    assert api.call("findCards", query="is:learn") == [review]
    # answering it goes on through Anki's relearning
    api.call("answerCards", answers=[{"cardId": review, "ease": 3}])
    assert card(anki, review)["type"] == 2
    undo(anki)
    undo(anki)
    assert card(anki, review)["type"] == 2 and card(anki, review)["queue"] == 2


def test_answer_cards(api, anki):
    a, b = add_cards(anki, 2)
    result = api.call("answerCards", answers=[{"cardId": a, "ease": 2}, {"cardId": 5, "ease": 3},
                                              {"cardId": b, "ease": 4, "time": 6157}])
    assert result == [True, False, True]
    assert card(anki, a)["queue"] == 1 and card(anki, b)["queue"] == 2
    reviews = api.call("getReviewsOfCards", cards=[a, b])
    assert [r["ease"] for r in reviews[str(a)]] == [2]
    [easy] = reviews[str(b)]
    assert (easy["ease"], easy["time"], easy["type"], easy["ivl"]) == (4, 6157, 0, card(anki, b)["ivl"])
    # the review log Anki's own card info shows
    assert anki.driver(f"result = len(mw.col.card_stats_data({b}).revlog)") == 1
    # one undo step for the whole request
    assert undo_name(anki) == "AnkiConnect: answerCards"
    undo(anki)
    assert card(anki, a)["queue"] == 0 and card(anki, b)["queue"] == 0
    assert api.call("getReviewsOfCards", cards=[a, b]) == {str(a): [], str(b): []}


def test_answer_cards_same_card_twice_and_mixed_with_reviewer(api, anki):
    [cid] = add_cards(anki)
    anki_answer(anki, cid, 3)  # Anki's scheduler: to the 10 minute step
    assert api.call("answerCards", answers=[{"cardId": cid, "ease": 3}, {"cardId": cid, "ease": 3}]) == [True, True]
    assert card(anki, cid)["type"] == 2
    assert api.call("getIntervals", cards=[cid], complete=True)[0][:2] == [-600, 1]
    assert card(anki, cid)["reps"] == 3


def test_answer_cards_checks_answers(api, anki):
    [cid] = add_cards(anki)
    for bad, message in (({"cardId": cid, "ease": 5}, "ease"), ({"ease": 3}, "cardId"),
                         ({"cardId": cid, "ease": 3, "extra": 1}, "extra"),
                         ({"cardId": cid, "ease": 3, "time": -1}, "time")):
        with pytest.raises(ApiError, match=message):
            api.call("answerCards", answers=[{"cardId": cid, "ease": 3}, bad])
    assert card(anki, cid)["reps"] == 0  # nothing was answered


def test_set_due_date(api, anki):
    a, b, c = add_cards(anki, 3)
    today = anki.driver("result = mw.col.sched.today")
    assert api.call("setDueDate", cards=[a], days="0") is True
    assert (card(anki, a)["type"], card(anki, a)["due"]) == (2, today)
    assert api.call("setDueDate", cards=[b], days="1!") is True
    assert (card(anki, b)["due"], card(anki, b)["ivl"]) == (today + 1, 1)
    assert api.call("setDueDate", cards=[c], days="3-7") is True
    assert today + 3 <= card(anki, c)["due"] <= today + 7
    assert api.call("areDue", cards=[a, b, c]) == [True, False, False]
    assert undo_name(anki) == "AnkiConnect: setDueDate"
    for bad in ("tomorrow", "-1", "3..7", ""):
        with pytest.raises(ApiError, match="setDueDate: days"):
            api.call("setDueDate", cards=[a], days=bad)
    # ids that are no cards are skipped, as the reference does
    assert api.call("setDueDate", cards=[a, 6], days="1") is True
    assert card(anki, a)["due"] == today + 1
    assert api.call("setDueDate", cards=[6], days="1") is True


def test_reviewer_moves_on_when_its_card_is_answered_or_suspended(api, anki):
    a, b, c = add_cards(anki, 3)
    # Anki refreshes its main window at once while it has the focus (else when
    # it gets it back), so give it the focus, as when the user looks at it
    assert anki.wait_for("from aqt.utils import current_window\n"
                         "mw.activateWindow(); result = current_window() is mw")
    anki.driver("mw.col.decks.select(1); mw.moveToState('review'); result = True")
    try:
        assert anki.wait_for("result = mw.reviewer.card and mw.reviewer.card.id") == a
        api.call("answerCards", answers=[{"cardId": a, "ease": 4}])
        assert anki.wait_for(f"result = mw.reviewer.card and mw.reviewer.card.id != {a}")
        assert anki.driver("result = mw.reviewer.card.id") == b
        api.call("suspend", cards=[b])
        assert anki.wait_for(f"result = mw.reviewer.card and mw.reviewer.card.id == {c}")
    finally:
        anki.driver("mw.moveToState('deckBrowser'); result = True")
