"""Helpers for tests that look inside the real Anki: make notes, close windows.

Notes are made through `anki.driver` (Anki's own collection calls) so that
these tests do not depend on the notes actions.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterable, Iterator, List

import pytest

from harness import AnkiProcess


def add_note(
    anki: AnkiProcess,
    fields: Dict[str, str],
    deck: str = "Default",
    model: str = "Basic",
    tags: Iterable[str] = (),
) -> int:
    """Add a note in Anki (its deck is created if needed); its id."""
    return anki.driver(f"""
import json
col = mw.col
note = col.new_note(col.models.by_name({model!r}))
for name, value in json.loads({json.dumps(json.dumps(fields))}).items():
    note[name] = value
note.tags = {list(tags)!r}
col.add_note(note, col.decks.id({deck!r}))
result = note.id
""")


def card_ids(anki: AnkiProcess, query: str) -> List[int]:
    return anki.driver(f"result = list(mw.col.find_cards({query!r}, order='c.id'))")


def note_fields(anki: AnkiProcess, note_id: int) -> Dict[str, Any]:
    return anki.driver(f"""
note = mw.col.get_note({note_id})
result = {{"fields": dict(note.items()), "tags": note.tags,
          "decks": sorted({{mw.col.decks.name(c.did) for c in note.cards()}}),
          "model": note.note_type()["name"]}}
""")


#: Close every window a test may have opened (without asking about drafts)
#: and go back to the deck list.
CLOSE_WINDOWS = """
from aqt.qt import QDialog
for name, entry in list(aqt.dialogs._dialogs.items()):
    window = entry[1]
    if window is None:
        continue
    if hasattr(window, "deck_chooser"):  # an Add window: drop its draft
        window.editor.set_note(None)
    window.closeWithCallback(lambda: None)
for widget in mw.app.topLevelWidgets():
    if isinstance(widget, QDialog) and widget.isVisible():
        widget.reject()
if mw.col is not None and mw.state != "deckBrowser":
    mw.moveToState("deckBrowser")
result = True
"""


#: What is still open; message boxes that came up late are dismissed too, and
#: so is the error Anki 2.1.66 itself raises when its bottom bar is re-shown
#: while the reviewer is being left (toolbar.py animate_height gets None).
STILL_OPEN = """
from aqt.qt import QDialog, QMessageBox, QTextEdit
def anki_toolbar_race(widget):
    text = " ".join(c.toPlainText() for c in widget.findChildren(QTextEdit))
    return "toolbar.py" in text and "animate_height" in text and "NoneType" in text
for widget in mw.app.topLevelWidgets():
    if isinstance(widget, QMessageBox) and widget.isVisible():
        print("AnkiConnect tests: dismissing message box:", widget.windowTitle(), widget.text())
        widget.reject()
    elif isinstance(widget, QDialog) and widget.isVisible() and anki_toolbar_race(widget):
        print("AnkiConnect tests: dismissing Anki's own toolbar error")
        widget.reject()
result = [n for n, e in aqt.dialogs._dialogs.items() if e[1] is not None] + [
    (type(w).__name__, w.windowTitle())
    for w in mw.app.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
"""

#: The text shown in the open dialogs (labels and text boxes), to say what they are.
OPEN_TEXTS = """
from aqt.qt import QDialog, QLabel, QTextEdit
result = [[w.windowTitle()] + [c.text() for c in w.findChildren(QLabel)]
          + [c.toPlainText()[:2000] for c in w.findChildren(QTextEdit)]
          for w in mw.app.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
"""


def close_windows(anki: AnkiProcess, timeout: float = 15) -> None:
    anki.driver(CLOSE_WINDOWS)
    deadline = time.time() + timeout
    while True:
        still = anki.driver(STILL_OPEN)
        if not still:
            return
        if time.time() > deadline:
            raise AssertionError(f"windows left open: {still}\n{anki.driver(OPEN_TEXTS)}\n"
                                 f"Anki's log:\n{anki.log()}")
        time.sleep(0.05)


@pytest.fixture
def gui(anki, api):
    """`api`, with every window closed before and after the test."""
    close_windows(anki)
    yield api
    close_windows(anki)


#: Listen to the add-on's log (ac.host.log, on either host) from INFO up.
LISTEN_TO_LOG = """
import logging
class Listener(logging.Handler):
    def emit(self, record):
        self.messages.append(record.getMessage())
listener = Listener(logging.INFO)
listener.messages = []
listener.old_level = ac.host.log.level
if not ac.host.log.isEnabledFor(logging.INFO):
    ac.host.log.setLevel(logging.INFO)
ac.host.log.addHandler(listener)
ac.host._test_listener = listener
result = True
"""
STOP_LISTENING = """
listener = ac.host._test_listener
ac.host.log.removeHandler(listener)
ac.host.log.setLevel(listener.old_level)
del ac.host._test_listener
result = listener.messages
"""


def server_of(request: Any, api: Any) -> Any:
    """The AnkiProcess or HeadlessProcess the `api` fixture talks to."""
    return request.getfixturevalue("headless" if api.host_kind == "headless" else "anki")


@contextmanager
def logged(server: Any) -> Iterator[List[str]]:
    """The messages the add-on logs while the block runs (filled in at its end)."""
    messages: List[str] = []
    server.driver(LISTEN_TO_LOG)
    try:
        yield messages
    finally:
        messages.extend(server.driver(STOP_LISTENING))
