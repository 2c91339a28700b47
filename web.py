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
A refused request gets HTTP 403 and runs nothing; who is calling is decided
before the body is read, so a refused caller learns nothing from its body's
faults.  Requests without an Origin (curl, scripts, native programs) are
allowed, as in every AnkiConnect.

The request object is checked as the reference checks it: `REQUEST_SCHEMA`
through the jsonschema library (which Anki ships), answering jsonschema's own
text; `multi`'s sub-actions are checked one by one by `AnkiConnect.start`.
"""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .util import API_VERSION, LARGE_DATA, RequestContext, large_data_thread

#: what GET / and an empty POST answer (as the reference's 2023 releases,
#: which clients compare with; its 2025 releases answer it as JSON)
BANNER = f"AnkiConnect v.{API_VERSION}".encode("ascii")
#: the request object, as the reference validates it (its errors are jsonschema's text)
REQUEST_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "minLength": 1},
        "version": {"type": "integer"},
        "params": {"type": "object"},
    },
    "required": ["action"],
}
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
        if not host or not is_loopback(self.settings.bind_address):
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


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ApiApp:
    """The WSGI application: HTTP in, `AnkiConnect.handle`, HTTP out."""

    def __init__(
        self,
        connect: Any,
        settings: ServerSettings,
        blocked_origins: Callable[[], Iterable[str]] = lambda: (),
        redact: Callable[[Any], Any] = lambda r: r,
    ) -> None:
        self.connect = connect  # the AnkiConnect dispatcher
        self.handle = connect.handle
        self.blocked_origins = blocked_origins
        self.redact = redact
        self.configure(settings)
        self._log_lock = threading.Lock()
        from .events import EventsSurface
        from .mcp_tools import McpSurface
        from .rest import RestSurface

        #: the surfaces besides POST /, by path: an exact path, or a prefix ending in /
        self.surfaces: Dict[str, Callable[..., List[bytes]]] = {}
        for surface in (RestSurface(self), McpSurface(self), EventsSurface(self)):
            surface.register(self.surfaces)

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
            return self._preflight(environ, origin, allowed, start_response)
        surface = self._surface(environ.get("PATH_INFO") or "/")
        if surface is not None:
            if not allowed:
                return self._refuse(start_response, detailed=True)
            return surface(environ, start_response, Caller(
                origin or "", policy.cors_header(origin, allowed), bearer_key(environ)))
        # Who is calling comes first: a refused caller gets 403 whatever its
        # body holds.  Only requestPermission runs for a refused origin, so
        # the body is read only for one that may ask.
        if not allowed and not policy.may_ask(origin):
            return self._refuse(start_response)
        length = _content_length(environ)
        if not length:
            if not allowed:
                return self._refuse(start_response)
            return _respond(start_response, "200 OK", BANNER, "text/plain",
                            policy.cors_header(origin, allowed))
        if length >= LARGE_DATA:  # media: on the one large-data thread
            request, problem = large_data_thread.run(
                lambda: _read_request(environ["wsgi.input"], length))
        else:
            request, problem = _read_request(environ["wsgi.input"], length)

        action = request.get("action") if problem is None else None
        if not allowed and action != "requestPermission":
            return self._refuse(start_response)
        if problem is not None:
            return self._json(start_response, "200 OK", {"result": None, "error": problem},
                              policy.cors_header(origin, allowed))

        context = RequestContext(origin=origin or "", allowed=allowed, key=bearer_key(environ))
        started = time.time()
        logged = _shorten(self.redact(request)) if self.settings.log_path else None
        reply = self.handle(request, context)  # (it takes the params out of the request)
        cors = policy.cors_header(origin, allowed) or (origin if action == "requestPermission" else None)
        response = self._json(start_response, "200 OK", reply, cors)
        if logged is not None:
            self._log(started, logged, reply)
        return response

    def _surface(self, path: str) -> Optional[Callable[..., List[bytes]]]:
        """The surface serving `path`; None for POST / (any other path too,
        as the reference serves every path the same)."""
        surface = self.surfaces.get(path)
        if surface is None and path.count("/") > 1:
            surface = self.surfaces.get(path[:path.index("/", 1) + 1])
        return surface

    def _refuse(self, start_response: Callable, detailed: bool = False) -> List[bytes]:
        """403: this caller may not use the API; nothing ran."""
        reply: Dict[str, Any] = {
            "result": None,
            "error": "this origin is not allowed to use AnkiConnect; call requestPermission first"}
        if detailed:
            reply["errorDetail"] = {"code": "forbidden", "action": None}
        return self._json(start_response, "403 Forbidden", reply, None)

    def _preflight(self, environ: Dict[str, Any], origin: Optional[str], allowed: bool,
                   start_response: Callable) -> List[bytes]:
        """A CORS preflight runs nothing.  It is granted only to callers that
        may call (their origin, or `*`); for any other the reply grants nothing,
        so the browser does not send the request.  A page that is not allowed
        can still reach requestPermission with a simple POST (text/plain),
        which browsers send without a preflight."""
        cors = self.policy.cors_header(origin, allowed)
        if cors is None:
            start_response("200 OK", [("Vary", "Origin"), ("Content-Length", "0")])
            return [b""]
        headers = [
            ("Access-Control-Allow-Origin", cors),
            ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            ("Access-Control-Allow-Headers",
             environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS") or "*"),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
            ("Content-Length", "0"),
        ]
        if environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK", "").lower() == "true":
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        start_response("200 OK", headers)
        return [b""]

    def _json(self, start_response: Callable, status: str, reply: Any,
              cors: Optional[str], extra_headers: Iterable[Tuple[str, str]] = ()
              ) -> List[bytes]:
        try:
            if _large_result(reply):  # media: on the one large-data thread
                body = large_data_thread.run(lambda: json.dumps(reply).encode("ascii"))
            else:
                body = json.dumps(reply).encode("ascii")
        except (TypeError, ValueError) as e:  # a bug in an action's result
            body = json.dumps({"result": None, "error": f"result is not JSON: {e}"}).encode()
        return _respond(start_response, status, body, "application/json", cors, extra_headers)

    def _log(self, started: float, request: Any, reply: Any) -> None:
        entry = {
            "time": round(started, 3),
            "ms": round((time.time() - started) * 1000, 2),
            "request": request,
            "reply": _shorten(reply),
        }
        line = json.dumps(entry) + "\n"
        try:
            with self._log_lock, open(self.settings.log_path, "a", encoding="utf-8") as f:
                f.write(line)
        except OSError:
            pass


@dataclass
class Caller:
    """Who sends a request to a surface besides POST / (allowed to call)."""

    origin: str  # "" when not a browser
    cors: Optional[str]  # the Access-Control-Allow-Origin of replies
    key: Optional[str]  # from `Authorization: Bearer <key>`


def bearer_key(environ: Dict[str, Any]) -> Optional[str]:
    """The API key sent as `Authorization: Bearer <key>`, if any."""
    scheme, _, key = (environ.get("HTTP_AUTHORIZATION") or "").strip().partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


def _respond(start_response: Callable, status: str, body: bytes,
             content_type: str, cors: Optional[str],
             extra_headers: Iterable[Tuple[str, str]] = ()) -> List[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers.extend(extra_headers)
    if cors:
        headers.append(("Access-Control-Allow-Origin", cors))
        headers.append(("Access-Control-Allow-Headers", "*"))
        headers.append(("Vary", "Origin"))
    start_response(status, headers)
    return [body]


def _content_length(environ: Dict[str, Any]) -> int:
    try:
        return max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _read_request(stream: Any, length: int) -> Tuple[Any, Optional[str]]:
    """The request object in a body of `length` bytes and None, or None and
    what is wrong with the body (the reference's texts: the decoder's, the
    json module's, jsonschema's)."""
    try:
        request = _parse(stream, length)
        error = best_schema_error(request)
        if error is not None:  # (its text quotes the request: deep nesting fails here too)
            return None, str(error)
    except (ValueError, RecursionError) as e:  # (UnicodeDecodeError is a ValueError)
        return None, _json_problem(e)
    return request, None


def _parse(stream: Any, length: int) -> Any:
    """The JSON value in a body of `length` bytes (each copy of a large body
    is let go as soon as the next one is made)."""
    raw = stream.read(length)
    try:
        text = raw.decode("utf-8-sig")  # a leading BOM is skipped
    except UnicodeDecodeError:
        raw.decode("utf-8")  # the same error, its positions counted from the first byte
        raise
    del raw
    escaped_surrogate = "\\u" in text and _SURROGATE_ESCAPE.search(text)
    request = json.loads(text)
    del text
    if escaped_surrogate and _has_lone_surrogate(request):
        raise ValueError("request body is not valid JSON: a string holds an unpaired "
                         "UTF-16 surrogate escape (\\ud800-\\udfff)")
    return request


@lru_cache(maxsize=None)
def request_validator() -> Any:
    """The jsonschema validator of REQUEST_SCHEMA, built once: the class
    jsonschema.validate() would choose (the newest draft), so that types
    and messages are the reference's (6.0 is an integer, "6" is not)."""
    from jsonschema.validators import validator_for

    cls = validator_for(REQUEST_SCHEMA)
    cls.check_schema(REQUEST_SCHEMA)
    return cls(REQUEST_SCHEMA)


