"""guiAddCards and guiAddNoteSetData, in real Anki: the Add window's note
type, deck, fields and tags are checked on Anki's own window; "the user
adds the note" is Anki's own Add button, pressed through the test driver.
"""
import base64
import hashlib
import http.server
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from anki_helpers import close_windows, gui, logged, note_fields  # noqa: F401 (fixture)
from harness import ApiError

ADD = "w = aqt.dialogs._dialogs['AddCards'][1]\n"
WINDOW_STATE = """
def state(w):
    col = mw.col
    note = w.editor.note
    return {
        "fields": dict(note.items()) if note else None,
        "tags": list(note.tags) if note else None,
        "deck": col.decks.name(w.deck_chooser.selected_deck_id),
        "model": col.models.get(w.notetype_chooser.selected_notetype_id)["name"],
        "visible": w.isVisible(),
    }
"""
SHARED_STATE = WINDOW_STATE + ADD + "result = state(w) if w else None\n"
ADD_AND_CLOSE = """
windows = [e[1] for n, e in aqt.dialogs._dialogs.items()
           if n.startswith('AnkiConnectAddCards') and e[1] is not None]
"""


@pytest.fixture(autouse=True)
def no_media_left(anki):
    """Remove the media files a test stored (the media folder outlives tests)."""
    folder = anki.driver("result = mw.col.media.dir()")
    before = set(os.listdir(folder))
    yield
    for name in set(os.listdir(folder)) - before:
        os.remove(os.path.join(folder, name))


@pytest.fixture
def pool(anki, gui):
    """Threads for calls that wait for the user; their windows are closed
    (so the calls return) before the threads are joined."""
    executor = ThreadPoolExecutor(4)
    yield executor
    close_windows(anki)
    executor.shutdown(wait=True)


def wait_for_window(anki, front, source=SHARED_STATE):
    """The Add window's state once its Front field reads `front`."""
    deadline = time.time() + 15
    while time.time() < deadline:
        state = anki.driver(source)
        if state and state["fields"] and state["fields"].get("Front") == front:
            return state
        time.sleep(0.05)
    raise AssertionError(f"the Add window never showed {front!r}: {anki.driver(source)}")


def press_add(anki, window="w"):
    anki.driver(ADD + ADD_AND_CLOSE + f"{window}.add_current_note()")


WAIT = {"waitForAdding": True}


def basic(front, back="", wait=True, **extra):
    """A Basic note; by default one whose guiAddCards call waits for the user."""
    note = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": front, "Back": back}}
    options = dict(extra.pop("options", {}))
    if wait:
        options.update(WAIT)
    note.update(extra, options=options)
    return note


def test_add_cards_fills_the_add_window_and_returns_the_added_note(gui, anki, pool):
    anki.driver("mw.col.decks.id('Lang::Spanish')")
    note = {
        "deckName": "Lang::Spanish", "modelName": "Basic (and reversed card)",
        # names match exactly, as in the reference: the others are skipped
        "fields": {"Front": "hola", "Back": "hello", "back": "no", "Nope": "no"},
        "tags": ["greeting", "es"],
        "options": WAIT,
    }
    reply = pool.submit(gui.call, "guiAddCards", note=note)
    state = wait_for_window(anki, "hola")
    assert state == {
        "fields": {"Front": "hola", "Back": "hello"}, "tags": ["greeting", "es"],
        "deck": "Lang::Spanish", "model": "Basic (and reversed card)", "visible": True,
    }
    time.sleep(0.3)
    assert not reply.done()  # waiting for the user
    # meanwhile the API (and Anki) keep answering
    assert "Lang::Spanish" in gui.call("deckNames")
    assert gui.call("guiReviewActive") is False
    press_add(anki)
    nid = reply.result(timeout=30)
    assert note_fields(anki, nid) == {
        "fields": {"Front": "hola", "Back": "hello"}, "tags": ["es", "greeting"],
        "decks": ["Lang::Spanish"], "model": "Basic (and reversed card)",
    }
    # Anki's Add window stays open, for the next note
    assert anki.driver(SHARED_STATE)["visible"] is True


