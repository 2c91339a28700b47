"""Graphical actions, in real Anki: the browser, the deck screens and the reviewer.

Each action's effect is checked on Anki's own objects (`anki.driver`): the
browser's search, order and selection, the main window's state, the
reviewer's card and side, the review log.  The `gui` fixture closes every
window a test opened.
"""
import time

import pytest

from anki_helpers import add_note, card_ids, gui  # noqa: F401 (fixture)
from harness import ApiError

BROWSER = "browser = aqt.dialogs._dialogs['Browser'][1]\n"


def browser_state(anki):
    return anki.driver(BROWSER + """
table = browser.table
result = {
    "search": browser._lastSearchTxt,
    "text": browser.current_search(),
    "items": [int(i) for i in table._model._items],
    "selected_cards": [int(c) for c in table.get_selected_card_ids()],
    "sort_column": table._state.sort_column,
    "sort_backwards": table._state.sort_backwards,
    "notes_mode": table.is_notes_mode(),
    "visible": browser.isVisible(),
    "id": id(browser),
}
""")


# -- the browser ----------------------------------------------------------------


def test_browse_opens_browser_with_search_and_returns_its_cards(gui, anki):
    a = [add_note(anki, {"Front": f"a{i}", "Back": "x"}, deck="Lang") for i in range(3)]
    add_note(anki, {"Front": "other", "Back": "x"})
    shown = gui.call("guiBrowse", query="deck:Lang")
    assert sorted(shown) == card_ids(anki, "deck:Lang")
    assert len(shown) == len(a)
    state = browser_state(anki)
    assert state["visible"] and state["search"] == "deck:Lang"
    assert state["items"] == shown  # exactly what the table shows, in its order

    # a second call reuses the open browser and searches again
    everything = gui.call("guiBrowse", query="")
    again = browser_state(anki)
    assert again["id"] == state["id"]
    assert sorted(everything) == card_ids(anki, "")
    assert again["items"] == everything


def test_browse_without_query_keeps_the_browsers_search(gui, anki):
    add_note(anki, {"Front": "one", "Back": "x"}, deck="Lang")
    add_note(anki, {"Front": "two", "Back": "x"})
    first = gui.call("guiBrowse", query="deck:Lang")
    assert gui.call("guiBrowse") == first
    assert browser_state(anki)["search"] == "deck:Lang"


def test_browse_invalid_search_is_an_error_and_changes_nothing(gui, anki):
    add_note(anki, {"Front": "one", "Back": "x"})
    gui.call("guiBrowse", query="deck:Default")
    with pytest.raises(ApiError, match="guiBrowse: invalid search"):
        gui.call("guiBrowse", query="deck:(")
    assert browser_state(anki)["search"] == "deck:Default"


def test_browse_reorders_by_column(gui, anki):
    ids = {}
    for front in ["banana", "apple", "cherry"]:
        ids[front] = add_note(anki, {"Front": front, "Back": "x"})
    cid = {f: card_ids(anki, f"nid:{n}")[0] for f, n in ids.items()}
    asc = gui.call("guiBrowse", query="deck:Default",
                   reorderCards={"columnId": "noteFld", "order": "ascending"})
    assert asc == [cid["apple"], cid["banana"], cid["cherry"]]
    state = browser_state(anki)
    assert (state["sort_column"], state["sort_backwards"]) == ("noteFld", False)
    assert state["items"] == asc
    desc = gui.call("guiBrowse", reorderCards={"columnId": "noteFld", "order": "descending"})
    assert desc == list(reversed(asc))
    assert browser_state(anki)["sort_backwards"] is True
    # by creation time, newest first
    newest = gui.call("guiBrowse", reorderCards={"columnId": "noteCrt", "order": "descending"})
    assert newest == [cid["cherry"], cid["apple"], cid["banana"]]


@pytest.mark.parametrize("reorder, message", [
    ({"columnId": "noteFld"}, 'needs "columnId" and "order"'),
    ({"order": "ascending"}, 'needs "columnId" and "order"'),
    ({"columnId": "noteFld", "order": "sideways"}, "order must be"),
    ({"columnId": "noSuchColumn", "order": "ascending"}, "no browser column 'noSuchColumn'"),
    ({"columnId": "question", "order": "ascending"}, "cannot sort cards by column 'question'"),
])
def test_browse_bad_reorder_is_a_clear_error(gui, anki, reorder, message):
    with pytest.raises(ApiError, match=message):
        gui.call("guiBrowse", query="deck:Default", reorderCards=reorder)
    # checked before the browser opens
    assert anki.driver("result = aqt.dialogs._dialogs['Browser'][1] is None")