def best_schema_error(request: Any) -> Any:
    """None, or the ValidationError jsonschema.validate() would raise."""
    if _plainly_valid(request):
        return None
    validator = request_validator()
    if validator.is_valid(request):
        return None
    from jsonschema.exceptions import best_match

    return best_match(validator.iter_errors(request))


def _plainly_valid(request: Any) -> bool:
    """Whether REQUEST_SCHEMA certainly accepts `request`, told without
    jsonschema for the usual request (a string action, an int version, an
    object params): jsonschema's ~20 us were 5-15% of a small request.
    jsonschema decides every other request, so what is accepted and what
    is answered stay jsonschema's (e.g. a version of 6.0 goes to it)."""
    if type(request) is not dict:
        return False
    action = request.get("action")
    return (type(action) is str and action != ""
            and ("version" not in request or type(request["version"]) is int)
            and ("params" not in request or type(request["params"]) is dict))


def _large_result(reply: Any) -> bool:
    """Whether a reply carries megabytes (retrieveMediaFile's base64, or
    jsonschema's text about a large request, which quotes it)."""
    if isinstance(reply, dict):
        return any(isinstance(reply.get(k), str) and len(reply[k]) >= LARGE_DATA
                   for k in ("result", "error"))
    return isinstance(reply, str) and len(reply) >= LARGE_DATA


