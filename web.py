# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP side: a WSGI app served by waitress on a background thread.

waitress (which Anki itself ships for its media server) parses HTTP/1.1 with
keep-alive, chunked bodies and pipelining on its own I/O thread and hands
complete requests to a pool of worker threads.  A worker decodes the JSON,
checks who is calling, and passes the request to `AnkiConnect.handle`, which
runs each action on the collection's thread and returns the reply.

Who may call: the Origin header (browsers) must be allowed by the config, and
when bound to loopback the Host header must name this machine (DNS rebinding).
A refused request gets HTTP 403 and runs nothing.  Requests without an Origin
(curl, scripts, native programs) are allowed, as in every AnkiConnect.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from . import large_data
from .util import API_VERSION

BANNER = f"AnkiConnect v.{API_VERSION}".encode("ascii")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")


@dataclass
class ServerSettings:
    """The part of the config the HTTP side needs (rebuilt when it changes)."""

    bind_address: str = "127.0.0.1"
    bind_port: int = 8765
    cors_origins: List[str] = field(default_factory=lambda: ["http://localhost"])
    log_path: Optional[str] = None
    max_request_bytes: int = 256 * 1024 * 1024

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "ServerSettings":
        return cls(
            bind_address=config["webBindAddress"],
            bind_port=config["webBindPort"],
            cors_origins=list(config["webCorsOriginList"]),
            log_path=config.get("apiLogPath"),
            max_request_bytes=config["webMaxRequestBytes"],
        )


class OriginPolicy:
    """Decides which browser origins and Host names may use the API."""

    def __init__(self, settings: ServerSettings, blocked_origins: Iterable[str] = ()):
        self.settings = settings
        self.allow_all = "*" in settings.cors_origins
        self.origins = set(settings.cors_origins)
        self.localhost_allowed = "http://localhost" in self.origins
        # Anki's own web views (card templates can run scripts) are never
        # allowed implicitly: they would have to be listed explicitly.
        self.blocked = set(blocked_origins)

    def origin_allowed(self, origin: Optional[str]) -> bool:
        if origin is None:  # not a browser: curl, scripts, native clients
            return True
        if self.allow_all or origin in self.origins:
            return True
        if origin in self.blocked or not self.localhost_allowed:
            return False
        return (
            origin in ("http://127.0.0.1", "https://127.0.0.1")
            or origin.startswith("http://127.0.0.1:")
            or origin.startswith(EXTENSION_SCHEMES)
        )

    def may_ask(self, origin: Optional[str]) -> bool:
        """Whether a refused origin may still ask the user (requestPermission).
        Never for Anki's own web views (a shared deck's card could keep asking,
        with an address that looks like this computer's own) nor for `null`
        (sandboxed frames and local files: allowing it would allow them all)."""
        return origin is not None and origin != "null" and origin not in self.blocked

    def host_allowed(self, host: Optional[str], origin: Optional[str]) -> bool:
        """Refuse DNS-rebinding requests: when bound to loopback, the Host
        header must name this machine (unless the origin is explicitly listed)."""
        if not host or not _is_loopback(self.settings.bind_address):
            return True
        name = _host_name(host)
        if name in LOOPBACK_NAMES or name == self.settings.bind_address.lower():
            return True
        return origin is not None and (self.allow_all or origin in self.origins)

    def cors_header(self, origin: Optional[str], allowed: bool) -> Optional[str]:
        """The Access-Control-Allow-Origin value for a reply."""
        if self.allow_all:
            return "*"
        if origin is None:
            return "http://localhost"
        return origin if allowed else None


