# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""`POST /mcp`: the Model Context Protocol, so AI assistants use Anki's tools
on this port, with no other program.  This module is the protocol (JSON-RPC
over Streamable HTTP, plain JSON replies); mcp_tools.py makes the actions
into tools.  Standard library only (it runs on Anki 2.1.66's Python 3.9).

Both protocol eras are served on the one URL:

* the handshake era (`initialize` with 2025-06-18 or 2025-11-25): an
  `Mcp-Session-Id` minted on initialize and required afterwards, `DELETE`
  ends the session, `ping`, `notifications/initialized`;
* the stateless era (2026-07-28): no handshake; every request carries its
  version and client capabilities in `params._meta`, mirrored by the
  headers `MCP-Protocol-Version`, `Mcp-Method` and (tools/call) `Mcp-Name`;
  `server/discover` says what the server supports; no sessions.

The era of a POST is chosen per message: a request whose `_meta` carries a
protocol version, or whose `MCP-Protocol-Version` header names a version
that is not of the handshake era, is served statelessly; everything else
(notably `initialize`) by the handshake era's rules.  Who may call (Origin,
Host, the API key as a Bearer token) is decided before, by web.py.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

log = logging.getLogger(__name__)

# --- protocol constants ------------------------------------------------------

HANDSHAKE_VERSIONS = ("2025-11-25", "2025-06-18")      # newest first
MODERN_VERSIONS = ("2026-07-28",)                       # newest first
# handshake-era versions we know of but do not serve (batching era etc.)
KNOWN_OLD_HANDSHAKE_VERSIONS = ("2025-03-26", "2024-11-05", "2024-10-07")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020                     # 2026-07-28
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021  # 2026-07-28
UNSUPPORTED_PROTOCOL_VERSION = -32022        # 2026-07-28

META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
META_SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"

# HTTP status for a JSON-RPC error on the modern (2026-07-28) path
# (streamable-http.mdx "Protocol Version Header" / "Server Validation",
#  basic/index.mdx "Per-request protocol fields"; same table as the
#  Python SDK's mcp/shared/inbound.py ERROR_CODE_HTTP_STATUS).
MODERN_ERROR_STATUS = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    MISSING_REQUIRED_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}

_B64_SENTINEL = re.compile(r"^=\?base64\?(?P<payload>.*)\?=$")
_JSON = "application/json"

Response = Tuple[int, List[Tuple[str, str]], bytes]


class ToolError(Exception):
    """Raise from `call_tool` for a tool *execution* error (-> isError: true)."""


class UnknownTool(Exception):
    """Raise from `call_tool` when the name is not a tool (-> JSON-RPC -32602)."""


class _RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.data = data


def tool_result(value: Any, text: Optional[str] = None) -> Dict[str, Any]:
    """A successful CallToolResult carrying `value` as structuredContent
    plus (for older clients) the same JSON as a text block."""
    if text is None:
        text = json.dumps(value, ensure_ascii=False)
    return {"content": [{"type": "text", "text": text}], "structuredContent": value, "isError": False}


def tool_error(message: str) -> Dict[str, Any]:
    """A CallToolResult reporting a tool execution error."""
    return {"content": [{"type": "text", "text": message}], "isError": True}


def encode_header_value(value: str) -> str:
    """Spec value encoding for Mcp-Name / Mcp-Param-* (streamable-http.mdx "Value Encoding")."""
    safe = all(0x20 <= ord(c) <= 0x7E for c in value)
    if safe and value == value.strip() and not _B64_SENTINEL.match(value):
        return value
    return "=?base64?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="


