# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host inside Anki's desktop app: Anki's main thread owns the collection.

Actions reach the main thread through a Qt signal emitted from the HTTP
thread (`MainThreadCaller`): each emission is a Qt event of its own, run as
soon as the event loop is free, with no timer.  This is what
`mw.taskman.run_on_main` does too, but taskman runs all closures that arrived
together in one batch: when one of Anki's own closures opens a modal dialog
(Check Database's report, for one), the closures after it in that batch wait
until the user closes the dialog.  Our own event is delivered by the dialog's
event loop like any other.
"""
from __future__ import annotations

import inspect
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, List, Optional, Set, Tuple

from aqt import gui_hooks
from aqt.qt import QMessageBox, QObject, Qt, QTimer, pyqtSignal

from ..settings import effective_config
from ..util import ActionError, Offload, wait_for
from ..events import api_source, changed_types
from . import CallResult, Host, merge_changes

#: How long loadProfile and sync wait for Anki to finish, in seconds.
PROFILE_SWITCH_TIMEOUT = 120
#: How long loadProfile waits for Anki's windows to close before a switch.
WINDOWS_CLOSE_TIMEOUT = 15
SYNC_TIMEOUT = 600
#: Writes are gathered before Anki's windows are told about them: they are
#: told GUI_REFRESH_DELAY_MS after the last write (short enough to look
#: instant), and while writes keep coming, at the latest
#: GUI_REFRESH_MAX_DELAY_MS after the first one.  A redraw costs Anki several
#: ms (more in its web views' process), so a client adding notes one by one
#: would otherwise spend most of its time waiting for redraws.
GUI_REFRESH_DELAY_MS = 40
GUI_REFRESH_MAX_DELAY_MS = 1000


class MainThreadCaller(QObject):
    """Runs a function on the thread that created it (Anki's main thread)
    when `call.emit(fn)` is made from any other thread."""

    call = pyqtSignal(object)

    def __init__(self, parent: Any) -> None:
        super().__init__(parent)
        self.call.connect(self._run)

    def _run(self, fn: Callable[[], Any]) -> None:
        fn()


class AnkiHost(Host):
    has_gui = True

    def __init__(self, mw: Any, addon_module: str) -> None:
        super().__init__()
        self.mw = mw
        self.addon_module = addon_module
        self._main_thread = threading.main_thread()
        self._pending: Set[CallResult] = set()
        self._pending_lock = threading.Lock()
        self._queue: List[Tuple[CallResult, Callable[[], Any]]] = []
        self._queue_scheduled = False
        self._closing = False
        self._caller = MainThreadCaller(mw)
        self._gui_changes: Any = None
        self._gui_deadline = 0.0
        self._gui_timer: Any = None
        self._announcing = False
        self._listen_to_anki()
        self._config = effective_config(self._user_config())
        #: called with the user's config after the add-on changed it itself
        self.config_changed: Callable[[dict], Any] = self.reload_config
        try:
            self.log = mw.addonManager.get_logger(addon_module)
        except AttributeError:  # Anki before 23.10
            pass

    # -- threads -----------------------------------------------------------
    def is_main_thread(self) -> bool:
        return threading.current_thread() is self._main_thread

    def run_on_main(self, fn: Callable[[], Any]) -> Any:
        if self.is_main_thread():
            return fn()
        if self._closing:
            raise ActionError("Anki is closing", "unavailable")
        call = CallResult()
        with self._pending_lock:
            self._pending.add(call)
            self._queue.append((call, fn))
            schedule, self._queue_scheduled = not self._queue_scheduled, True
        try:
            if schedule:
                try:
                    self._caller.call.emit(self._run_queued)
                except BaseException:
                    with self._pending_lock:
                        self._queue_scheduled = False
                    raise
            return call.wait()
        finally:
            with self._pending_lock:
                self._pending.discard(call)

    def _run_queued(self) -> None:
        """Main thread: run the calls queued so far.  One Qt event runs every
        call that arrived meanwhile (concurrent clients), instead of one
        event per call."""
        with self._pending_lock:
            queued, self._queue = self._queue, []
            self._queue_scheduled = False
        for call, fn in queued:
            call.run(fn)

    def close(self) -> None:
        """Anki is quitting: release every request still waiting for it."""
        self._closing = True
        with self._pending_lock:
            pending = list(self._pending)
        for call in pending:
            call.fail(ActionError("Anki is closing", "unavailable"))

    # -- collection and windows --------------------------------------------
    @property
    def col(self) -> Any:
        col = self.mw.col
        if col is None:
            raise ActionError("collection is not available: no Anki profile is open",
                              "unavailable")
        return col

    def window(self, action: str) -> Any:
        if self.mw.col is None or self.mw.state == "profileManager":
            raise ActionError(
                f"{action} needs an open profile, but Anki is showing its profile manager"
            )
        self._announce_pending_changes()
        return self.mw

    def _announce_pending_changes(self) -> None:
        """Before a graphical action: let Anki's windows catch up with the
        writes gathered so far now, not a moment after the action (a late
        redraw would undo what it shows, e.g. turn the reviewer's answer back
        to the question)."""
        if self._gui_changes is not None and threading.current_thread() is threading.main_thread():
            if self._gui_timer is not None:
                self._gui_timer.stop()
            self._announce_changes()

    def after_write(self, changes: Any) -> None:
        """Refresh Anki's windows after a write, as Anki's own operations do.

        Changes are gathered until the writes pause (GUI_REFRESH_DELAY_MS),
        or for at most GUI_REFRESH_MAX_DELAY_MS, and announced together, so
        a client adding notes one by one does not make Anki redraw its deck
        list between every two of them.
        """
        now = time.monotonic()
        if self._gui_changes is None:
            self._gui_deadline = now + GUI_REFRESH_MAX_DELAY_MS / 1000
        self._gui_changes = merge_changes(self._gui_changes, changes)
        if self._gui_timer is None:
            self._gui_timer = QTimer(self.mw)
            self._gui_timer.setSingleShot(True)
            self._gui_timer.timeout.connect(self._announce_changes)
        left_ms = int((self._gui_deadline - now) * 1000)
        self._gui_timer.start(max(0, min(GUI_REFRESH_DELAY_MS, left_ms)))

    def _announce_changes(self) -> None:
        changes, self._gui_changes = self._gui_changes, None
        if changes is None or self.mw.col is None:
            return
        mw = self.mw
        mw.update_undo_actions()
        self._announcing = True  # (what the API changed is recorded already)
        try:
            gui_hooks.operation_did_execute(changes, None)
        finally:
            self._announcing = False
        if mw.col.op_made_changes(changes):
            gui_hooks.state_did_reset()
        # Anki redraws its deck list and deck overview only while the main
        # window has focus (it dims them otherwise).  API clients write while
        # the user is in another program, so redraw those two screens now;
        # the reviewer is left to Anki, to not disturb a review under way.
        screen = {"deckBrowser": mw.deckBrowser, "overview": mw.overview}.get(mw.state)
        if screen is not None and getattr(screen, "_refresh_needed", False):
            screen.refresh_if_needed()
            mw.fade_in_webview()

    # -- Anki's own changes, as events ----------------------------------------
    def _listen_to_anki(self) -> None:
        """Record what changes in Anki's windows or by other add-ons (source
        `anki`), from Anki's hooks; what an API action changes is recorded
        by the dispatcher, so hooks that fire inside one are left out."""
        from anki import hooks

        def ours() -> bool:
            return self.api_steps > 0 or self._announcing

        def operation(changes: Any, handler: Any) -> None:
            if not ours() and handler is not getattr(self.mw, "reviewer", None):
                for kind in changed_types(changes):
                    self.events.record(kind)

        def deleted(col: Any, ids: Any) -> None:
            if not ours():
                self.events.record("notes.deleted", list(ids))

        def added(note: Any) -> None:
            if not ours():
                self.events.record("notes.added", [note.id])

        def answered(reviewer: Any, card: Any, ease: int) -> None:
            by_api = self.answering
            source = api_source(by_api[1]) if by_api and by_api[0] == card.id else None
            self.events.record("cards.changed", [card.id], source, reason="reviewed", ease=ease)

        gui_hooks.operation_did_execute.append(operation)
        hooks.notes_will_be_deleted.append(deleted)
        gui_hooks.add_cards_did_add_note.append(added)
        gui_hooks.reviewer_did_answer_card.append(answered)
        gui_hooks.sync_did_finish.append(lambda: self.events.record("sync.finished"))
        gui_hooks.profile_did_open.append(
            lambda: self.events.record("profile.opened", [self.mw.pm.name]))
        gui_hooks.profile_will_close.append(
            lambda: self.events.record("profile.closed", [self.mw.pm.name]))

    def refresh_gui(self) -> None:
        if self.mw.col is not None:
            self.mw.reset()

    def notify(self, message: str) -> None:
        from aqt.utils import tooltip

        self.log.info(message)
        if self.mw.col is not None:
            tooltip(message, period=5000)

    # -- profiles ------------------------------------------------------------
    def profile_names(self) -> List[str]:
        return list(self.mw.pm.profiles())

    def active_profile(self) -> Optional[str]:
        return self.mw.pm.name if self.mw.col is not None else None

    def load_profile(self, name: str) -> Any:
        """Open profile `name`: `False` if there is none, `True` once it is
        open (Offloads that wait for Anki, off the main thread).

        Anki's windows are closed first, as Anki does before a switch.  One
        may wait for the user (an Add window asks whether to discard what
        was typed): if they are not closed within WINDOWS_CLOSE_TIMEOUT,
        the profile is not switched and the reply says why, so the request
        never hangs and a late answer of the user switches nothing."""
        mw = self.mw
        if name not in mw.pm.profiles():
            return False
        if mw.col is not None and mw.pm.name == name:
            return True
        closed: Future = Future()

        def windows_closed() -> None:
            if not closed.done():  # (cancelled when the request gave up)
                closed.set_result(True)

        def wait_for_windows() -> None:
            try:
                closed.result(WINDOWS_CLOSE_TIMEOUT)
            except FutureTimeout:
                if closed.cancel():
                    still_open = ", ".join(open_window_names()) or "none"
                    raise ActionError(
                        f"loadProfile: Anki's windows did not close within "
                        f"{WINDOWS_CLOSE_TIMEOUT} seconds, so the profile was not switched: "
                        "a window may be waiting for the user (the Add window asks whether "
                        "to discard what was typed). Close it in Anki and try again. "
                        f"Still open: {still_open}."
                    ) from None

        # From the event loop, not inside this request's own callback, so that
        # Anki closes its windows with nothing of ours on the stack.
        QTimer.singleShot(0, lambda: mw.closeAllWindows(windows_closed))
        return Offload(wait_for_windows, lambda _: self._switch_profile(name))

    def _switch_profile(self, name: str) -> Any:
        """With Anki's windows closed: close the open profile (Anki saves it,
        and syncs if the user set that up) and open `name`."""
        mw = self.mw
        opened: Future = Future()

        def on_open() -> None:
            gui_hooks.profile_did_open.remove(on_open)
            opened.set_result(True)

        def open_profile() -> None:
            mw.pm.load(name)
            if mw.state == "profileManager" and getattr(mw, "profileDiag", None):
                mw.profileDiag.closeWithoutQuitting()
            mw.loadProfile()

        def start() -> None:
            gui_hooks.profile_did_open.append(on_open)
            if mw.col is None:
                open_profile()
            else:
                mw.unloadProfile(open_profile)

        QTimer.singleShot(0, start)
        return wait_for(opened, "loadProfile", PROFILE_SWITCH_TIMEOUT,
                        then=lambda _: mw.col is not None and mw.pm.name == name)

    # -- config -------------------------------------------------------------
    def _user_config(self) -> dict:
        return self.mw.addonManager.getConfig(self.addon_module) or {}

    def config(self) -> dict:
        return self._config

    def reload_config(self, user: Optional[dict] = None) -> dict:
        self._config = effective_config(user if user is not None else self._user_config())
        return self._config

    def remember_origin(self, origin: str, key: str) -> None:
        """Add `origin` to the config list `key` and save the config."""
        user = self._user_config()
        values = list(user.get(key) or [])
        if origin not in values:
            values.append(origin)
        user[key] = values
        self.mw.addonManager.writeConfig(self.addon_module, user)
        self.config_changed(user)

    # -- permission dialog ---------------------------------------------------
    def ask_permission(self, origin: str) -> Future:
        """Ask the user whether `origin` may use the API, without blocking."""
        answer: Future = Future()
        box = QMessageBox(self.mw)
        box.setObjectName("ankiconnect-permission")
        box.setWindowTitle("AnkiConnect")
        box.setIcon(QMessageBox.Icon.Question)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"{origin} is asking for permission to use your Anki collection.")
        box.setInformativeText(
            "Allow it only if you trust this website or program: it will be able "
            "to read and change your cards and notes."
        )
        yes = box.addButton("Allow", QMessageBox.ButtonRole.YesRole)
        no = box.addButton("Deny", QMessageBox.ButtonRole.NoRole)
        ignore = box.addButton("Ignore this origin", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setWindowModality(Qt.WindowModality.NonModal)

        def finished(*_: Any) -> None:
            clicked = box.clickedButton()
            if not answer.done():
                answer.set_result(
                    "yes" if clicked is yes else "ignore" if clicked is ignore else "no"
                )
            box.deleteLater()

        box.finished.connect(finished)
        box.show()
        box.raise_()
        box.activateWindow()
        return answer

    # -- sync -----------------------------------------------------------------
    def sync(self, full_sync: Optional[str] = None) -> None:
        """Anki's own sync, as its Sync button does; returns when the
        collection and media are synced.

        The server is asked first (off the main thread) whether a full sync is
        needed, so that it is reported, or done in the direction `full_sync`
        names, instead of waiting on Anki's question to the user.
        """
        mw = self.mw

        def profile_auth() -> Any:
            self.window("sync")
            auth = mw.pm.sync_auth()
            if not auth:
                raise ActionError("sync: Anki is not logged in to a sync account")
            return auth

        auth = self.run_on_main(profile_auth)
        self._wait_for_media_sync()  # meanwhile the Sync button only shows the media log
        try:
            status = self.col.sync_status(auth)
        except Exception as e:
            raise ActionError(f"sync: {e}") from None
        if status.required == status.FULL_SYNC:
            if full_sync not in ("upload", "download"):
                raise ActionError(
                    "sync: this collection and the server's cannot be merged: a full sync "
                    "is required, which replaces one side with the other; call sync with "
                    '"fullSync": "upload" to replace the server\'s collection with this one, '
                    'or "download" to replace this one with the server\'s'
                )
            self._wait_on_main(lambda done: self._full_sync(full_sync == "upload", done))
            self._wait_for_media_sync()
        self._wait_on_main(self._sync_button)
        self._wait_for_media_sync()
        if not self.run_on_main(mw.pm.sync_auth):
            raise ActionError("sync: the sync server refused Anki's login; log in again in Anki")

    def _wait_on_main(self, start: Callable[[Callable[[], None]], None]) -> None:
        """Run `start(done)` on the main thread and wait until it calls `done`."""
        finished: Future = Future()

        def done() -> None:
            if not finished.done():
                finished.set_result(None)

        self.run_on_main(lambda: start(done))
        try:
            finished.result(timeout=SYNC_TIMEOUT)
        except Exception:
            raise ActionError("sync: Anki's sync did not finish in time") from None

    def _sync_button(self, done: Callable[[], None]) -> None:
        def finished() -> None:
            gui_hooks.sync_did_finish.remove(finished)
            done()

        gui_hooks.sync_did_finish.append(finished)
        trigger = getattr(self.mw, "on_sync_button_clicked", None) or self.mw.onSync
        trigger()

    def _full_sync(self, upload: bool, done: Callable[[], None]) -> None:
        """Anki's own full upload or download, without its confirmation dialog;
        media follows in the normal sync after it."""
        from aqt import sync as aqt_sync

        run = aqt_sync.full_upload if upload else aqt_sync.full_download
        if len(inspect.signature(run).parameters) >= 3:  # (mw, server_usn, on_done)
            self.mw.closeAllWindows(lambda: run(self.mw, None, done))
        else:  # Anki before 23.10: (mw, on_done)
            self.mw.closeAllWindows(lambda: run(self.mw, done))

    def _wait_for_media_sync(self) -> None:
        deadline = time.monotonic() + SYNC_TIMEOUT
        while self.mw.media_syncer.is_syncing():
            if time.monotonic() > deadline:
                raise ActionError("sync: Anki's media sync did not finish in time")
            time.sleep(0.05)


def open_window_names() -> List[str]:
    """The names of Anki's managed windows that are open (e.g. "AddCards")."""
    from ..compat import open_dialog_names

    return open_dialog_names()


