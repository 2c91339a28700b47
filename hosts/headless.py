# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The headless host: the same API served from a collection file, without Qt.

    python -m ankiconnect serve [--collection PATH] [--bind ADDRESS] [--port N] ...

The collection is opened with the `anki` library alone (nothing here imports
aqt or Qt).  One thread, the collection's owner, opens it, runs every action
from a queue one at a time, and closes it: `run_on_main` posts a call to that
queue and waits for its result, as Anki's main thread does for the add-on.
The HTTP side is the add-on's own (web.py, AnkiConnect.handle).

`sync` logs in with the credentials from the config or the environment
(ANKICONNECT_SYNC_USER, ANKICONNECT_SYNC_PASSWORD, ANKICONNECT_SYNC_ENDPOINT)
and syncs the collection and its media with AnkiWeb or a self-hosted server.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .. import compat
from ..settings import effective_config
from ..util import ActionError
from ..web import is_loopback
from . import CallResult, Host

#: the running service, for tools (and the test suite) that look inside
service: Optional["HeadlessService"] = None

MEDIA_POLL_SECONDS = 0.05
FULL_SYNC_HELP = {
    "upload": 'call sync with "fullSync": "upload" to replace the server\'s collection with this one',
    "download": 'call sync with "fullSync": "download" to replace this collection with the server\'s',
}


