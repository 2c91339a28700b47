# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graphical actions: Anki's own windows, driven over the API.

Split by window: `gui_browser.py` (the browser), `gui_review.py` (deck
list, overview, reviewer), `gui_add.py` (the Add window); this module has
the rest and combines them.  Windows open through Anki's dialog manager
(`aqt.dialogs`), so an open one is reused and brought to the front.  No
action runs a dialog modally: where Anki must finish something first, the
action waits on its HTTP thread (see `gui_util.py`).
"""
from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any, Optional

from ..util import ActionError, action, wait_for
from .gui_add import AddCardsGui
from .gui_browser import BrowserGui
from .gui_review import ReviewGui
from .gui_util import bring_to_front, resolve

#: guiExitAnki closes Anki this long after replying, in milliseconds.
EXIT_DELAY_MS = 1000


class GuiActions(BrowserGui, ReviewGui, AddCardsGui):
    @action(gui=True)
    def guiEditNote(self, note: int) -> None:
        """Open AnkiConnect's note editor on note `note` (or bring it to the front with that note).

        The editor saves changes as they are typed.  Its buttons: Preview
        (Anki's previewer for the note's cards), Previous / Next (back and
        forth through the notes the editor was opened on), Browse (Anki's
        browser, showing the note).  The reply comes once the note is in the
        editor.

        note: the note id.

        Example: {"note": 1649198355435} -> null
        """

        mw = self.window("guiEditNote")
        try:
            self.col.get_note(note)
        except Exception:
            raise ActionError(f"Note was not found: {note}", "not_found") from None
        from ..edit import open_note

        done: Future = Future()
        dialog = open_note(mw, note, on_shown=lambda: resolve(done, None))
        bring_to_front(dialog)
        return wait_for(done, "guiEditNote")

    @action(gui=True)
    def guiUndo(self) -> bool:
        """Undo the last change, as Edit > Undo does; `false` if there is nothing to undo.

        The reply comes once Anki has undone it and refreshed its windows.

        Example: {} -> true
        """

        mw = self.window("guiUndo")
        if not self.col.undo_status().undo:
            return False
        from aqt import gui_hooks

        done: Future = Future()

        def undone(*_: Any) -> None:
            gui_hooks.state_did_undo.remove(undone)
            resolve(done, True)

        gui_hooks.state_did_undo.append(undone)
        mw.undo()
        return wait_for(done, "guiUndo")

    @action(gui=True)
    def guiImportFile(self, path: Optional[str] = None) -> None:
        """Open Anki's import window for the file at `path`; without `path`, Anki asks the user for a file.

        The user reviews the import options and imports (or cancels) in
        Anki; the reply comes at once.  Any file Anki imports works: .apkg,
        .colpkg (after Anki's confirmation), .csv/.tsv/.txt and the others
        its File > Import offers.  To import a deck package without asking
        the user, use importPackage.

        path: the file's full path (on Windows, forward slashes work too).

        Example: {"path": "/home/user/Downloads/deck.apkg"} -> null
        """
        mw = self.window("guiImportFile")
        from aqt.qt import QTimer

        import aqt.import_export.importing as importing

        if path is None:
            # Anki's file picker is modal: opened after this reply
            QTimer.singleShot(0, lambda: importing.prompt_for_file_then_import(mw))
            return
        full = os.path.abspath(os.path.expanduser(path))
        if not os.path.isfile(full):
            raise ActionError(f"guiImportFile: no such file: {path}")
        endings = sorted(importing.all_accepted_file_endings(mw))
        if not any(full.lower().endswith(e.lower()) for e in endings):
            raise ActionError(
                f"guiImportFile: Anki cannot import {os.path.basename(full)!r}; "
                f"it imports {', '.join(endings)}"
            )
        # opened from the event loop: some importers ask the user modally first
        QTimer.singleShot(0, lambda: importing.import_file(mw, full))

    @action(gui=True)
    def guiCheckDatabase(self) -> bool:
        """Start Tools > Check Database; `true` at once, while the check runs.

        Anki shows the outcome when the check has finished (a short note if
        all is well, a report of what it fixed otherwise).

        Example: {} -> true
        """
        self.window("guiCheckDatabase").onCheckDB()
        return True

    @action(gui=True)
    def guiExitAnki(self) -> None:
        """Close Anki, as closing its main window does; the reply comes first.

        One second after replying, Anki closes its windows, saves and closes
        the collection (syncing first if the profile syncs on close) and
        quits; AnkiConnect stops serving then.

        Example: {} -> null
        """
        mw = self.window("guiExitAnki")
        from aqt.qt import QTimer

        QTimer.singleShot(EXIT_DELAY_MS, mw.close)
