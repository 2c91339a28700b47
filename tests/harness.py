# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start real Anki (offscreen) with the add-on, and talk to it over HTTP.

`AnkiProcess` runs `scripts/anki_launcher.py` in a temp base folder, with the
add-on copied under a numeric folder name (as AnkiWeb installs it), on a free
port, plus the test driver add-on (tests/testdriver) so tests can inspect
Anki's own objects.  `ApiClient` speaks the AnkiConnect protocol.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
ADDON_FOLDER = "2055492159"  # a numeric name, as AnkiWeb uses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalHttpServer:
    """A throwaway HTTP server on a free loopback port, for tests that need a
    web site (media downloads, what web views send).  Subclasses build their
    request handler class and call `serve(handler)`."""

    def serve(self, handler: Any) -> None:
        from http.server import ThreadingHTTPServer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FileServer(LocalHttpServer):
    """A local web site for media downloads: `files[path]` is the body
    (bytes), (status, body, seconds to wait first), or ("redirect", url)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler

        self.files: Dict[str, Any] = {}
        self.hits: List[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                entry = server.files.get(self.path)
                status, body, delay, headers = 404, b"not here", 0, []
                if isinstance(entry, bytes):
                    status, body = 200, entry
                elif entry is not None and entry[0] == "redirect":
                    status, body, headers = 302, b"", [("Location", entry[1])]
                elif entry is not None:
                    status, body, delay = entry
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers + [("Content-Length", str(len(body)))]:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (a timeout under test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.serve(Handler)


class Recorder(LocalHttpServer):
    """A local HTTP server that records what web views send it."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler

        self.requests: List[Tuple[Dict[str, str], str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                recorder.requests.append((dict(self.headers), self.rfile.read(length).decode()))
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.serve(Handler)

    def wait(self, count=1, timeout=30):
        deadline = time.time() + timeout
        while len(self.requests) < count:
            assert time.time() < deadline, "the web view sent nothing"
            time.sleep(0.05)
        return self.requests


class ApiError(Exception):
    """The API answered with an error."""


_result_validators: Dict[str, Any] = {}


def result_validator(action: str) -> Any:
    """A jsonschema validator of `action`'s result, from the add-on's own
    declarations (schema.py); None for an unknown action."""
    if not _result_validators:
        from jsonschema import Draft202012Validator

        package = load_addon_package()
        schema = sys.modules[package + ".schema"]
        specs = sys.modules[package + ".util"].collect_actions(
            sys.modules[package + ".AnkiConnect"].AnkiConnect)
        for name, spec in specs.items():
            _result_validators[name] = Draft202012Validator(schema.action_schemas(spec)["result"])
    return _result_validators.get(action)


def load_addon_package() -> str:
    """Import the add-on (this checkout) as a package; its name."""
    name = "ankiconnect_under_test"
    if name not in sys.modules:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            name, REPO / "__init__.py", submodule_search_locations=[str(REPO)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        import importlib

        importlib.import_module(name + ".AnkiConnect")
        importlib.import_module(name + ".schema")
    return name


def check_reply(request: Any, reply: Any) -> None:
    """Every successful reply in the suite must match its action's result
    schema (and each of multi's successful sub-replies, its own)."""
    if not isinstance(request, dict):
        return
    action, version = request.get("action"), request.get("version", 4)
    if not isinstance(version, int) or isinstance(version, bool):
        return
    if version >= 5:
        if not isinstance(reply, dict) or reply.get("error") is not None or "result" not in reply:
            return
        result = reply["result"]
    elif isinstance(reply, dict) and set(reply) == {"result", "error"} and reply["error"]:
        return  # a failure (version 4 answers failures in the envelope)
    else:
        result = reply
    validator = result_validator(action) if isinstance(action, str) else None
    if validator is None:
        return
    errors = sorted(validator.iter_errors(result), key=lambda e: list(e.absolute_path))
    assert not errors, (f"{action}'s result does not match its schema: {errors[0].message} "
                        f"at {list(errors[0].absolute_path)}")
    if action == "multi" and isinstance(result, list):
        subs = (request.get("params") or {}).get("actions") or []
        for sub, sub_reply in zip(subs, result):
            check_reply(sub, sub_reply)


class ApiClient:
    """A keep-alive HTTP client for one AnkiConnect server (thread-safe)."""

    def __init__(self, port: int, host: str = "127.0.0.1", key: Optional[str] = None):
        self.port = port
        self.host = host
        self.key = key
        self.host_kind = "gui"  # or "headless": which host the `api` fixture gave
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
            self._local.conn = conn
        return conn

    def raw(
        self,
        body: Any = b"",
        headers: Optional[Dict[str, str]] = None,
        method: str = "POST",
        path: str = "/",
    ) -> Tuple[int, Dict[str, str], bytes]:
        """Send one HTTP request; returns (status, headers, body)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
            except (ConnectionError, http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def request(self, action: str, version: Any = 6, key: Any = None, **params: Any) -> Any:
        """Send an action; returns the decoded reply as is."""
        req: Dict[str, Any] = {"action": action, "version": version}
        if params:
            req["params"] = params
        key = key if key is not None else self.key
        if key is not None:
            req["key"] = key
        status, _, data = self.raw(req)
        assert status == 200, (status, data)
        reply = json.loads(data)
        check_reply(req, reply)
        return reply

    def call(self, action: str, **params: Any) -> Any:
        """Send a v6 action; returns its result or raises ApiError."""
        reply = self.request(action, **params)
        assert set(reply) == {"result", "error"}, reply
        if reply["error"] is not None:
            raise ApiError(reply["error"])
        return reply["result"]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _ServerProcess:
    """What AnkiProcess and HeadlessProcess share: their temp folder, their
    log, and the test driver that runs Python inside them."""

    base: Path
    log_path: Path
    driver_port: int
    _own_base: bool

    def stop(self, timeout: float = 30) -> Any:
        raise NotImplementedError

    def cleanup(self) -> None:
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""

    def _driver_reply(self, source: str, timeout: float) -> Dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.driver_port, timeout=timeout)
        try:
            conn.request("POST", "/", body=source.encode())
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()


class AnkiProcess(_ServerProcess):
    """Real Anki with the add-on, in its own temp base folder."""

    def __init__(
        self,
        config: Optional[Dict[str, Any]] = None,
        env: Optional[Dict[str, str]] = None,
        profile: str = "User 1",
        base: Optional[Path] = None,
        port: Optional[int] = None,
        install_addon: bool = True,
    ) -> None:
        self.config = dict(config or {})
        self.port = port or free_port()
        self.config.setdefault("webBindPort", self.port)
        self.driver_port = free_port()
        self.extra_env = env or {}
        self.profile = profile
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix="ankiconnect-test-"))
        self.install_addon = install_addon
        self.proc: Optional[subprocess.Popen] = None
        self.log_path = self.base / "anki.log"
        self.instance_key = f"ankiconnect-test-{self.port}-{os.getpid()}"

    # -- life cycle ------------------------------------------------------------
    def start(self, wait: bool = True, timeout: float = 90) -> "AnkiProcess":
        env = dict(os.environ)
        # offscreen by default; the Qt5 tier runs under Xvfb (ANKICONNECT_TEST_QPA=xcb),
        # since Qt5's offscreen plugin has no OpenGL for Anki's web views.
        qpa = os.environ.get("ANKICONNECT_TEST_QPA", "offscreen")
        env.update(
            QT_QPA_PLATFORM=qpa,
            QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
            QTWEBENGINE_DISABLE_SANDBOX="1",
            ANKI_SINGLE_INSTANCE_KEY=self.instance_key,
            ANKICONNECT_TESTDRIVER_PORT=str(self.driver_port),
            PYTHONUNBUFFERED="1",
            PYTHONFAULTHANDLER="1",  # a crash prints every thread's stack to the log
        )
        if qpa == "offscreen":
            env.pop("DISPLAY", None)
        # RUST_BACKTRACE makes every error inside Anki's backend (even a
        # "not found" that Anki answers as None) capture a backtrace: ~100 ms
        # each in the GUI.  Users do not run Anki with it.
        for var in ("RUST_BACKTRACE", "WAYLAND_DISPLAY", "ANKICONNECT_BIND_PORT",
                    "ANKICONNECT_BIND_ADDRESS", "ANKICONNECT_CORS_ORIGIN", "ANKICONNECT_API_KEY"):
            env.pop(var, None)
        env.update(self.extra_env)
        cmd = [
            sys.executable, str(REPO / "scripts" / "anki_launcher.py"),
            "--base", str(self.base), "--profile", self.profile,
            "--addon-name", ADDON_FOLDER, "--copy",
            "--config", json.dumps(self.config),
            "--extra-addon", str(TESTS / "testdriver"),
        ] + ([] if self.install_addon else ["--no-addon"])
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"Anki exited early; log:\n{self.log()}")
            try:
                if self.driver("result = mw.col is not None", timeout=5):
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
            except (OSError, RuntimeError, ValueError):
                pass
            time.sleep(0.2)
        self.dump_stacks()
        raise RuntimeError(f"Anki did not start in {timeout}s; log:\n{self.log()}")

    def stop(self, timeout: float = 30) -> None:
        """Quit Anki cleanly (collection saved); kill it if it hangs."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            self.driver("mw.unloadProfileAndExit()", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.log_file.close()

    def dump_stacks(self) -> None:
        """Have Anki print every thread's stack into its log (the launcher
        registers SIGUSR1 for that)."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGUSR1)
            time.sleep(1)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        # Qt's single-instance socket outlives a killed Anki
        try:
            os.unlink(os.path.join(tempfile.gettempdir(), self.instance_key))
        except OSError:
            pass

    # -- talking to it -----------------------------------------------------------
    def client(self, key: Optional[str] = None) -> ApiClient:
        return ApiClient(self.port, key=key)

    def driver(self, source: str, timeout: float = 120) -> Any:
        """Run Python on Anki's main thread (`mw`, `aqt`, `ac` in scope);
        returns what it assigns to `result`."""
        reply = self._driver_reply(source, timeout)
        if reply["error"]:
            if reply["error"] == "timed out":  # Anki's main thread never got to it
                self.dump_stacks()
                raise RuntimeError(f"Anki did not run {source[:200]!r}; its log:\n{self.log()}")
            raise RuntimeError(reply["error"])
        return reply["result"]

    def wait_for(self, source: str, timeout: float = 10, interval: float = 0.05) -> Any:
        """Repeat `source` in Anki until its `result` is truthy."""
        deadline = time.time() + timeout
        while True:
            try:
                value = self.driver(source)
            except OSError:  # Anki (or its test driver) is not up yet
                if time.time() > deadline:
                    raise
                value = None
            if value or time.time() > deadline:
                return value
            time.sleep(interval)


class HeadlessProcess(_ServerProcess):
    """The headless server, started with its real command
    (`python -m ankiconnect serve ...`) on its own collection and a free port.

    tests/headless_driver is put on PYTHONPATH: its sitecustomize lets
    `driver(code)` run Python on the collection's thread (`col`, `host`, `ac`
    in scope), as tests/testdriver does inside Anki.  Nothing is added to the
    server itself.
    """

    def __init__(
        self,
        collection: Optional[Path] = None,
        env: Optional[Dict[str, str]] = None,
        args: Tuple[str, ...] = (),
        port: Optional[int] = None,
        base: Optional[Path] = None,
        flags: bool = True,
        address: str = "127.0.0.1",
    ) -> None:
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix="ankiconnect-headless-"))
        self.collection = Path(collection or self.base / "collection" / "collection.anki2")
        self.port = port or free_port()
        #: False: no --collection and --port (the test sets them otherwise)
        self.flags = flags
        self.address = address
        self.driver_port = free_port()
        self.extra_env = env or {}
        self.args = tuple(args)
        self.proc: Optional[subprocess.Popen] = None
        self.log_path = self.base / "headless.log"
        # `python -m ankiconnect` needs the add-on folder on sys.path under
        # that name, as a checkout called ankiconnect would be.
        self.pythonpath = self.base / "pythonpath"
        link = self.pythonpath / "ankiconnect"
        if not link.exists():
            self.pythonpath.mkdir(parents=True, exist_ok=True)
            link.symlink_to(REPO, target_is_directory=True)

    def command(self) -> list:
        cmd = [sys.executable, "-m", "ankiconnect", "serve"]
        if self.flags:
            cmd += ["--collection", str(self.collection), "--port", str(self.port)]
        return cmd + list(self.args)

    def environment(self) -> Dict[str, str]:
        env = dict(os.environ)
        for var in list(env):
            if var.startswith("ANKICONNECT_") or var == "RUST_BACKTRACE":
                del env[var]
        env.update(
            PYTHONPATH=os.pathsep.join([str(self.pythonpath), str(TESTS / "headless_driver")]),
            ANKICONNECT_TESTDRIVER_PORT=str(self.driver_port),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, wait: bool = True, timeout: float = 60) -> "HeadlessProcess":
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.command(), env=self.environment(), stdout=self.log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"the headless server exited early; log:\n{self.log()}")
            try:
                if self.driver("result = True", timeout=5):
                    with socket.create_connection((self.address, self.port), timeout=1):
                        return
            except (OSError, RuntimeError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the headless server did not start in {timeout}s; log:\n{self.log()}")

    def stop(self, timeout: float = 30) -> Optional[int]:
        """SIGTERM (the server closes the collection); kill it if it hangs."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log_file.close()
        return self.proc.returncode

    def client(self, key: Optional[str] = None) -> ApiClient:
        client = ApiClient(self.port, host=self.address, key=key)
        client.host_kind = "headless"
        return client

    def driver(self, source: str, timeout: float = 120) -> Any:
        """Run Python on the collection's thread (`col`, `host`, `ac` in
        scope); returns what it assigns to `result`."""
        reply = self._driver_reply(source, timeout)
        if reply["error"]:
            raise RuntimeError(reply["error"])
        return reply["result"]


#: Empties the collection `col` (both hosts): only the Default deck, its
#: options group and the stock note types remain.
RESET_COL = """
col.remove_notes(col.find_notes(""))
for d in col.decks.all_names_and_ids():
    if d.id != 1:
        col.decks.remove([d.id])
for conf in col.decks.all_config():
    if conf["id"] != 1:
        col.decks.remove_config(conf["id"])
conf = col.decks.get_config(1)
conf["name"] = "Default"
col.decks.restore_to_default(conf)
default_deck = col.decks.get(1)
# also forget what was studied today, so daily limits never run out between tests
default_deck["desc"], default_deck["conf"] = "", 1
for key in ("newToday", "revToday", "lrnToday", "timeToday"):
    default_deck[key] = [0, 0]
col.decks.save(default_deck)
stock = {"Basic", "Basic (and reversed card)", "Basic (optional reversed card)",
         "Basic (type in the answer)", "Cloze", "Image Occlusion"}
for m in col.models.all_names_and_ids():
    if m.name not in stock:
        col.models.remove(m.id)
# a stock note type a test changed (fields, templates, styling) is made anew
from anki.stdmodels import get_stock_notetypes as _stock_types
def _looks(m):
    return (m["css"], m.get("latexPre"), [(f["name"], f["font"], f["size"], f.get("description"))
            for f in m["flds"]], [(t["name"], t["qfmt"], t["afmt"]) for t in m["tmpls"]])
for _name, _make in _stock_types(col)[:len(stock)]:
    _fresh, _current = _make(col), col.models.by_name(_name)
    if _current is None or _looks(_current) != _looks(_fresh):
        if _current is not None:
            col.models.remove(_current["id"])
        _fresh["id"] = 0
        col.models.add(_fresh)
col.tags.clear_unused_tags()
col.decks.select(1)
col.db.execute("delete from revlog")
import os as _os
_media = col.media.dir()
for _name in _os.listdir(_media):
    _path = _os.path.join(_media, _name)
    if _os.path.isfile(_path) or _os.path.islink(_path):
        _os.remove(_path)
"""

#: RESET_COL for real Anki (run with `anki.driver`), closing dialogs too.
RESET_COLLECTION = """
col = mw.col
for w in list(aqt.mw.app.topLevelWidgets()):
    if w.objectName() == "ankiconnect-permission":
        w.close()
""" + RESET_COL + """
mw.deckBrowser.show() if mw.state != "deckBrowser" else None
result = True
"""

#: RESET_COL for a headless server (run with `HeadlessProcess.driver`).
RESET_HEADLESS = RESET_COL + "result = True\n"