def test_browse_in_notes_mode_returns_each_notes_cards(gui, anki):
    n1 = add_note(anki, {"Front": "b", "Back": "x"}, model="Basic (and reversed card)")
    n2 = add_note(anki, {"Front": "a", "Back": "x"}, model="Basic (and reversed card)")
    gui.call("guiBrowse", query="deck:Default")
    anki.driver(BROWSER + "browser.table.toggle_state(True, browser._lastSearchTxt)")
    try:
        shown = gui.call("guiBrowse", query="deck:Default",
                         reorderCards={"columnId": "noteFld", "order": "ascending"})
        state = browser_state(anki)
        assert state["notes_mode"] and state["items"] == [n2, n1]
        by_ord = anki.driver(f"""
col = mw.col
result = [[c.id for c in sorted(col.get_note(n).cards(), key=lambda c: c.ord)] for n in ({n2}, {n1})]
""")
        assert shown == by_ord[0] + by_ord[1]
    finally:
        anki.driver(BROWSER + "browser.table.toggle_state(False, browser._lastSearchTxt)")


def test_select_card_and_selected_notes(gui, anki):
    assert gui.call("guiSelectCard", card=1) is False  # no browser
    assert gui.call("guiSelectedNotes") == []
    n1 = add_note(anki, {"Front": "one", "Back": "x"})
    n2 = add_note(anki, {"Front": "two", "Back": "x"})
    c1, c2 = card_ids(anki, f"nid:{n1}")[0], card_ids(anki, f"nid:{n2}")[0]
    gui.call("guiBrowse", query="deck:Default")
    assert gui.call("guiSelectCard", card=c2) is True
    assert browser_state(anki)["selected_cards"] == [c2]
    assert gui.call("guiSelectedNotes") == [n2]
    # the deprecated alias takes a card id too
    assert gui.call("guiSelectNote", note=c1) is True
    assert browser_state(anki)["selected_cards"] == [c1]
    assert gui.call("guiSelectedNotes") == [n1]
    # a card the browser does not show cannot be selected
    gui.call("guiBrowse", query=f"nid:{n2}")
    assert gui.call("guiSelectCard", card=c1) is False
    assert gui.call("guiSelectedNotes") == []
    anki.driver(BROWSER + "browser.table.select_all()")
    assert gui.call("guiSelectedNotes") == [n2]


# -- deck screens and the reviewer -------------------------------------------------

MAIN_STATE = "result = [mw.state, mw.col.decks.current()['name']]"
REVIEWER = """
r = mw.reviewer
result = {"state": mw.state, "side": r.state, "card": r.card.id if r.card else None}
"""


def test_deck_overview_and_deck_browser(gui, anki):
    anki.driver("mw.col.decks.id('Lang::Verbs')")
    assert gui.call("guiDeckOverview", name="No such deck") is False
    assert anki.driver(MAIN_STATE) == ["deckBrowser", "Default"]
    assert gui.call("guiDeckOverview", name="Lang::Verbs") is True
    assert anki.driver(MAIN_STATE) == ["overview", "Lang::Verbs"]
    assert gui.call("guiDeckBrowser") is None
    assert anki.driver(MAIN_STATE)[0] == "deckBrowser"


def test_deck_review_with_nothing_due_shows_the_overview(gui, anki):
    anki.driver("mw.col.decks.id('Empty')")
    assert gui.call("guiDeckReview", name="Empty") is False
    assert anki.driver(MAIN_STATE) == ["overview", "Empty"]
    assert gui.call("guiDeckReview", name="No such deck") is False


def test_reviewer_actions_answer_false_or_null_when_not_reviewing(gui):
    assert gui.call("guiReviewActive") is False
    assert gui.call("guiCurrentCard") is None
    assert gui.call("guiStartCardTimer") is False
    assert gui.call("guiShowQuestion") is False
    assert gui.call("guiShowAnswer") is False
    assert gui.call("guiAnswerCard", ease=3) is False
    assert gui.call("guiPlayAudio") is False


