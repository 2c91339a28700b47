# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the Graphical actions.

Anki's windows often finish their work later than the call that starts it
(the browser saves its editor's note first, the reviewer answers a card in
the background, the Add window waits for the user).  Such actions start the
work on Anki's main thread and hand back `wait_for(future, ...)` (util.py):
the dispatcher waits for the Future on the HTTP thread, so Anki stays
responsive and no dialog is ever run modally from an action.  No aqt
import here.
"""
from __future__ import annotations

from concurrent.futures import Future
from typing import Any


def resolve(future: Future, value: Any) -> None:
    """Set `future`'s result unless it already has one."""
    if not future.done():
        future.set_result(value)


def fail(future: Future, error: BaseException) -> None:
    """Set `future`'s error unless it already has a result."""
    if not future.done():
        future.set_exception(error)


def bring_to_front(window: Any) -> None:
    """Show `window` above the others, as Anki's dialog manager does."""
    from aqt.qt import Qt

    if window.windowState() & Qt.WindowState.WindowMinimized:
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.activateWindow()
    window.raise_()