def test_add_cards_answers_null_when_the_window_closes_without_adding(gui, anki, pool):
    reply = pool.submit(gui.call, "guiAddCards", note=basic("never added"))
    wait_for_window(anki, "never added")
    anki.driver(ADD + "w.editor.set_note(None)\nw.close()")  # the user discards it
    assert reply.result(timeout=30) is None
    assert anki.driver("result = mw.col.note_count()") == 0


def test_add_cards_again_refills_the_open_window(gui, anki, pool):
    first = pool.submit(gui.call, "guiAddCards", note=basic("first"))
    wait_for_window(anki, "first")
    window = anki.driver(ADD + "result = id(w)")
    second = pool.submit(gui.call, "guiAddCards", note=basic("second", tags=["b"]))
    assert first.result(timeout=30) is None  # its note was replaced
    state = wait_for_window(anki, "second")
    assert state["tags"] == ["b"] and anki.driver(ADD + "result = id(w)") == window
    press_add(anki)
    nid = second.result(timeout=30)
    assert note_fields(anki, nid)["fields"]["Front"] == "second"


def test_add_cards_close_after_adding_opens_windows_of_their_own(gui, anki, pool):
    shared = pool.submit(gui.call, "guiAddCards", note=basic("shared"))
    wait_for_window(anki, "shared")
    close = {"closeAfterAdding": True}
    one = pool.submit(gui.call, "guiAddCards", note=basic("one", options=close))
    two = pool.submit(gui.call, "guiAddCards", note=basic("two", options=close))
    fronts = anki.wait_for(ADD_AND_CLOSE + """
fronts = sorted(w.editor.note["Front"] for w in windows if w.editor.note)
result = fronts if fronts == ["one", "two"] else None
""")
    assert fronts == ["one", "two"]
    anki.driver(ADD_AND_CLOSE + "[w for w in windows if w.editor.note['Front'] == 'one'][0].add_current_note()")
    nid = one.result(timeout=30)
    assert note_fields(anki, nid)["fields"]["Front"] == "one"
    # that window closed; the other one and Anki's own Add window stay
    assert anki.wait_for(ADD_AND_CLOSE + "result = len(windows) == 1", timeout=15)
    assert anki.driver(ADD_AND_CLOSE + "result = windows[0].editor.note['Front']") == "two"
    assert anki.driver(SHARED_STATE)["fields"]["Front"] == "shared"
    assert not two.done() and not shared.done()


def test_add_cards_without_note_opens_the_add_window(gui, anki, pool):
    assert gui.call("guiAddCards") is None
    assert anki.wait_for(ADD + "result = bool(w and w.isVisible())")


def test_add_cards_answers_at_once_by_default(gui, anki, pool):
    """Without waitForAdding the reply does not wait for the user (as the
    reference), and the note still gets added when the user presses Add."""
    started = time.time()
    assert gui.call("guiAddCards", note=basic("no wait", wait=False)) is None
    assert time.time() - started < 10
    wait_for_window(anki, "no wait")
    press_add(anki)
    assert anki.wait_for("result = list(mw.col.find_notes('Front:\"no wait\"'))")