#: a JSON escape of a UTF-16 surrogate: JSON allows unpaired ones, Anki cannot store them
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
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
    """The reply's error for a body that is not JSON: the decoder's or the
    json module's own text, as the reference answers."""
    if isinstance(error, RecursionError):  # (the reference has no answer: it fails)
        return "request body is nested too deeply"
    return str(error)


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
    """Runs the WSGI app with waitress, on its default adjustments, on a
    background thread."""

    #: worker threads: requests are parsed in parallel, actions run one at a time
    THREADS = 8

    def __init__(self, app: ApiApp, log: Any) -> None:
        self.app = app
        self.log = log
        self._server: Any = None
        self._map: Dict[int, Any] = {}
        self._sockets: List[socket.socket] = []
        self._thread: Optional[threading.Thread] = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> Optional[int]:
        return self._sockets[0].getsockname()[1] if self._server else None

    @property
    def addresses(self) -> List[str]:
        """Where it listens, e.g. ["127.0.0.1:8765", "[::1]:8765"]."""
        return [_address_text(s.getsockname()) for s in self._sockets] if self._server else []

    def start(self) -> Optional[str]:
        """Start serving; returns None, or a message saying why it could not."""
        from waitress.server import create_server

        settings = self.app.settings
        try:
            self._sockets = listening_sockets(settings.bind_address, settings.bind_port)
        except OSError as e:
            return port_problem(settings.bind_address, settings.bind_port, e)
        self._map = {}
        self._server = create_server(
            self.app,
            map=self._map,
            sockets=self._sockets,
            threads=self.THREADS,
            ident="AnkiConnect",
            max_request_body_size=settings.max_request_bytes,
            # idle or slow connections must not lock clients out (waitress
            # stops accepting at 100); below Windows' 512 sockets for select()
            connection_limit=400,
            recv_bytes=65536,
        )
        # each reader of /events (or getEvents) waiting holds a thread: keep
        # that many more, so that requests never wait for a free one
        dispatcher = self._server.task_dispatcher
        self.app.connect.host.events.on_waiters = \
            lambda waiting: dispatcher.set_thread_count(self.THREADS + waiting)
        self._thread = threading.Thread(
            target=self._serve, name="AnkiConnect HTTP", daemon=True
        )
        self._thread.start()
        self.log.info("AnkiConnect listening on %s", ", ".join(self.addresses))
        return None

    def _serve(self) -> None:
        server = self._server
        try:
            # before the first request: importing jsonschema takes ~0.3 s
            request_validator()
        except Exception:
            self.log.exception("AnkiConnect cannot check requests (jsonschema)")
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
        from waitress import wasyncore

        # every connection, the listening sockets and waitress's wake-up
        # trigger; the loop ends once its map is empty
        wasyncore.close_all(self._map)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        for sock in self._sockets:
            sock.close()
        self._sockets = []
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def is_loopback(address: str) -> bool:
    """Whether a bind address only accepts connections from this computer."""
    address = address.strip("[]").lower()
    return address in ("localhost", "::1") or address.startswith("127.")