def keep_out_of_app_nap(log: Any) -> None:
    """On macOS, stop App Nap from throttling Anki while it serves: with
    Anki in the background, requests would otherwise take seconds.  Anki
    offers this to add-ons (`macos_helper.disable_appnap`, newer Anki on
    macOS); elsewhere there is no such helper and nothing happens."""
    try:
        from aqt._macos_helper import macos_helper
    except Exception:  # an Anki without the helper module
        return
    disable = getattr(macos_helper, "disable_appnap", None)
    if disable is not None:
        disable()
        log.info("AnkiConnect: App Nap disabled while Anki runs (config: disableAppNap)")


def addon_module_name(module: str) -> str:
    """The add-on's folder name, whatever AnkiWeb called it."""
    return module.split(".")[0]


class AnkiService:
    """AnkiConnect inside Anki: the host, the dispatcher and the web server.

    The server starts when the first profile opens and keeps serving while
    Anki runs (through profile switches, so `loadProfile` and `getProfiles`
    work from the profile manager too).  It stops, freeing the port, when
    Anki quits.  Saving the add-on config applies it at once.
    """

    def __init__(self, mw: Any, module: str) -> None:
        from ..AnkiConnect import AnkiConnect
        from ..web import ApiApp, ServerSettings, WebServer, redact_keys

        self.mw = mw
        self.module = addon_module_name(module)
        self.host = AnkiHost(mw, self.module)
        self.connect = AnkiConnect(self.host)
        self.app = ApiApp(
            self.connect,
            ServerSettings.from_config(self.host.config()),
            blocked_origins=self._anki_web_origins,
            redact=redact_keys,
        )
        self.server = WebServer(self.app, self.host.log)
        self.host.config_changed = self.apply_config
        self._warning: Any = None
        gui_hooks.profile_did_open.append(self.start)
        mw.app.aboutToQuit.connect(self.stop)
        mw.addonManager.setConfigUpdatedAction(self.module, self.apply_config)
        if mw.col is not None:
            self.start()

    def _anki_web_origins(self) -> List[str]:
        try:
            port = self.mw.mediaServer.getPort()
        except Exception:
            return []
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    def start(self) -> None:
        if self.server.running:
            return
        self.app.configure(self.app.settings)  # Anki's own web origins are known now
        problem = self.server.start()
        if problem:
            self.host.log.error(problem)
            print(problem)
            self._show_warning(problem)
        elif self.host.config().get("disableAppNap"):
            keep_out_of_app_nap(self.host.log)

    def stop(self) -> None:
        self.host.close()
        self.server.stop()

    def apply_config(self, user_config: dict) -> None:
        """The user saved the add-on config: use it now, rebinding if needed."""
        from ..web import ServerSettings

        old = self.app.settings
        new = ServerSettings.from_config(self.host.reload_config(user_config))
        self.app.configure(new)
        rebind = (old.bind_address, old.bind_port, old.max_request_bytes) != (
            new.bind_address, new.bind_port, new.max_request_bytes)
        if rebind or not self.server.running:
            self.server.stop()
            self.start()

    def _show_warning(self, text: str) -> None:
        # Not modal: Anki stays usable, and nothing waits for a click.
        box = QMessageBox(self.mw)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("AnkiConnect")
        box.setText(text)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        self._warning = box


__all__ = ["AnkiHost", "AnkiService", "addon_module_name"]