class _MediaServer(http.server.BaseHTTPRequestHandler):
    body = b"ID3 downloaded audio"

    def do_GET(self):
        if self.path != "/sound.mp3":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def media_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MediaServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_add_cards_stores_media_and_references_it(gui, anki, pool, tmp_path, media_url):
    picture = b"\x89PNG fake picture"
    local = tmp_path / "local.ogg"
    local.write_bytes(b"OggS local audio")
    note = basic("with media", "back", picture=[{
        "filename": "gui_pic.png", "data": base64.b64encode(picture).decode(), "fields": ["Back"],
    }], audio=[
        {"filename": "gui_local.ogg", "path": str(local), "fields": ["Front", "front", "Nope"]},
        {"filename": "gui_url.mp3", "url": f"{media_url}/sound.mp3", "fields": ["Back"]},
        # skipped: the client says it has this file already
        {"filename": "gui_skip.mp3", "data": base64.b64encode(b"same").decode(),
         "skipHash": hashlib.md5(b"same").hexdigest(), "fields": ["Back"]},
    ])
    reply = pool.submit(gui.call, "guiAddCards", note=note)
    state = wait_for_window(anki, "with media[sound:gui_local.ogg]")
    assert state["fields"]["Back"] == 'back[sound:gui_url.mp3]<img src="gui_pic.png">'
    media_dir = anki.driver("result = mw.col.media.dir()")
    assert open(os.path.join(media_dir, "gui_pic.png"), "rb").read() == picture
    assert open(os.path.join(media_dir, "gui_local.ogg"), "rb").read() == b"OggS local audio"
    assert open(os.path.join(media_dir, "gui_url.mp3"), "rb").read() == _MediaServer.body
    assert not os.path.exists(os.path.join(media_dir, "gui_skip.mp3"))
    press_add(anki)
    nid = reply.result(timeout=30)
    assert note_fields(anki, nid)["fields"]["Back"] == 'back[sound:gui_url.mp3]<img src="gui_pic.png">'


@pytest.mark.parametrize("note, message", [
    # the reference's own wording, which clients compare
    (basic("x") | {"modelName": "No Such Type"}, "^model was not found: No Such Type$"),
    (basic("x") | {"deckName": "No Such Deck"}, "^deck was not found: No Such Deck$"),
    ({"modelName": "Basic", "fields": {"Front": ["x"]}}, "field Front must be a string"),
    (basic("x", audio=[{"filename": "a.mp3", "fields": ["Front"]}]), "give one of data"),
    (basic("x", audio=[{"filename": "a.mp3", "data": "###", "fields": ["Front"]}]), "base64"),
    (basic("x", audio=[{"filename": "a.mp3", "url": "http://127.0.0.1:9/x", "fields": ["Front"]}]),
     "a.mp3"),
    (basic("x", picture=[{"filename": "../p.png", "data": "", "fields": ["Front"]}]), "not allowed"),
])
def test_add_cards_rejects_a_bad_note_before_opening_anything(gui, anki, note, message):
    with pytest.raises(ApiError, match=message):
        gui.call("guiAddCards", note=note)
    assert anki.driver(ADD + "result = w is None")


def test_add_cards_skips_field_names_it_does_not_match_exactly(gui, anki, pool):
    note = {"deckName": "Default", "modelName": "Basic", "options": WAIT,
            "fields": {"Front": "exact", "back": "wrong case", "Nope": "unknown"},
            "picture": {"filename": "gui_skip.png", "data": base64.b64encode(b"png").decode(),
                        "fields": ["BACK", "Nope"]}}
    with logged(anki) as log:
        reply = pool.submit(gui.call, "guiAddCards", note=note)
        state = wait_for_window(anki, "exact")
    assert state["fields"] == {"Front": "exact", "Back": ""}
    media_dir = anki.driver("result = mw.col.media.dir()")
    assert open(os.path.join(media_dir, "gui_skip.png"), "rb").read() == b"png"  # still stored
    assert [m for m in log if m.startswith("guiAddCards: field 'back' skipped")], log
    press_add(anki)
    assert note_fields(anki, reply.result(timeout=30))["fields"] == {"Front": "exact", "Back": ""}


