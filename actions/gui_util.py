# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the Graphical actions.

Anki's windows often finish their work later than the call that starts it
(the browser saves its editor's note first, the reviewer answers a card in
the background, the Add window waits for the user).  Such actions run on the
HTTP thread (`main_thread=False`): they start the work on Anki's main thread,
which hands back a Future, and wait for it here, so Anki stays responsive
and no dialog is ever run modally from an action.  No aqt import here.
"""
from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Optional

from ..util import ActionError

#: How long an action waits for Anki to finish what it started, in seconds.
GUI_TIMEOUT = 60.0


def start_and_wait(
    conn: Any, action: str, start: Callable[[], Any], timeout: Optional[float] = GUI_TIMEOUT
) -> Any:
    """Run `start()` on Anki's main thread; if it returns a Future, wait for
    it on this (HTTP) thread and return its result, else return its value.

    `timeout=None` waits as long as it takes (for the user).
    """
    value = conn.on_main(start)
    if not isinstance(value, Future):
        return value
    try:
        return value.result(timeout)
    except FutureTimeout:
        raise ActionError(f"{action}: Anki did not finish in {timeout:g} seconds") from None


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
