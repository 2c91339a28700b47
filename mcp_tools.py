# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The actions as MCP tools (mcp_protocol.py speaks the protocol).

Each tool is an action of the same name, described from its declaration:
the docstring for the description, schema.py for `inputSchema` and
`outputSchema` (the result under `result`: structured content is an object
in every protocol era), the declaration's flags for the annotations.

What is offered: the actions that only read, by default; the ones that
change the collection when the config's `mcpAllowWrites` is true; the
destructive ones (deleting notes, decks, fields, files, resetting learning)
only when `mcpAllowDestructive` is true as well.  Never: Anki's windows,
profiles, sync, permission requests, `multi` (which would get around these
rules) and reading files of this computer (`path` in media).  A tool that
is not offered is not listed, and calling it is a clear tool error.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

from .mcp_protocol import UnknownTool
from .schema import SchemaBuilder, params_schema, result_schema
from .util import ADDON_VERSION, ActionSpec, RequestContext
from .web import bearer_key

#: never tools: the desktop's windows and profiles, sync, asking the user,
#: and actions that are about the API itself
NEVER = {"multi", "requestPermission", "loadProfile", "getProfiles", "getActiveProfile",
         "sync", "reloadCollection", "upgrade", "apiReflect", "version", "getMediaDirPath"}

INSTRUCTIONS = """\
These tools read and change the user's Anki collection (their flashcards), \
in the Anki app running on this computer.

- Notes hold the content (fields such as Front and Back) and belong to a note \
type ("model"); each note makes one or more cards, which live in decks and \
carry the scheduling.  Note ids and card ids are different numbers.
- Searches (`query`) use Anki's search syntax, as in its browser: `deck:Spanish`, \
`"deck:My Deck"`, `tag:verb`, `front:word` (a field), `is:due`, `is:new`, \
`is:suspended`, `added:7` (last 7 days), `rated:1`, `prop:ivl>30`, words are \
matched anywhere, `-` negates, `or` combines, `*` is a wildcard.  `""` (empty) \
matches everything.
- Prefer the bulk tools (notesInfo with many ids, addNotes) to many single calls.
- Changes are undoable in Anki (Edit > Undo).  Which changes are offered is the \
user's choice in the AnkiConnect config (mcpAllowWrites, mcpAllowDestructive).
"""


def offered(spec: ActionSpec, config: Dict[str, Any], has_gui: bool) -> Optional[str]:
    """None if `spec` is offered as a tool now, else why not (for the tool error)."""
    if spec.name in NEVER or spec.gui:
        return "it is not offered to assistants"
    if spec.destructive and not (config.get("mcpAllowWrites") and config.get("mcpAllowDestructive")):
        return ("it deletes or resets data, which the user has not allowed assistants to do "
                "(AnkiConnect config: mcpAllowWrites and mcpAllowDestructive)")
    if spec.write and not config.get("mcpAllowWrites"):
        return ("it changes the collection, which the user has not allowed assistants to do "
                "(AnkiConnect config: mcpAllowWrites)")
    return None


def tool(spec: ActionSpec) -> Dict[str, Any]:
    """The MCP tool of an action."""
    builder = SchemaBuilder()
    inputs = params_schema(spec, builder)
    outputs = {"type": "object", "properties": {"result": result_schema(spec, builder)},
               "required": ["result"]}
    if builder.defs:  # (one $defs for both: each schema is used on its own)
        inputs = dict(inputs, **{"$defs": builder.defs})
        outputs["$defs"] = builder.defs
    parts = [spec.summary] + spec.prose
    if spec.write:
        parts.append("Changes the collection: one undo step in Anki (Edit > Undo).")
    return {
        "name": spec.name,
        "title": _title(spec.name),
        "description": "\n\n".join(p for p in parts if p),
        "inputSchema": inputs,
        "outputSchema": outputs,
        "annotations": {
            "title": _title(spec.name),
            "readOnlyHint": not spec.write,
            "destructiveHint": spec.destructive,
            "idempotentHint": spec.idempotent or not spec.write,
            "openWorldHint": False,
        },
    }


def _title(name: str) -> str:
    """`notesInfo` -> `Notes info`."""
    words, word = [], ""
    for c in name:
        if c.isupper() and word:
            words.append(word)
            word = c.lower()
        else:
            word += c
    words.append(word)
    return " ".join(words).capitalize()


