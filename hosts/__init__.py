# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts: what the actions run inside.

A host owns the collection and the thread it may be used on.  Action code
reaches everything through it (`self.col`, `self.window`, `self.host`), so
the same actions serve real Anki (`hosts/gui.py`) and a headless process
(`hosts/headless.py`).  `Host` declares every method actions and the
dispatcher call; each is called on the collection's thread unless it says
otherwise.  This module must not import aqt.
"""
from __future__ import annotations

import abc
import logging
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional, Tuple

from .. import compat
from ..util import GuiUnavailable


class Host(abc.ABC):
    """The interface every host provides; the defaults are a host without Anki's windows."""

    #: Anki's windows are there (GUI actions can run)
    has_gui = False

    def __init__(self) -> None:
        from ..events import EventLog

        self.log = logging.getLogger("ankiconnect")
        #: what changed, for GET /events and getEvents (events.py)
        self.events = EventLog()

    # -- threads -----------------------------------------------------------
    @abc.abstractmethod
    def run_on_main(self, fn: Callable[[], Any]) -> Any:
        """From any thread: run `fn` on the thread that owns the collection
        and return its result (or raise its error)."""

    @abc.abstractmethod
    def is_main_thread(self) -> bool:
        """From any thread: whether this is the collection's thread."""

    # -- the collection and windows ---------------------------------------
    @property
    @abc.abstractmethod
    def col(self) -> Any:
        """The open collection, or an ActionError saying why there is none."""

    def window(self, action: str) -> Any:
        """Anki's main window, or a clear error where there is none."""
        raise GuiUnavailable(f"{action} needs the Anki desktop app")

    def after_write(self, changes: Any) -> None:
        """Tell Anki's windows what a write changed (OpChanges)."""

    def refresh_gui(self) -> None:
        """Redraw Anki's windows from the collection."""

    def notify(self, message: str) -> None:
        """Tell the user something (in Anki, a tooltip)."""
        self.log.info(message)

    # -- profiles ------------------------------------------------------------
    def profile_names(self) -> List[str]:
        return [self.active_profile() or "User 1"]

    def active_profile(self) -> Optional[str]:
        return None

    def load_profile(self, name: str) -> Any:
        """Open profile `name`: False if there is none, True once open (or
        an Offload that waits for it)."""
        raise GuiUnavailable("loadProfile needs the Anki desktop app")

    # -- config and permission ---------------------------------------------------
    @abc.abstractmethod
    def config(self) -> dict:
        """The effective config (settings.effective_config)."""

    def ask_permission(self, origin: str) -> Any:
        """Ask the user whether `origin` may use the API, without blocking:
        a Future of "yes", "no" or "ignore"."""
        raise GuiUnavailable("requestPermission cannot ask anyone without the Anki desktop app")

    def remember_origin(self, origin: str, key: str) -> None:
        """Add `origin` to the config list `key` (webCorsOriginList or
        ignoreOriginList) and save the config."""
        raise GuiUnavailable("there is no add-on config to save without the Anki desktop app")

    # -- sync -------------------------------------------------------------------
    @abc.abstractmethod
    def sync(self, full_sync: Optional[str] = None) -> None:
        """On an HTTP worker thread: sync the collection and its media;
        returns when done.  `full_sync` ("upload"/"download") says which
        side wins when the two cannot be merged."""

    # -- undo -----------------------------------------------------------------
    #: how many parts of API write actions run now (Anki's own hooks fire
    #: inside them too: what they report is the API's, already recorded)
    api_steps = 0
    #: (card id, action): the card an API action answers in Anki's reviewer
    #: (Anki records the answer later, through its own hooks)
    answering: Optional[Tuple[int, str]] = None

    @contextmanager
    def api_step(self, name: str) -> Iterator["StepChanges"]:
        """One part of an API write action: an undo step (`undo_step`); what
        Anki's hooks report meanwhile is not recorded as Anki's own change."""
        self.api_steps += 1
        try:
            with self.undo_step(name) as step:
                yield step
        finally:
            self.api_steps -= 1

    @contextmanager
    def undo_step(self, name: str) -> Iterator["StepChanges"]:
        """Make everything done inside one undo step called `name`; yields
        what it changed, known once the block is done.

        If the block raises, what it changed so far is undone, so a failed
        action leaves the collection as it was.  A step that changed nothing is
        dropped again, so Undo never shows an empty AnkiConnect step.
        """
        col = self.col
        step = col.add_custom_undo_entry(name)
        record = StepChanges()
        try:
            yield record
        except BaseException:
            self._finish_failed_step(col, step, name)
            raise
        else:
            self._finish_step(col, step, name, record)
        finally:
            compat.autosave(col)  # Anki before 23.10 leaves committing to us

    def _finish_step(self, col: Any, step: int, name: str, record: "StepChanges") -> None:
        changes = self._merge_undo(col, step, name)
        if changes is None:  # the action did something Anki cannot undo
            record.changed = True
            self.after_write(everything_changed())
        elif _changed_anything(changes):
            record.changes, record.changed = changes, True
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


class StepChanges:
    """What an undo step changed: `changes` (Anki's OpChanges; None when Anki
    could not say, e.g. for something it cannot undo) and whether anything."""

    changes: Any = None
    changed: bool = False


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