def _is_loopback(address: str) -> bool:
    return address in ("127.0.0.1", "localhost", "::1") or address.startswith("127.")


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ApiApp:
    """The WSGI application: HTTP in, `AnkiConnect.handle`, HTTP out."""

    def __init__(
        self,
        handle: Callable[[Any, Any], Any],
        make_context: Callable[..., Any],
        settings: ServerSettings,
        blocked_origins: Callable[[], Iterable[str]] = lambda: (),
        redact: Callable[[Any], Any] = lambda r: r,
    ) -> None:
        self.handle = handle
        self.make_context = make_context
        self.blocked_origins = blocked_origins
        self.redact = redact
        self.configure(settings)
        self._log_lock = threading.Lock()

    def configure(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.policy = OriginPolicy(settings, self.blocked_origins())

    def __call__(self, environ: Dict[str, Any], start_response: Callable) -> List[bytes]:
        policy = self.policy
        method = environ.get("REQUEST_METHOD", "GET")
        origin = environ.get("HTTP_ORIGIN")
        allowed = policy.origin_allowed(origin) and policy.host_allowed(
            environ.get("HTTP_HOST"), origin
        )

        if method == "OPTIONS":
            return self._preflight(environ, origin, start_response)

        body = _read_body(environ)
        if not body:
            return _respond(start_response, "200 OK", BANNER, "text/plain",
                            policy.cors_header(origin, allowed))
        try:
            request = large_data.loads(body)
            # a surrogate escape has a backslash: look for one first (memchr),
            # a large body of base64 has none
            if (large_data.find_byte(body, b"\\") >= 0 and _SURROGATE_ESCAPE.search(body)
                    and _has_lone_surrogate(request)):
                raise ValueError("a string holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)")
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            problem = _json_problem(e)
            return self._json(start_response, "200 OK", {"result": None, "error": problem},
                              policy.cors_header(origin, allowed))
        del body  # a large body's memory goes back before the action runs

        action = request.get("action") if isinstance(request, dict) else None
        if not allowed and (action != "requestPermission" or not policy.may_ask(origin)):
            reply = {"result": None, "error": "this origin is not allowed to use AnkiConnect; "
                     "call requestPermission first"}
            return self._json(start_response, "403 Forbidden", reply, None)

        context = self.make_context(origin=origin or "", allowed=allowed)
        started = time.time()
        reply = self.handle(request, context)
        cors = policy.cors_header(origin, allowed) or (origin if action == "requestPermission" else None)
        response = self._json(start_response, "200 OK", reply, cors)
        if self.settings.log_path:
            self._log(started, request, reply)
        return response

    def _preflight(self, environ: Dict[str, Any], origin: Optional[str],
                   start_response: Callable) -> List[bytes]:
        # A preflight runs nothing, so it may succeed for any origin: the real
        # request is checked on its own.  This lets an unknown page reach
        # requestPermission even when it sends Content-Type: application/json.
        headers = [
            ("Access-Control-Allow-Origin", origin or "http://localhost"),
            ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            ("Access-Control-Allow-Headers",
             environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS") or "*"),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
            ("Content-Length", "0"),
        ]
        if environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"):
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        start_response("200 OK", headers)
        return [b""]

    def _json(self, start_response: Callable, status: str, reply: Any,
              cors: Optional[str]) -> List[bytes]:
        try:
            body = large_data.dumps(reply)
        except (TypeError, ValueError) as e:  # a bug in an action's result
            body = [json.dumps({"result": None, "error": f"result is not JSON: {e}"}).encode()]
        return _respond(start_response, status, body, "application/json", cors)

    def _log(self, started: float, request: Any, reply: Any) -> None:
        entry = {
            "time": round(started, 3),
            "ms": round((time.time() - started) * 1000, 2),
            "request": _shorten(self.redact(request)),
            "reply": _shorten(reply),
        }
        line = json.dumps(entry) + "\n"
        try:
            with self._log_lock, open(self.settings.log_path, "a", encoding="utf-8") as f:
                f.write(line)
        except OSError:
            pass


def _respond(start_response: Callable, status: str, body: Union[bytes, List[bytes]],
             content_type: str, cors: Optional[str]) -> List[bytes]:
    pieces = [body] if isinstance(body, bytes) else body
    headers = [("Content-Type", content_type),
               ("Content-Length", str(sum(len(p) for p in pieces)))]
    if cors:
        headers.append(("Access-Control-Allow-Origin", cors))
        headers.append(("Access-Control-Allow-Headers", "*"))
        headers.append(("Vary", "Origin"))
    start_response(status, headers)
    return pieces


def _read_body(environ: Dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(length)


#: a JSON escape of a UTF-16 surrogate: JSON allows unpaired ones, Anki cannot store them
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string in the decoded request (keys too) holds a surrogate
    (json.loads joins proper pairs into one character, so these are unpaired)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


def _json_problem(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "request body is not valid UTF-8"
    if isinstance(error, RecursionError):
        return "request body is nested too deeply"
    return f"request body is not valid JSON: {error}"


def _shorten(value: Any, limit: int = 2000) -> Any:
    """Long strings (media data) are cut in the log."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"...[{len(value)} chars]"
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    return value


def redact_keys(request: Any) -> Any:
    """The request without any API key (also inside multi)."""
    if isinstance(request, list):
        return [redact_keys(r) for r in request]
    if not isinstance(request, dict):
        return request
    out = {k: ("***" if k == "key" else v) for k, v in request.items()}
    params = out.get("params")
    if isinstance(params, dict) and isinstance(params.get("actions"), list):
        out["params"] = dict(params, actions=redact_keys(params["actions"]))
    return out


class WebServer:
    """Runs the WSGI app with waitress on a background thread."""

    #: worker threads: requests are parsed in parallel, actions run one at a time
    THREADS = 8

    def __init__(self, app: ApiApp, log: Any) -> None:
        self.app = app
        self.log = log
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> Optional[int]:
        return int(self._server.effective_port) if self._server else None

    def start(self) -> Optional[str]:
        """Start serving; returns None, or a message saying why it could not."""
        from waitress.server import create_server

        settings = self.app.settings
        large_data.tune_malloc()
        try:
            self._server = create_server(
                self.app,
                host=settings.bind_address,
                port=settings.bind_port,
                threads=self.THREADS,
                ident="AnkiConnect",
                backlog=2048,
                connection_limit=1000,
                channel_timeout=120,
                cleanup_interval=10,
                asyncore_use_poll=True,
                recv_bytes=65536,  # large bodies in fewer, larger reads
                **_send_options(),
                max_request_body_size=settings.max_request_bytes,
                max_request_header_size=256 * 1024,
                clear_untrusted_proxy_headers=True,
                expose_tracebacks=False,
            )
        except OSError as e:
            self._server = None
            return (
                f"AnkiConnect could not listen on {settings.bind_address}:"
                f"{settings.bind_port}: {e.strerror or e}. Another program (or another "
                "copy of Anki) may be using that port; change webBindPort in the "
                "add-on config or close the other program."
            )
        _use_channel_class(self._server, _quiet_channel_class())
        self._thread = threading.Thread(
            target=self._serve, name="AnkiConnect HTTP", daemon=True
        )
        self._thread.start()
        self.log.info("AnkiConnect listening on %s:%s", settings.bind_address, self.port)
        return None

    def _serve(self) -> None:
        server = self._server
        try:
            server.run()
        except Exception:
            if self._server is server:  # not a deliberate stop
                self.log.exception("AnkiConnect HTTP server stopped")

    def stop(self) -> None:
        """Stop listening, close every connection, free the port."""
        server, self._server = self._server, None
        if server is None:
            return
        from waitress.channel import HTTPChannel

        for channel in list(server._map.values()):
            try:
                # connections are closed as waitress would; the listening
                # socket and the wake-up trigger as they are (their
                # handle_close would warn "unhandled close event")
                channel.handle_close() if isinstance(channel, HTTPChannel) else channel.close()
            except Exception:
                pass
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _send_options() -> Dict[str, Any]:
    """A reply is sent whole by the HTTP thread once the worker is done
    (waitress's send_bytes above a small reply's size): ~2× the requests/s
    with 8 clients compared to workers sending the head and the body of each
    reply themselves, apart (send_bytes 1, waitress 3's default).  waitress
    3 deprecates the setting; once a waitress drops it, its default is used."""
    from waitress.adjustments import Adjustments

    known = {param[0] for param in getattr(Adjustments, "_params", ())}
    return {"send_bytes": 65536} if "send_bytes" in known else {}


def _quiet_channel_class() -> type:
    from waitress.channel import HTTPChannel

    class QuietChannel(HTTPChannel):  # type: ignore[misc]
        """waitress's channel, except that it does not call itself writable
        while a worker still builds a reply smaller than send_bytes: waitress
        would then call handle_write in a busy loop (it sends nothing until
        the worker is done), taking the HTTP thread and the interpreter lock
        from the worker.  When the worker is done, waitress wakes the HTTP
        thread, which then sends the reply."""

        def writable(self) -> bool:
            try:
                if (self.requests and self.total_outbufs_len < self.adj.send_bytes
                        and not (self.will_close or self.close_when_flushed)):
                    return False
            except AttributeError:  # another waitress: its own judgement
                pass
            return bool(super().writable())

    return QuietChannel


def _use_channel_class(server: Any, channel_class: type) -> None:
    """Make waitress's server (or each of a MultiSocketServer's) use `channel_class`."""
    servers = [server] if hasattr(server, "channel_class") else [
        s for s in getattr(server, "map", {}).values() if hasattr(s, "channel_class")]
    for each in servers:
        each.channel_class = channel_class


__all__ = ["ApiApp", "WebServer", "ServerSettings", "OriginPolicy", "redact_keys", "BANNER"]
