"""Graphical actions in an Anki of their own (one per test), for what would
change the shared one for good: Check Database (which also re-analyses the
database, changing SQLite's query plans), the profile manager, and
guiExitAnki closing Anki."""
import os
import socket

import pytest

from anki_helpers import add_note, close_windows
from harness import AnkiProcess, ApiError


@pytest.fixture
def own_anki():
    proc = AnkiProcess()
    proc.start()
    yield proc
    proc.cleanup()


def test_check_database_runs_anki_check(own_anki):
    anki = own_anki
    nid = add_note(anki, {"Front": "lost", "Back": "x"})
    anki.driver(f"mw.col.db.execute('update cards set did = 424242 where nid = {nid}')")
    assert anki.client().call("guiCheckDatabase") is True
    # Anki's check recreates the missing deck and reports what it fixed
    assert anki.wait_for("result = bool(mw.col.decks.get(424242, default=False))", timeout=30)
    report = anki.wait_for("""
from aqt.qt import QDialog, QTextBrowser
result = [b.toPlainText() for w in mw.app.topLevelWidgets()
          if isinstance(w, QDialog) and w.isVisible() for b in w.findChildren(QTextBrowser)]
""", timeout=30)
    assert "missing deck" in report[0]
    close_windows(anki)


def test_gui_actions_need_an_open_profile_then_exit_saves_and_quits(own_anki):
    api = own_anki.client()
    own_anki.driver("mw.unloadProfileAndShowProfileManager()")
    assert own_anki.wait_for("result = mw.state == 'profileManager'")
    for action, params in [("guiBrowse", {"query": ""}), ("guiReviewActive", {}),
                           ("guiAddCards", {}), ("guiAddNoteSetData", {"note": {}}),
                           ("guiEditNote", {"note": 1}), ("guiUndo", {}),
                           ("guiDeckBrowser", {}), ("guiExitAnki", {})]:
        with pytest.raises(ApiError, match=f"{action} needs an open profile, but Anki is showing its profile manager"):
            api.call(action, **params)
    assert api.call("getProfiles") == ["User 1"]  # the server itself keeps working
    assert api.call("loadProfile", name="User 1") is True

    nid = add_note(own_anki, {"Front": "kept", "Back": "after exit"})
    assert api.call("guiExitAnki") is None  # answers first
    assert own_anki.proc.poll() is None
    assert own_anki.proc.wait(60) == 0, own_anki.log()
    with pytest.raises(OSError):  # the port is free again
        socket.create_connection(("127.0.0.1", own_anki.port), timeout=1).close()

    # the collection was closed cleanly, with the note in it
    from anki.collection import Collection

    path = os.path.join(own_anki.base, "User 1", "collection.anki2")
    assert not os.path.exists(path + "-wal")
    col = Collection(path)
    try:
        assert col.get_note(nid)["Back"] == "after exit"
    finally:
        col.close()