class HeadlessHost(Host):
    """A collection file, owned by one thread that runs every action."""

    def __init__(self, collection_path: str, config: Dict[str, Any]) -> None:
        super().__init__()
        self.path = os.path.abspath(collection_path)
        self._config = config
        self._col: Any = None
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self._lock = threading.Lock()  # orders posting against closing
        self._closing = False
        self._opened = threading.Event()
        self._open_error: Optional[BaseException] = None
        self._thread = threading.Thread(
            target=self._own_collection, name="AnkiConnect collection", daemon=True
        )
        self._sync_lock = threading.Lock()
        self._sync_auth: Any = None

    # -- the owning thread -------------------------------------------------------
    def open(self) -> None:
        """Start the owning thread and open the collection on it (or raise)."""
        self._thread.start()
        self._opened.wait()
        if self._open_error is not None:
            self._thread.join()
            raise self._open_error

    def _own_collection(self) -> None:
        from anki.collection import Collection

        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._col = Collection(self.path)
        except BaseException as e:
            self._open_error = e
            self._opened.set()
            return
        self._opened.set()
        while True:
            item = self._queue.get()
            if item is None:
                break
            call, fn = item
            call.run(lambda: self._run_and_save(fn))
        col, self._col = self._col, None
        try:
            col.close()
        except Exception:
            self.log.exception("closing the collection failed")

    def _run_and_save(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        finally:  # committed before the reply goes out (Anki before 23.10)
            try:
                compat.autosave(self._col)
            except Exception:
                self.log.exception("saving the collection failed")

    def close(self) -> None:
        """Finish the action in progress, close the collection, stop the thread."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join()

    def abort(self) -> None:
        """Ask a running sync to stop (a second Ctrl+C while it runs)."""
        col = self._col
        if col is not None:
            for stop in ("abort_sync", "abort_media_sync"):
                try:
                    getattr(col, stop)()
                except Exception:
                    pass

    # -- Host ----------------------------------------------------------------------
    def is_main_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def run_on_main(self, fn: Callable[[], Any]) -> Any:
        if self.is_main_thread():
            return fn()
        call = CallResult()
        with self._lock:
            if self._closing:
                raise ActionError("AnkiConnect is shutting down", "unavailable")
            self._queue.put((call, fn))
        return call.wait()

    @property
    def col(self) -> Any:
        if self._col is None:
            raise ActionError("the collection is not open", "unavailable")
        return self._col

    def active_profile(self) -> Optional[str]:
        return Path(self.path).stem

    def config(self) -> dict:
        return self._config

    # -- sync ----------------------------------------------------------------------
    def sync(self, full_sync: Optional[str] = None) -> None:
        """Sync the collection, then its media, with the configured server.

        A full sync (the two sides cannot be merged) happens only when
        `full_sync` says which side wins; otherwise it is reported.
        """
        from anki.errors import Interrupted, NetworkError, SyncError, SyncErrorKind

        with self._sync_lock:
            try:
                logged_in = self._sync_auth is not None
                try:
                    out = self.run_on_main(lambda: self._sync_collection(self._auth()))
                except SyncError as e:
                    if e.kind is not SyncErrorKind.AUTH or not logged_in:
                        raise
                    self._sync_auth = None  # the saved login expired: log in again
                    out = self.run_on_main(lambda: self._sync_collection(self._auth()))
                if _needs_full_sync(out):
                    upload = _full_sync_direction(out, full_sync)
                    auth = self._sync_auth
                    self.run_on_main(lambda: self._full_sync(auth, upload))
                self._sync_media(self._sync_auth)
                self.events.record("sync.finished", source={"kind": "api", "action": "sync"})
            except SyncError as e:
                if e.kind is SyncErrorKind.AUTH:
                    self._sync_auth = None
                raise ActionError(f"sync: {e}") from None
            except NetworkError as e:
                raise ActionError(f"sync: cannot reach the sync server: {e}") from None
            except Interrupted:
                raise ActionError("sync: interrupted (the server is stopping)") from None

    def _auth(self) -> Any:
        if self._sync_auth is None:
            config = self._config
            user, password = config.get("syncUser"), config.get("syncPassword")
            if not user or not password:
                raise ActionError(
                    "sync: not logged in to a sync account: set ANKICONNECT_SYNC_USER and "
                    "ANKICONNECT_SYNC_PASSWORD (and ANKICONNECT_SYNC_ENDPOINT for a "
                    "self-hosted server)"
                )
            self._sync_auth = compat.sync_login(
                self.col, user, password, config.get("syncEndpoint") or None
            )
        return self._sync_auth

    def _sync_collection(self, auth: Any) -> Any:
        col = self.col
        try:
            out = compat.sync_collection(col, auth)
        finally:
            col.models._clear_cache()  # note types may have changed
            col._load_scheduler()
        if getattr(out, "new_endpoint", ""):
            auth.endpoint = out.new_endpoint  # AnkiWeb moved this account
        if getattr(out, "server_message", ""):
            self.log.warning("sync server says: %s", out.server_message)
        return out

    def _full_sync(self, auth: Any, upload: bool) -> None:
        col = self.col
        self.log.info("full sync: %s", "upload" if upload else "download")
        col.close_for_full_sync()
        try:
            compat.full_sync(col, auth, upload)
        finally:
            col.reopen(after_full_sync=True)
            col.models._clear_cache()

    def _sync_media(self, auth: Any) -> None:
        """Sync media and wait for it, without holding the collection's thread
        (media sync calls are safe off it: Anki makes them from a background
        thread too)."""
        try:
            if not compat.media_sync_in_background(self.col):
                self.col.sync_media(auth)
                return
            self.run_on_main(lambda: self.col.sync_media(auth))
            while compat.media_sync_active(self.col):
                time.sleep(MEDIA_POLL_SECONDS)
        except ActionError:
            raise
        except Exception as e:
            raise ActionError(f"sync: media sync failed: {e}") from None


def _needs_full_sync(out: Any) -> bool:
    return out.required in (out.FULL_SYNC, out.FULL_DOWNLOAD, out.FULL_UPLOAD)


def _full_sync_direction(out: Any, choice: Optional[str]) -> bool:
    """True to upload, False to download; a clear error when that is not chosen
    (or not possible)."""
    if out.required == out.FULL_UPLOAD:
        if choice == "upload":
            return True
        reason = "sync: the server has no collection yet (or the two collections cannot be merged and the server's is empty)"
        if choice == "download":
            raise ActionError(f"{reason}, so there is nothing to download; {FULL_SYNC_HELP['upload']}")
        raise ActionError(f"{reason}: a full upload is required; {FULL_SYNC_HELP['upload']}")
    if out.required == out.FULL_DOWNLOAD:
        if choice == "download":
            return False
        reason = "sync: this collection is empty and the server's is not"
        if choice == "upload":
            raise ActionError(f"{reason}: uploading would empty the server's collection; "
                              f"{FULL_SYNC_HELP['download']}")
        raise ActionError(f"{reason}: a full download is required; {FULL_SYNC_HELP['download']}")
    if choice in ("upload", "download"):
        return choice == "upload"
    raise ActionError(
        "sync: this collection and the server's cannot be merged (for example a note "
        "type was changed on one side): a full sync is required, which replaces one "
        f"side with the other; {FULL_SYNC_HELP['upload']}, or {FULL_SYNC_HELP['download']}"
    )
# ---------------------------------------------------------------------------
# The service and the command line


class HeadlessService:
    """The headless host, the dispatcher and the add-on's own web server."""

    def __init__(self, host: HeadlessHost) -> None:
        from ..AnkiConnect import AnkiConnect
        from ..web import ApiApp, ServerSettings, WebServer, redact_keys

        self.host = host
        self.connect = AnkiConnect(host)
        self.app = ApiApp(
            self.connect,
            ServerSettings.from_config(host.config()),
            redact=redact_keys,
        )
        self.server = WebServer(self.app, host.log)

    def start(self) -> Optional[str]:
        return self.server.start()

    def stop(self) -> None:
        """Stop listening, then close the collection once the current action ends."""
        self.server.stop()
        self.host.close()


def default_collection_path() -> str:
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "ankiconnect", "collection.anki2")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ankiconnect",
        description="Serve the AnkiConnect API from an Anki collection, without the Anki app.",
        epilog="Environment: ANKICONNECT_COLLECTION, ANKICONNECT_BIND_ADDRESS, "
        "ANKICONNECT_BIND_PORT, ANKICONNECT_API_KEY, ANKICONNECT_CORS_ORIGIN, "
        "ANKICONNECT_SYNC_USER, ANKICONNECT_SYNC_PASSWORD, ANKICONNECT_SYNC_ENDPOINT. "
        "Flags win over the environment, which wins over --config.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the API (the default command)")
    serve.add_argument("--collection", metavar="PATH",
                       help="the collection file, created if missing "
                       f"(default: $ANKICONNECT_COLLECTION or {default_collection_path()})")
    serve.add_argument("--bind", metavar="ADDRESS",
                       help="address to listen on (default 127.0.0.1; anything else needs an API key)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8765)")
    serve.add_argument("--api-key", metavar="KEY",
                       help="require this key in every request (prefer ANKICONNECT_API_KEY: "
                       "command lines are visible to other users)")
    serve.add_argument("--cors-origin", metavar="ORIGIN", action="append", default=[],
                       help="also allow this web origin (repeatable)")
    serve.add_argument("--config", metavar="FILE",
                       help="a JSON file with the add-on's config keys (see config.md) and "
                       "syncUser, syncPassword, syncEndpoint")
    serve.add_argument("--sync-user", metavar="USER", help="AnkiWeb or sync server user name")
    serve.add_argument("--sync-endpoint", metavar="URL",
                       help="a self-hosted sync server, e.g. http://127.0.0.1:8080/ (default: AnkiWeb)")
    serve.add_argument("--log-level", default="INFO",
                       choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv.insert(0, "serve")
    return parser.parse_args(argv)


def load_config(args: argparse.Namespace) -> Dict[str, Any]:
    """Defaults, then --config, then the environment, then the flags."""
    user: Dict[str, Any] = {}
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            user = json.load(f)
        if not isinstance(user, dict):
            raise ValueError(f"{args.config} must hold a JSON object")
    config = effective_config(user)
    env = os.environ
    for key, var in (("syncUser", "ANKICONNECT_SYNC_USER"),
                     ("syncPassword", "ANKICONNECT_SYNC_PASSWORD"),
                     ("syncEndpoint", "ANKICONNECT_SYNC_ENDPOINT")):
        if env.get(var):
            config[key] = env[var]
    if args.sync_user:
        config["syncUser"] = args.sync_user
    if args.sync_endpoint:
        config["syncEndpoint"] = args.sync_endpoint
    if args.bind:
        config["webBindAddress"] = args.bind
    if args.port is not None:
        config["webBindPort"] = args.port
    if args.api_key:
        config["apiKey"] = args.api_key
    for origin in args.cors_origin:
        if origin not in config["webCorsOriginList"]:
            config["webCorsOriginList"].append(origin)
    return config


class _Stopper:
    """SIGTERM/SIGINT: stop serving; a second signal aborts a running sync."""

    def __init__(self, host: HeadlessHost) -> None:
        self.host = host
        self.signum: Optional[int] = None

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                signal.signal(sig, self._on_signal)
            except ValueError:  # not the main thread: the embedder handles signals
                pass

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        else:
            self.host.abort()

    def wait(self) -> None:
        while self.signum is None:
            time.sleep(0.2)


def main(argv: Optional[List[str]] = None) -> int:
    """`ankiconnect serve ...`; returns the exit status."""
    global service

    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("ankiconnect")
    try:
        config = load_config(args)
    except (OSError, ValueError) as e:
        print(f"ankiconnect: cannot read the config: {e}", file=sys.stderr)
        return 2
    path = args.collection or os.environ.get("ANKICONNECT_COLLECTION") or default_collection_path()
    host = HeadlessHost(os.path.expanduser(path), config)
    try:
        host.open()
    except Exception as e:
        problem = str(e) or type(e).__name__
        if "already open" in problem:
            problem = ("it is already open in another program (another AnkiConnect "
                       f"server, or Anki itself): {problem}")
        print(f"ankiconnect: cannot open the collection {host.path}: {problem}", file=sys.stderr)
        return 1
    stopper = _Stopper(host)
    stopper.install()
    svc = HeadlessService(host)
    problem = svc.start()
    if problem:
        host.close()
        print(f"ankiconnect: {problem.splitlines()[0]} Is another program (Anki with "
              "AnkiConnect, or another server) using that port? Choose another with --port.",
              file=sys.stderr)
        return 1
    service = svc
    address = config["webBindAddress"]
    if not is_loopback(address) and not config.get("apiKey"):
        log.warning("listening on %s WITHOUT an API key: anyone who can reach this port can "
                    "read and change the collection; set ANKICONNECT_API_KEY", address)
    log.info("AnkiConnect (headless) serving %s on %s", host.path,
             ", ".join(f"http://{a}" for a in svc.server.addresses))
    stopper.wait()
    log.info("stopping: closing the collection")
    service = None
    svc.stop()
    log.info("stopped")
    return 0