def test_add_cards_cloze_example_of_the_docs(gui, anki):
    """The documented example works on today's Anki (its Cloze type has
    "Text" and "Back Extra")."""
    note = {"deckName": "Default", "modelName": "Cloze",
            "fields": {"Text": "The capital of Romania is {{c1::Bucharest}}",
                       "Back Extra": "Romania is a country in Europe"},
            "options": {"closeAfterAdding": True}, "tags": ["countries"]}
    assert gui.call("guiAddCards", note=note) is None
    fields = anki.wait_for(ADD_AND_CLOSE + """
notes = [w.editor.note for w in windows if w.editor.note]
result = dict(notes[0].items()) if notes else None
""")
    assert fields == note["fields"]
    anki.driver(ADD_AND_CLOSE + "windows[0].add_current_note()")
    assert anki.wait_for("result = list(mw.col.find_notes('tag:countries'))")
    assert anki.wait_for(ADD_AND_CLOSE + "result = not windows", timeout=15)


def test_add_note_set_data_needs_an_open_add_window(gui):
    reply = gui.request("guiAddNoteSetData", note={"fields": {"Front": "x"}})
    assert reply == {"result": {"error": "Add Note dialog is not open", "code": 1}, "error": None}


def test_add_cards_answers_once_the_window_shows_the_note(gui, anki):
    """What a client does right after guiAddCards meets a ready editor."""
    assert gui.call("guiAddCards", note=basic("shown", "b", wait=False)) is None
    assert anki.driver(SHARED_STATE)["fields"] == {"Front": "shown", "Back": "b"}
    assert gui.call("guiAddNoteSetData", note={"fields": {"Back": " at once"}},
                    append=True) is True
    assert anki.driver(SHARED_STATE)["fields"] == {"Front": "shown", "Back": "b at once"}


def test_add_note_set_data_fills_the_open_window(gui, anki, pool):
    anki.driver("mw.col.decks.id('Other')")
    reply = pool.submit(gui.call, "guiAddCards", note=basic("start", "back", tags=["t1"]))
    wait_for_window(anki, "start")

    assert gui.call("guiAddNoteSetData", note={"fields": {"Back": " more"}, "tags": ["t2"]},
                    append=True) is True
    state = anki.driver(SHARED_STATE)
    assert state["fields"] == {"Front": "start", "Back": "back more"}
    assert state["tags"] == ["t1", "t2"]

    assert gui.call("guiAddNoteSetData", note={"fields": {"Front": "replaced"},
                                               "tags": ["only"], "deckName": "Other"}) is True
    state = anki.driver(SHARED_STATE)
    assert state["fields"] == {"Front": "replaced", "Back": "back more"}
    assert (state["tags"], state["deck"]) == (["only"], "Other")

    # another note type: Anki carries the fields over; media names match
    # exactly, the others are skipped
    assert gui.call("guiAddNoteSetData", note={
        "modelName": "Basic (optional reversed card)", "fields": {"Add Reverse": "y"},
        "picture": {"filename": "set_data.png", "data": base64.b64encode(b"png").decode(),
                    "fields": ["Back", "front", "Nope"]},
    }) is True
    state = anki.driver(SHARED_STATE)
    assert state["model"] == "Basic (optional reversed card)"
    assert state["fields"] == {"Front": "replaced", "Back": 'back more<img src="set_data.png">',
                               "Add Reverse": "y"}

    # a field name the note type does not have is an error here, in the
    # reference's words (names match exactly), and nothing changes
    for name in ("Nope", "front"):
        answer = gui.request("guiAddNoteSetData", note={"fields": {"Back": "x", name: "x"}})
        assert answer == {"result": None, "error": f'Field "{name}" not found in current note'}
    with pytest.raises(ApiError, match="model was not found"):
        gui.call("guiAddNoteSetData", note={"modelName": "Nope"})
    assert anki.driver(SHARED_STATE)["fields"] == {
        "Front": "replaced", "Back": 'back more<img src="set_data.png">', "Add Reverse": "y"}

    press_add(anki)
    nid = reply.result(timeout=30)
    assert note_fields(anki, nid) == {
        "fields": {"Front": "replaced", "Back": 'back more<img src="set_data.png">', "Add Reverse": "y"},
        "tags": ["only"], "decks": ["Other"], "model": "Basic (optional reversed card)",
    }
