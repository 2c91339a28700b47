"""guiEditNote: AnkiConnect's own note editor (edit.py), in real Anki.

Its buttons are pressed through the test driver, as a user would click
them; what they show is read from the dialog, the previewer and the browser.
"""
import pytest

from anki_helpers import add_note, card_ids, gui  # noqa: F401 (fixture)
from harness import ApiError

EDIT = "d = aqt.dialogs._dialogs.get('AnkiConnectEditNote', [None, None])[1]\n"
STATE = EDIT + """
note = d.editor.note if d is not None else None
result = None if d is None else {
    "note": note.id if note else None,
    "fields": dict(note.items()) if note else None,
    "history": d.history,
    "position": d.position,
    "previous": d.previous_button.isEnabled(),
    "next": d.next_button.isEnabled(),
    "visible": d.isVisible(),
}
"""


def shows(anki, nid):
    """The dialog's state once it shows note `nid`."""
    state = anki.wait_for(STATE + f"result = result if result and result['note'] == {nid} else None")
    assert state, anki.driver(STATE)
    return state


def test_edit_note_opens_the_editor_on_the_note(gui, anki):
    nid = add_note(anki, {"Front": "hola", "Back": "hello"})
    assert gui.call("guiEditNote", note=nid) is None
    # the reply comes once the note is in the editor
    assert anki.driver(STATE) == {
        "note": nid, "fields": {"Front": "hola", "Back": "hello"}, "history": [nid],
        "position": 0, "previous": False, "next": False, "visible": True,
    }


def test_edit_note_unknown_note_is_an_error(gui, anki):
    with pytest.raises(ApiError, match="Note was not found: 4242"):
        gui.call("guiEditNote", note=4242)
    assert anki.driver(STATE) is None


def test_edit_note_previous_and_next_step_through_the_notes_it_was_opened_on(gui, anki):
    a, b, c = (add_note(anki, {"Front": f, "Back": "x"}) for f in "abc")
    for nid in (a, b, c):
        gui.call("guiEditNote", note=nid)
    state = anki.driver(STATE)
    assert (state["note"], state["history"], state["position"]) == (c, [a, b, c], 2)
    assert (state["previous"], state["next"]) == (True, False)
    anki.driver(EDIT + "d.previous_button.click()")
    assert shows(anki, b)["position"] == 1
    anki.driver(EDIT + "d.previous_button.click()")
    state = shows(anki, a)
    assert (state["previous"], state["next"]) == (False, True)
    anki.driver(EDIT + "d.next_button.click()")
    assert shows(anki, b)["fields"]["Front"] == "b"
    # opening a note again moves it to the end
    gui.call("guiEditNote", note=a)
    state = anki.driver(STATE)
    assert (state["note"], state["history"], state["position"]) == (a, [b, c, a], 2)
    # one window all along
    assert anki.driver("result = sum(1 for w in mw.app.topLevelWidgets()"
                       " if type(w).__name__ == 'EditNoteDialog' and w.isVisible())") == 1


def test_edit_note_saves_what_the_user_types(gui, anki):
    nid = add_note(anki, {"Front": "before", "Back": "x"})
    gui.call("guiEditNote", note=nid)
    # what the editor's web view reports as the user types
    anki.driver(EDIT + f"d.editor.onBridgeCmd('key:0:{nid}:after')")
    assert anki.wait_for(f"result = mw.col.get_note({nid})['Front'] == 'after'")


def test_edit_note_follows_changes_made_elsewhere(gui, anki):
    a = add_note(anki, {"Front": "a", "Back": "x"})
    b = add_note(anki, {"Front": "b", "Back": "x"})
    gui.call("guiEditNote", note=a)
    gui.call("guiEditNote", note=b)
    anki.driver(f"""
from aqt.operations.note import update_note
note = mw.col.get_note({b})
note['Back'] = 'changed elsewhere'
update_note(parent=mw, note=note).run_in_background()
""")
    assert anki.wait_for(STATE + "result = result['fields']['Back'] == 'changed elsewhere'")
    # the note shown is deleted: the editor moves to the other one
    anki.driver(f"""
from aqt.operations.note import remove_notes
remove_notes(parent=mw, note_ids=[{b}]).run_in_background()
""")
    state = shows(anki, a)
    assert state["history"] == [a]
    anki.driver(f"""
from aqt.operations.note import remove_notes
remove_notes(parent=mw, note_ids=[{a}]).run_in_background()
""")
    # nothing left to edit: the window closes
    assert anki.wait_for(EDIT + "result = d is None")


def test_edit_note_preview_shows_the_notes_cards(gui, anki):
    a = add_note(anki, {"Front": "front a", "Back": "back a"}, model="Basic (and reversed card)")
    b = add_note(anki, {"Front": "front b", "Back": "back b"})
    gui.call("guiEditNote", note=b)
    gui.call("guiEditNote", note=a)
    anki.driver(EDIT + "d.preview_button.click()")
    preview = EDIT + """
p = d.previewer
result = None if p is None or not p.isVisible() else {
    "card": p.card().id, "side": p._state, "cards": [c.id for c in p._cards]}
"""
    cards_a = sorted(card_ids(anki, f"nid:{a}"))
    state = anki.wait_for(preview)
    assert state and sorted(state["cards"]) == cards_a
    assert (state["card"], state["side"]) == (state["cards"][0], "question")
    # > shows the answer, then the note's next card
    anki.driver(EDIT + "d.previewer._next.click()")
    assert anki.driver(preview)["side"] == "answer"
    anki.driver(EDIT + "d.previewer._next.click()")
    second = state["cards"][1]
    # (the previewer redraws at most every 300 ms)
    assert anki.wait_for(preview + f"result = result['card'] == {second} and result['side'] == 'question'")
    # the previewer follows the editor to another note
    anki.driver(EDIT + "d.previous_button.click()")
    shows(anki, b)
    assert anki.wait_for(preview + f"result = result if result and result['cards'] == {card_ids(anki, f'nid:{b}')} else None")


def test_edit_note_browse_shows_the_note_in_the_browser(gui, anki):
    nid = add_note(anki, {"Front": "find me", "Back": "x"}, model="Basic (and reversed card)")
    add_note(anki, {"Front": "not me", "Back": "x"})
    gui.call("guiEditNote", note=nid)
    anki.driver(EDIT + "d.browse_button.click()")
    items = anki.wait_for("""
b = aqt.dialogs._dialogs['Browser'][1]
result = sorted(int(i) for i in b.table._model._items) if b else None
""")
    assert items == sorted(card_ids(anki, f"nid:{nid}"))


def test_edit_note_closes_through_anki(gui, anki):
    nid = add_note(anki, {"Front": "x", "Back": "y"})
    gui.call("guiEditNote", note=nid)
    anki.driver(EDIT + "d.close()")
    assert anki.wait_for(EDIT + "result = d is None")
    # and opens again
    gui.call("guiEditNote", note=nid)
    assert anki.driver(STATE)["history"] == [nid]