def test_full_review_flow_by_api(gui, anki):
    fronts = ["uno", "dos", "tres"]
    notes = [add_note(anki, {"Front": f, "Back": f"<b>{f}</b> back"}, deck="Spanish")
             for f in fronts]
    cards = card_ids(anki, "deck:Spanish")
    assert gui.call("guiDeckReview", name="Spanish") is True
    assert gui.call("guiReviewActive") is True
    seen = []
    for ease in (4, 1, 4):
        current = gui.call("guiCurrentCard")
        r = anki.driver(REVIEWER)
        assert r == {"state": "review", "side": "question", "card": current["cardId"]}
        assert current["cardId"] in cards and current["cardId"] not in seen
        front = current["fields"]["Front"]["value"]
        assert current["fields"] == {
            "Front": {"value": front, "order": 0},
            "Back": {"value": f"<b>{front}</b> back", "order": 1},
        }
        assert current["modelName"] == "Basic" and current["deckName"] == "Spanish"
        assert current["template"] == "Card 1" and current["fieldOrder"] == 0
        assert front in current["question"] and f"<b>{front}</b> back" in current["answer"]
        assert current["buttons"] == [1, 2, 3, 4]
        assert len(current["nextReviews"]) == 4 and all(current["nextReviews"])
        assert ".card" in current["css"]
        # Anki's own labels for the answer buttons
        labels = anki.driver(
            "r = mw.reviewer\nresult = [l.replace('\\u2068', '').replace('\\u2069', '')"
            " for l in mw.col.sched.describe_next_states(r._v3.states)]")
        assert current["nextReviews"] == labels

        assert gui.call("guiAnswerCard", ease=ease) is False  # question still showing
        assert gui.call("guiShowAnswer") is True
        assert anki.driver(REVIEWER)["side"] == "answer"
        assert gui.call("guiAnswerCard", ease=5) is False  # no such button
        assert gui.call("guiAnswerCard", ease=ease) is True
        seen.append(current["cardId"])
        log = anki.driver(f"result = mw.col.db.all('select cid, ease from revlog where cid = {current['cardId']}')")
        assert log == [[current["cardId"], ease]]

        if ease == 1:
            # the card comes back later; the next one is shown now
            nxt = anki.driver(REVIEWER)
            assert nxt["side"] == "question" and nxt["card"] != current["cardId"]
    assert sorted(seen) == sorted(cards)
    # 'Again' brings the second card back (learning step); 'Easy' ones are done
    assert gui.call("guiCurrentCard")["cardId"] == seen[1]
    assert gui.call("guiShowAnswer") is True
    assert gui.call("guiAnswerCard", ease=4) is True
    ids = ",".join(map(str, cards))
    assert anki.driver(f"result = mw.col.db.list('select ease from revlog where cid in ({ids}) order by id')") == [4, 1, 4, 4]
    assert gui.call("guiReviewActive") is False
    assert gui.call("guiCurrentCard") is None
    assert anki.driver(MAIN_STATE) == ["overview", "Spanish"]
    assert len(notes) == 3


def test_show_question_and_start_card_timer(gui, anki):
    add_note(anki, {"Front": "q", "Back": "a"})
    assert gui.call("guiDeckReview", name="Default") is True
    assert gui.call("guiShowAnswer") is True
    assert gui.call("guiShowQuestion") is True
    assert anki.driver(REVIEWER)["side"] == "question"
    anki.driver("mw.reviewer.card.timer_started = 1.0")
    assert gui.call("guiStartCardTimer") is True
    assert anki.driver("import time\nresult = time.time() - mw.reviewer.card.timer_started") < 60


def test_play_audio_replays_the_shown_side(gui, anki):
    add_note(anki, {"Front": "q", "Back": "a"})
    anki.driver("""
calls = []
def record(webview, card, question):
    calls.append([card.id, question])
aqt._ankiconnect_test_replays = (record, calls)
aqt.gui_hooks.audio_will_replay.append(record)
""")
    try:
        assert gui.call("guiDeckReview", name="Default") is True
        card = anki.driver(REVIEWER)["card"]
        assert gui.call("guiPlayAudio") is True
        gui.call("guiShowAnswer")
        assert gui.call("guiPlayAudio") is True
        assert anki.driver("result = aqt._ankiconnect_test_replays[1]") == [[card, True], [card, False]]
    finally:
        anki.driver("aqt.gui_hooks.audio_will_replay.remove(aqt._ankiconnect_test_replays[0])")


