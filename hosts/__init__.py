# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts: what the actions run inside.

A host owns the collection and the thread it may be used on.  Action code
reaches everything through it (`self.col`, `self.window`, `self.on_main`), so
the same actions serve real Anki (`hosts/gui.py`) and a headless process
(`hosts/headless.py`).  This module must not import aqt.
"""
from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional

from .. import compat
from ..util import GuiUnavailable


class Host:
    """The interface every host provides; the base is GUI-less."""

    #: shown in errors of GUI actions, e.g. "guiBrowse needs the Anki desktop app"
    kind = "headless"
    has_gui = False

    def __init__(self) -> None:
        self.log = logging.getLogger("ankiconnect")

    # -- threads -----------------------------------------------------------
    def run_on_main(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the thread that owns the collection; return its result."""
        raise NotImplementedError

    def is_main_thread(self) -> bool:
        raise NotImplementedError

    # -- the collection and windows ---------------------------------------
    @property
    def col(self) -> Any:
        raise NotImplementedError

    def window(self, action: str) -> Any:
        """Anki's main window, or a clear error where there is none."""
        raise GuiUnavailable(f"{action} needs the Anki desktop app")

    def after_write(self, changes: Any) -> None:
        """Tell the GUI what a write changed (no-op without a GUI)."""

    # -- profiles ------------------------------------------------------------
    def profile_names(self) -> List[str]:
        return [self.active_profile() or "User 1"]

    def active_profile(self) -> Optional[str]:
        return None

    # -- config ---------------------------------------------------------------
    def config(self) -> dict:
        raise NotImplementedError

    def save_config(self, config: dict) -> None:
        raise NotImplementedError

    # -- undo -----------------------------------------------------------------
    @contextmanager
    def undo_step(self, name: str) -> Iterator[None]:
        """Make everything done inside one undo step called `name`.

        If the block raises, what it changed so far is undone, so a failed
        action leaves the collection as it was.  A step that changed nothing is
        dropped again, so Undo never shows an empty AnkiConnect step.
        """
        col = self.col
        step = col.add_custom_undo_entry(name)
        try:
            yield
        except BaseException:
            self._finish_failed_step(col, step, name)
            raise
        else:
            self._finish_step(col, step, name)
        finally:
            compat.autosave(col)  # Anki before 23.10 leaves committing to us

    def _finish_step(self, col: Any, step: int, name: str) -> None:
        changes = self._merge_undo(col, step, name)
        if changes is None:  # the action did something Anki cannot undo
            self.after_write(everything_changed())
        elif _changed_anything(changes):
            self.after_write(changes)
        else:
            self._drop_step(col, name)

    def _finish_failed_step(self, col: Any, step: int, name: str) -> None:
        """Undo what a failed action changed so far."""
        changes = self._merge_undo(col, step, name)
        if changes is not None:
            self._drop_step(col, name)
            if _changed_anything(changes):
                self.after_write(changes)

    @staticmethod
    def _merge_undo(col: Any, step: int, name: str) -> Any:
        try:
            changes = col.merge_undo_entries(step)
        except Exception:
            return None
        return changes if col.undo_status().undo == name else None

    @staticmethod
    def _drop_step(col: Any, name: str) -> None:
        if col.undo_status().undo == name:
            col.undo()


def _changed_anything(changes: Any) -> bool:
    return any(getattr(changes, f.name) for f in changes.DESCRIPTOR.fields)


def everything_changed() -> Any:
    from anki.collection import OpChanges

    changes = OpChanges()
    for f in changes.DESCRIPTOR.fields:
        setattr(changes, f.name, True)
    return changes


def merge_changes(a: Any, b: Any) -> Any:
    """OpChanges with each flag set where either `a` or `b` has it."""
    if a is None:
        return b
    for f in b.DESCRIPTOR.fields:
        if getattr(b, f.name):
            setattr(a, f.name, True)
    return a


class CallResult:
    """A result handed from the owning thread back to a waiting HTTP thread."""

    __slots__ = ("_done", "_value", "_error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._value: Any = None
        self._error: Optional[BaseException] = None

    def run(self, fn: Callable[[], Any]) -> None:
        try:
            self._value = fn()
        except BaseException as e:  # handed to the waiting thread
            self._error = e
        finally:
            self._done.set()

    def fail(self, error: BaseException) -> None:
        if not self._done.is_set():
            self._error = error
            self._done.set()

    def wait(self) -> Any:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes", "on"}