class Tools:
    """The tools of one AnkiConnect dispatcher, for mcp_protocol.McpEndpoint."""

    def __init__(self, connect: Any) -> None:
        self.connect = connect
        self._tools = {name: tool(spec) for name, spec in sorted(connect.actions.items())
                       if spec.name not in NEVER and not spec.gui}

    def listed(self) -> List[Dict[str, Any]]:
        config, has_gui = self.connect.config(), self.connect.host.has_gui
        return [t for name, t in self._tools.items()
                if offered(self.connect.actions[name], config, has_gui) is None]

    def call(self, name: str, arguments: Dict[str, Any], context: Any) -> Dict[str, Any]:
        """Run a tool (mcp_protocol.McpEndpoint's call_tool): a CallToolResult, the
        action's failure as a tool error."""
        spec = self.connect.actions.get(name)
        if spec is None:
            raise UnknownTool(name)
        refused = offered(spec, self.connect.config(), self.connect.host.has_gui)
        if refused is not None:
            return error(f"{name} is not available: {refused}.")
        if _reads_a_path(name, arguments):
            return error(f"{name}: media from a `path` (a file of this computer) is not offered "
                         "to assistants; give `data` (base64) or a `url`.")
        request = {"action": name, "version": 6, "params": arguments}
        headers = context.headers
        reply = self.connect.handle(request, RequestContext(
            origin=headers.get("origin", ""), detailed=True,
            key=bearer_key({"HTTP_AUTHORIZATION": headers.get("authorization")})))
        if reply.get("error") is not None:
            return error(reply["error"], reply.get("errorDetail"))
        value = {"result": reply["result"]}
        result = {"content": [{"type": "text", "text": json.dumps(reply["result"],
                                                                  ensure_ascii=False)}],
                  "structuredContent": value, "isError": False}
        if reply.get("errorDetail"):  # some items failed (addNotes): say which
            result["content"].append({"type": "text", "text": json.dumps(
                {"errorDetail": reply["errorDetail"]}, ensure_ascii=False)})
        return result


def error(message: str, detail: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A tool execution error, as MCP has it: in the result, for the model to read."""
    content = [{"type": "text", "text": message}]
    if detail:
        content.append({"type": "text", "text": json.dumps({"errorDetail": detail})})
    return {"content": content, "isError": True}


def _reads_a_path(name: str, arguments: Dict[str, Any]) -> bool:
    """Whether the arguments name a media `path`: storeMediaFile's, or a
    media entry's (an object with a `filename`) anywhere in a note."""
    if name == "storeMediaFile" and arguments.get("path") is not None:
        return True
    stack: List[Any] = [arguments]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "filename" in item and item.get("path") is not None:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class McpSurface:
    """`/mcp` on the API's port: the protocol (mcp_protocol.McpEndpoint) with these
    tools, behind the same access rules as every surface; the API key comes
    as `Authorization: Bearer <key>` (401 without it)."""

    def __init__(self, app: Any) -> None:
        from .mcp_protocol import McpEndpoint

        self.app = app
        self.tools = Tools(app.connect)
        self.endpoint = McpEndpoint(self.tools.listed, self.tools.call, "AnkiConnect",
                                    ADDON_VERSION, instructions=INSTRUCTIONS,
                                    server_title="Anki (AnkiConnect)")

    def register(self, surfaces: Dict[str, Callable[..., List[bytes]]]) -> None:
        surfaces["/mcp"] = self.serve

    def serve(self, environ: Dict[str, Any], start_response: Callable, caller: Any) -> List[bytes]:
        from .mcp_protocol import unauthorized, wsgi_headers
        from .web import _content_length, _respond

        if not self.app.connect.key_is_valid(caller.key):
            status, headers, body = unauthorized()
        else:
            length = _content_length(environ)
            body = environ["wsgi.input"].read(length) if length else b""
            status, headers, body = self.endpoint.handle(
                environ.get("REQUEST_METHOD", "GET"), wsgi_headers(environ), body)
        if caller.cors:
            headers = headers + [("Access-Control-Expose-Headers", "Mcp-Session-Id")]
        content_type = dict(headers).get("Content-Type", "application/json")
        others = [(k, v) for k, v in headers if k != "Content-Type"]
        return _respond(start_response, STATUS.get(status, f"{status} Error"), body,
                        content_type, caller.cors, others)


STATUS = {200: "200 OK", 202: "202 Accepted", 204: "204 No Content", 400: "400 Bad Request",
          401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not Found",
          405: "405 Method Not Allowed", 406: "406 Not Acceptable",
          415: "415 Unsupported Media Type", 500: "500 Internal Server Error"}


__all__ = ["Tools", "McpSurface", "INSTRUCTIONS", "offered", "tool", "error"]