# -- undo ----------------------------------------------------------


def test_undo_undoes_the_last_change(gui, anki):
    nid = add_note(anki, {"Front": "undo me", "Back": "x"})
    assert anki.driver("result = mw.col.undo_status().undo") == "Add Note"
    assert gui.call("guiUndo") is True
    assert card_ids(anki, f"nid:{nid}") == []
    assert anki.driver("result = mw.col.undo_status().redo") == "Add Note"


# -- import ------------------------------------------------------------------------

VISIBLE_DIALOGS = """
from aqt.qt import QDialog
result = [[type(w).__name__, getattr(getattr(w, 'args', None), 'path', None)]
          for w in mw.app.topLevelWidgets() if w.isVisible() and isinstance(w, QDialog)]
"""


def test_import_file_opens_anki_import_window(gui, anki, tmp_path):
    add_note(anki, {"Front": "packed", "Back": "x"}, deck="Packed")
    package = str(tmp_path / "packed.apkg")
    assert gui.call("exportPackage", deck="Packed", path=package) is True
    assert gui.call("guiImportFile", path=package) is None
    shown = anki.wait_for(VISIBLE_DIALOGS)
    # Anki 23.10+ show the import options for the file; 2.1.66 imports an
    # .apkg at once and shows its import log
    assert shown in ([["ImportDialog", package]], [["ImportLogDialog", None]])


def test_import_file_without_path_asks_for_a_file(gui, anki):
    assert gui.call("guiImportFile") is None  # replies while the file picker is open
    assert anki.wait_for(VISIBLE_DIALOGS) == [["QFileDialog", None]]
    assert "Default" in gui.call("deckNames")  # the API keeps answering meanwhile


def test_import_file_errors(gui, anki, tmp_path):
    with pytest.raises(ApiError, match="guiImportFile: no such file"):
        gui.call("guiImportFile", path=str(tmp_path / "missing.apkg"))
    odd = tmp_path / "notes.xyz"
    odd.write_text("x")
    with pytest.raises(ApiError, match="Anki cannot import 'notes.xyz'"):
        gui.call("guiImportFile", path=str(odd))
    assert anki.driver(VISIBLE_DIALOGS) == []


def test_requests_are_answered_while_a_modal_dialog_of_anki_is_open(gui, anki):
    """Anki runs its main-thread tasks in batches; when one of them opens a
    modal dialog (Check Database's report does), a request queued in the same
    batch is still answered, not held until the user closes the dialog."""
    anki.driver(f"""
import json, threading, time, urllib.request
from aqt.utils import showText
mw._ac_modal_reply = None
def ask():
    body = json.dumps({{"action": "deckNames", "version": 6}}).encode()  # runs on the main thread
    with urllib.request.urlopen("http://127.0.0.1:{anki.port}", body, timeout=60) as r:
        mw._ac_modal_reply = json.loads(r.read())
queue = threading.Thread(  # from another thread, as Anki's background tasks do
    target=lambda: mw.taskman.run_on_main(lambda: showText("a report", parent=mw)))
queue.start(); queue.join()
threading.Thread(target=ask, daemon=True).start()
time.sleep(0.5)  # the request arrives while Anki's task is still queued
""")
    reply = anki.wait_for("result = mw._ac_modal_reply", timeout=10)
    assert reply["error"] is None and "Default" in reply["result"]
    assert anki.driver("""
from aqt.qt import QDialog
result = any(isinstance(w, QDialog) and w.isVisible() for w in mw.app.topLevelWidgets())
""")  # the dialog is still open


def test_the_answer_stays_shown_right_after_an_api_write(gui, anki):
    gui.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                              "fields": {"Front": "q", "Back": "a"}})
    assert gui.call("guiDeckReview", name="Default") is True
    assert gui.call("guiShowAnswer") is True
    time.sleep(0.5)  # longer than Anki's windows wait to redraw after writes
    assert anki.driver("result = [mw.state, mw.reviewer.state]") == ["review", "answer"]