def listening_sockets(address: str, port: int) -> List[socket.socket]:
    """Bound sockets for `address`: bound to loopback, both 127.0.0.1 and
    ::1 where the machine has IPv6 (clients that resolve `localhost` to
    ::1 first find the server too); otherwise that address only."""
    first = _bound_socket(address, port)
    sockets = [first]
    if is_loopback(address):
        other = "::1" if first.family == socket.AF_INET else "127.0.0.1"
        try:
            sockets.append(_bound_socket(other, first.getsockname()[1]))
        except OSError:  # no IPv6 here (or no IPv4 loopback): the first is enough
            pass
    return sockets


def _bound_socket(address: str, port: int) -> socket.socket:
    family, kind, proto, _, sockaddr = socket.getaddrinfo(
        address.strip("[]"), port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name == "posix":  # (on Windows it would let another program take the port)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


def _address_text(sockaddr: Any) -> str:
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def port_problem(address: str, port: int, error: OSError) -> str:
    """Why the server could not start, and what the user can do about it."""
    where = f"{address}:{port}"
    if isinstance(error, socket.gaierror):
        return (f"AnkiConnect could not listen on {where}: {address!r} is not an address "
                "of this computer. Change webBindAddress in the add-on config "
                "(127.0.0.1 is the usual one).")
    return (
        f"AnkiConnect could not listen on {where}: {error.strerror or error}.\n\n"
        f"Usually another program already uses port {port}:\n"
        "- the original AnkiConnect add-on, installed beside this one (both use port "
        "8765): keep one of the two, disabling the other in Tools > Add-ons;\n"
        "- another Anki (a second window, or another profile started separately) "
        "with AnkiConnect: close it;\n"
        "- on Windows, a port range the system reserves (Hyper-V, WSL or Docker "
        "reserve ranges; `netsh interface ipv4 show excludedportrange protocol=tcp` "
        "lists them): choose another port.\n\n"
        "To use another port, change webBindPort in the add-on config (Tools > "
        "Add-ons > AnkiConnect > Config) and tell your programs the new port. Anki "
        "works as usual meanwhile, without the API."
    )


__all__ = ["ApiApp", "WebServer", "ServerSettings", "OriginPolicy", "redact_keys", "BANNER",
           "REQUEST_SCHEMA", "is_loopback"]