def decode_header_value(value: Optional[str]) -> Optional[str]:
    """Inverse of encode_header_value; None for a malformed sentinel."""
    if value is None:
        return None
    m = _B64_SENTINEL.match(value)
    if m is None:
        return value
    try:
        raw = base64.b64decode(m.group("payload"), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


class _Session:
    __slots__ = ("id", "version", "client_info", "capabilities", "initialized", "last_used")

    def __init__(self, sid: str, version: str, client_info: Any, capabilities: Any) -> None:
        self.id = sid
        self.version = version
        self.client_info = client_info
        self.capabilities = capabilities
        self.initialized = False
        self.last_used = time.monotonic()


class McpContext:
    """What `call_tool` gets to know about the request it serves."""

    __slots__ = ("era", "protocol_version", "client_info", "client_capabilities", "session_id", "headers")

    def __init__(self, era: str, protocol_version: str, client_info: Any,
                 client_capabilities: Any, session_id: Optional[str], headers: Mapping[str, str]) -> None:
        self.era = era                      # "legacy" or "modern"
        self.protocol_version = protocol_version
        self.client_info = client_info
        self.client_capabilities = client_capabilities
        self.session_id = session_id
        self.headers = headers


class McpEndpoint:
    """The MCP endpoint.  Thread-safe (sessions are guarded by a lock)."""

    def __init__(
        self,
        tools_provider: Callable[[], Sequence[Dict[str, Any]]],
        call_tool: Callable[[str, Dict[str, Any], McpContext], Any],
        server_name: str,
        server_version: str,
        instructions: Optional[str] = None,
        server_title: Optional[str] = None,
        page_size: Optional[int] = None,
        handshake_versions: Sequence[str] = HANDSHAKE_VERSIONS,
        modern_versions: Sequence[str] = MODERN_VERSIONS,
        stateful: bool = True,
        session_idle_seconds: float = 3600.0,
        max_sessions: int = 1000,
        list_ttl_ms: int = 0,
    ) -> None:
        self.tools_provider = tools_provider
        self.call_tool = call_tool
        self.server_info = {"name": server_name, "version": server_version}
        if server_title:
            self.server_info["title"] = server_title
        self.instructions = instructions
        self.page_size = page_size
        self.handshake_versions = tuple(handshake_versions)
        self.modern_versions = tuple(modern_versions)
        self.stateful = stateful
        self.session_idle_seconds = session_idle_seconds
        self.max_sessions = max_sessions
        self.list_ttl_ms = list_ttl_ms
        self._sessions: Dict[str, _Session] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ entry

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Answer one HTTP request to the MCP endpoint.

        `headers` may use any case; duplicate headers should be joined with ", "
        (as WSGI servers do).  Returns (status, [(name, value)], body)."""
        h = {k.lower(): v for k, v in headers.items()}
        try:
            return self._handle(method.upper(), h, body)
        except Exception:  # a bug here must not take the server down
            log.exception("MCP endpoint failed")
            return self._rpc_error_response(500, None, INTERNAL_ERROR, "Internal error")

    def _handle(self, method: str, h: Dict[str, str], body: bytes) -> Response:
        if method == "GET":
            # No standalone SSE stream (handshake era) / no GET at all (2026-07-28).
            return 405, [("Allow", "POST, DELETE")], b""
        if method == "DELETE":
            return self._delete(h)
        if method != "POST":
            return 405, [("Allow", "POST, DELETE")], b""
        return self._post(h, body)

    # ----------------------------------------------------------------- DELETE

    def _delete(self, h: Dict[str, str]) -> Response:
        sid = h.get("mcp-session-id")
        if not sid:
            return self._rpc_error_response(400, None, INVALID_REQUEST, "Bad Request: Mcp-Session-Id header required")
        with self._lock:
            self._expire_locked()
            session = self._sessions.pop(sid, None)
        if session is None:
            return self._rpc_error_response(404, None, INVALID_REQUEST, "Session not found")
        return 204, [], b""

    # ------------------------------------------------------------------- POST

    def _post(self, h: Dict[str, str], body: bytes) -> Response:
        if not _accepts_json(h.get("accept")):
            return self._rpc_error_response(406, None, INVALID_REQUEST,
                                            "Not Acceptable: client must accept application/json")
        ctype = h.get("content-type", "").split(";")[0].strip().lower()
        if ctype != _JSON:
            return self._rpc_error_response(415, None, INVALID_REQUEST,
                                            "Unsupported Media Type: Content-Type must be application/json")
        try:
            msg = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._rpc_error_response(400, None, PARSE_ERROR, "Parse error")
        if isinstance(msg, list):
            # JSON-RPC batching was removed in 2025-06-18 and is absent since.
            return self._rpc_error_response(400, None, INVALID_REQUEST,
                                            "Invalid Request: batches are not supported")
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            return self._rpc_error_response(400, _safe_id(msg), INVALID_REQUEST, "Invalid Request")

        has_id = "id" in msg
        has_method = "method" in msg
        if not has_method:
            if has_id and ("result" in msg or "error" in msg):
                # A client's JSON-RPC *response* (legal in the handshake era);
                # this server never sends requests, so just accept it.
                return 202, [], b""
            return self._rpc_error_response(400, _safe_id(msg), INVALID_REQUEST, "Invalid Request")
        if not isinstance(msg["method"], str):
            return self._rpc_error_response(400, _safe_id(msg), INVALID_REQUEST, "Invalid Request: method")
        if has_id and not _valid_id(msg["id"]):
            return self._rpc_error_response(400, None, INVALID_REQUEST,
                                            "Invalid Request: id must be a string or a number")
        params = msg.get("params")
        if params is not None and not isinstance(params, dict):
            if has_id:
                return self._rpc_error_response(400, msg["id"], INVALID_PARAMS, "Invalid params: params must be an object")
            return self._rpc_error_response(400, None, INVALID_REQUEST, "Invalid Request: params must be an object")

        if self._is_modern(msg, h):
            return self._modern(msg, h)
        return self._legacy(msg, h)

    def _is_modern(self, msg: Dict[str, Any], h: Dict[str, str]) -> bool:
        meta = _meta_of(msg)
        if meta is not None and META_PROTOCOL_VERSION in meta:
            return True
        if msg["method"] == "initialize":
            return False
        pv = h.get("mcp-protocol-version")
        if pv is None:
            return False
        return pv not in self.handshake_versions and pv not in KNOWN_OLD_HANDSHAKE_VERSIONS

    # ---------------------------------------------------------- modern era

    def _modern(self, msg: Dict[str, Any], h: Dict[str, str]) -> Response:
        method = msg["method"]
        if "id" not in msg:
            # 2026-07-28 defines no client->server notifications over HTTP; a
            # notification is accepted (202) and dropped, unless its version
            # header names a version we do not serve.
            pv = h.get("mcp-protocol-version", "")
            if pv not in self.modern_versions:
                return self._rpc_error_response(400, None, UNSUPPORTED_PROTOCOL_VERSION,
                                                "Unsupported protocol version",
                                                data=self._unsupported_data(pv))
            return 202, [], b""
        rid = msg["id"]
        params = msg.get("params") or {}
        try:
            version, client_info, caps = self._modern_ladder(msg, params, h)
            ctx = McpContext("modern", version, client_info, caps, None, h)
            if method == "server/discover":
                result = {
                    "supportedVersions": list(self.modern_versions) + list(self.handshake_versions),
                    "capabilities": self._capabilities(),
                    "ttlMs": self.list_ttl_ms,
                    "cacheScope": "public",
                }
                if self.instructions:
                    result["instructions"] = self.instructions
            elif method == "tools/list":
                result = self._tools_list(params, modern=True)
            elif method == "tools/call":
                result = self._tools_call(params, ctx, modern=True)
            elif method == "subscriptions/listen":
                return self._listen(rid, h)
            else:
                raise _RpcError(METHOD_NOT_FOUND, "Method not found: %s" % method)
        except _RpcError as e:
            status = MODERN_ERROR_STATUS.get(e.code, 200)
            return self._rpc_error_response(status, rid, e.code, e.message, data=e.data)
        result["resultType"] = "complete"
        meta = result.setdefault("_meta", {})
        meta[META_SERVER_INFO] = dict(self.server_info)
        return self._json_response(200, {"jsonrpc": "2.0", "id": rid, "result": result})

    def _modern_ladder(self, msg: Dict[str, Any], params: Dict[str, Any],
                       h: Dict[str, str]) -> Tuple[str, Any, Any]:
        """The 2026-07-28 validation order (same as the Python SDK's
        classify_inbound_request): envelope present -> headers match the body ->
        version supported."""
        meta = params.get("_meta")
        if not isinstance(meta, dict):
            raise _RpcError(INVALID_PARAMS, "params._meta must be an object carrying %r and %r"
                            % (META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES))
        missing = [k for k in (META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES) if k not in meta]
        if missing:
            raise _RpcError(INVALID_PARAMS, "params._meta is missing: %s" % ", ".join(missing))
        version = meta[META_PROTOCOL_VERSION]
        header_version = h.get("mcp-protocol-version")
        if header_version is None or header_version != version:
            raise _RpcError(HEADER_MISMATCH, "MCP-Protocol-Version header does not match "
                            "params._meta protocolVersion")
        if h.get("mcp-method") != msg["method"]:
            raise _RpcError(HEADER_MISMATCH, "Mcp-Method header does not match the request method")
        if msg["method"] in ("tools/call", "prompts/get", "resources/read"):
            key = "uri" if msg["method"] == "resources/read" else "name"
            body_value = params.get(key)
            if body_value is not None and decode_header_value(h.get("mcp-name")) != body_value:
                raise _RpcError(HEADER_MISMATCH, "Mcp-Name header does not match params.%s" % key)
        if not isinstance(version, str):
            raise _RpcError(INVALID_PARAMS, "protocolVersion must be a string")
        if version not in self.modern_versions:
            raise _RpcError(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version",
                            self._unsupported_data(version))
        caps = meta[META_CLIENT_CAPABILITIES]
        if not isinstance(caps, dict):
            raise _RpcError(INVALID_PARAMS, "clientCapabilities must be an object")
        return version, meta.get(META_CLIENT_INFO), caps

    def _unsupported_data(self, requested: Any) -> Dict[str, Any]:
        return {"supported": list(self.modern_versions) + list(self.handshake_versions),
                "requested": requested if isinstance(requested, str) else json.dumps(requested)}

    def _listen(self, rid: Any, h: Dict[str, str]) -> Response:
        """subscriptions/listen: this server has no change notifications, so it
        acknowledges an empty filter and ends the subscription gracefully in
        one finite SSE reply (basic/patterns/subscriptions.mdx)."""
        if not _accepts(h.get("accept"), "text/event-stream"):
            return self._rpc_error_response(406, rid, INVALID_REQUEST,
                                            "Not Acceptable: subscriptions/listen needs text/event-stream")
        ack = {"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged",
               "params": {"_meta": {META_SUBSCRIPTION_ID: rid}, "notifications": {}}}
        done = {"jsonrpc": "2.0", "id": rid,
                "result": {"resultType": "complete",
                           "_meta": {META_SUBSCRIPTION_ID: rid, META_SERVER_INFO: dict(self.server_info)}}}
        body = b"".join(b"event: message\r\ndata: " + _dumps(m) + b"\r\n\r\n" for m in (ack, done))
        return 200, [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                     ("X-Accel-Buffering", "no")], body

    # ---------------------------------------------------------- legacy era

    def _legacy(self, msg: Dict[str, Any], h: Dict[str, str]) -> Response:
        method = msg["method"]
        is_request = "id" in msg
        rid = msg.get("id")
        params = msg.get("params") or {}

        if method == "initialize":
            if not is_request:
                return self._rpc_error_response(400, None, INVALID_REQUEST, "initialize must be a request")
            return self._initialize(rid, params)

        session: Optional[_Session] = None
        if self.stateful:
            sid = h.get("mcp-session-id")
            if not sid:
                return self._rpc_error_response(400, rid, INVALID_REQUEST,
                                                "Bad Request: Mcp-Session-Id header required "
                                                "(send initialize first)")
            with self._lock:
                self._expire_locked()
                session = self._sessions.get(sid)
                if session is not None:
                    session.last_used = time.monotonic()
            if session is None:
                return self._rpc_error_response(404, rid, INVALID_REQUEST, "Session not found")

        pv = h.get("mcp-protocol-version")
        if pv is not None and pv not in self.handshake_versions:
            return self._rpc_error_response(
                400, rid, INVALID_REQUEST, "Bad Request: unsupported MCP-Protocol-Version %s" % pv,
                data={"supported": list(self.handshake_versions), "requested": pv}, session=session)
        if session is not None:
            version = session.version
        else:
            version = pv or self.handshake_versions[-1]

        if not is_request:
            if method == "notifications/initialized" and session is not None:
                session.initialized = True
            return 202, self._session_headers(session), b""

        ctx = McpContext("legacy", version,
                             session.client_info if session else None,
                             session.capabilities if session else None,
                             session.id if session else None, h)
        try:
            if method == "ping":
                result: Dict[str, Any] = {}
            elif method == "tools/list":
                result = self._tools_list(params, modern=False)
            elif method == "tools/call":
                result = self._tools_call(params, ctx, modern=False)
            else:
                raise _RpcError(METHOD_NOT_FOUND, "Method not found: %s" % method)
        except _RpcError as e:
            # Handshake era: JSON-RPC errors travel in a 200 reply (what the
            # SDK servers do; the TS client turns a non-2xx into a transport
            # error instead of a protocol error).
            return self._rpc_error_response(200, rid, e.code, e.message, data=e.data, session=session)
        return self._json_response(200, {"jsonrpc": "2.0", "id": rid, "result": result}, session=session)

    def _initialize(self, rid: Any, params: Dict[str, Any]) -> Response:
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            return self._rpc_error_response(200, rid, INVALID_PARAMS, "Invalid params: protocolVersion is required")
        caps = params.get("capabilities", {})
        client_info = params.get("clientInfo")
        # lifecycle.mdx "Version Negotiation": same version if supported,
        # otherwise the latest one we support (the client may then disconnect).
        version = requested if requested in self.handshake_versions else self.handshake_versions[0]
        session = None
        if self.stateful:
            session = _Session(secrets.token_hex(16), version, client_info, caps)
            with self._lock:
                self._expire_locked()
                if len(self._sessions) >= self.max_sessions:
                    oldest = min(self._sessions.values(), key=lambda s: s.last_used)
                    del self._sessions[oldest.id]
                self._sessions[session.id] = session
        result: Dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self._capabilities(),
            "serverInfo": dict(self.server_info),
        }
        if self.instructions:
            result["instructions"] = self.instructions
        return self._json_response(200, {"jsonrpc": "2.0", "id": rid, "result": result}, session=session)

    def _expire_locked(self) -> None:
        if not self._sessions:
            return
        cutoff = time.monotonic() - self.session_idle_seconds
        for sid in [s.id for s in self._sessions.values() if s.last_used < cutoff]:
            del self._sessions[sid]

    def session_count(self) -> int:
        with self._lock:
            return len(self._sessions)

    # ---------------------------------------------------------- shared methods

    def _capabilities(self) -> Dict[str, Any]:
        return {"tools": {"listChanged": False}}

    def _tools_list(self, params: Dict[str, Any], modern: bool) -> Dict[str, Any]:
        tools = list(self.tools_provider())
        start = 0
        cursor = params.get("cursor")
        if cursor is not None:
            start = _decode_cursor(cursor, len(tools))
        end = len(tools) if not self.page_size else min(len(tools), start + self.page_size)
        page = [_tool_for_era(t, modern) for t in tools[start:end]]
        result: Dict[str, Any] = {"tools": page}
        if end < len(tools):
            result["nextCursor"] = _encode_cursor(end)
        if modern:
            result["ttlMs"] = self.list_ttl_ms
            result["cacheScope"] = "public"
        return result

    def _tools_call(self, params: Dict[str, Any], ctx: McpContext, modern: bool) -> Dict[str, Any]:
        name = params.get("name")
        if not isinstance(name, str):
            raise _RpcError(INVALID_PARAMS, "Invalid params: name must be a string")
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise _RpcError(INVALID_PARAMS, "Invalid params: arguments must be an object")
        try:
            result = self.call_tool(name, arguments, ctx)
        except UnknownTool:
            raise _RpcError(INVALID_PARAMS, "Unknown tool: %s" % name)
        except ToolError as e:
            return tool_error(str(e))
        except Exception as e:  # tool bugs are tool execution errors, visible to the model
            log.exception("tool %s failed", name)
            return tool_error("%s: %s" % (type(e).__name__, e))
        if not isinstance(result, dict) or "content" not in result:
            result = tool_result(result)
        if not modern and "structuredContent" in result and not isinstance(result["structuredContent"], dict):
            # 2025-06-18 / 2025-11-25: structuredContent is an *object*; SDK
            # clients reject anything else.  Keep only the text content.
            result = dict(result)
            del result["structuredContent"]
        return result

    # ---------------------------------------------------------- responses

    def _session_headers(self, session: Optional[_Session]) -> List[Tuple[str, str]]:
        return [("Mcp-Session-Id", session.id)] if session is not None else []

    def _json_response(self, status: int, payload: Any, session: Optional[_Session] = None) -> Response:
        headers = [("Content-Type", _JSON)] + self._session_headers(session)
        return status, headers, _dumps(payload)

    def _rpc_error_response(self, status: int, rid: Any, code: int, message: str, data: Any = None,
                            session: Optional[_Session] = None,
                            extra_headers: Iterable[Tuple[str, str]] = ()) -> Response:
        error: Dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        payload = {"jsonrpc": "2.0", "id": rid, "error": error}
        status, headers, body = self._json_response(status, payload, session)
        return status, headers + list(extra_headers), body


# --- helpers ---------------------------------------------------------------

def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _safe_id(msg: Any) -> Any:
    if isinstance(msg, dict) and _valid_id(msg.get("id")):
        return msg["id"]
    return None


def _meta_of(msg: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    params = msg.get("params")
    if isinstance(params, dict) and isinstance(params.get("_meta"), dict):
        return params["_meta"]
    return None


def _media_types(accept: Optional[str]) -> List[str]:
    return [part.split(";")[0].strip().lower() for part in (accept or "").split(",") if part.strip()]


def _accepts(accept: Optional[str], media_type: str) -> bool:
    if accept is None:
        return True
    types = _media_types(accept)
    major = media_type.split("/")[0] + "/*"
    return media_type in types or "*/*" in types or major in types


def _accepts_json(accept: Optional[str]) -> bool:
    # The spec makes clients list application/json AND text/event-stream; a
    # JSON-only server only needs the former (as the SDK servers in JSON mode).
    return _accepts(accept, _JSON)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(("o:%d" % offset).encode("ascii")).decode("ascii")


def _decode_cursor(cursor: Any, total: int) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        if not text.startswith("o:"):
            raise ValueError(text)
        offset = int(text[2:])
    except (AttributeError, ValueError, binascii.Error, UnicodeError):
        raise _RpcError(INVALID_PARAMS, "Invalid cursor")
    if offset < 0 or offset > total:
        raise _RpcError(INVALID_PARAMS, "Invalid cursor")
    return offset


def _tool_for_era(tool: Dict[str, Any], modern: bool) -> Dict[str, Any]:
    out = dict(tool)
    if not modern:
        schema = out.get("outputSchema")
        if schema is not None and schema.get("type") != "object":
            # handshake-era schemas require type "object" for outputSchema
            del out["outputSchema"]
    return out


def unauthorized() -> Response:
    """401: the API key is set and the request did not carry it as a Bearer token."""
    payload = {"jsonrpc": "2.0", "id": None, "error": {
        "code": INVALID_REQUEST,
        "message": "Unauthorized: send the AnkiConnect API key as 'Authorization: Bearer <key>'"}}
    return 401, [("Content-Type", _JSON), ("WWW-Authenticate", 'Bearer realm="AnkiConnect"')], \
        _dumps(payload)


def wsgi_headers(environ: Mapping[str, Any]) -> Dict[str, str]:
    """A WSGI request's HTTP headers (names lower-case)."""
    headers = {key[5:].replace("_", "-").lower(): value
               for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers
