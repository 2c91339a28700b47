"""MCP on the API's port (`/mcp`), driven by the official Python SDK (`mcp`
on PyPI) in both protocol eras: the tools are the actions, described from
their declarations; what is offered follows the config; the access rules are
the API's.  (The SDK needs Python 3.10+: on older Pythons only the raw
protocol tests here run.)"""
import asyncio
import http.client
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import HeadlessProcess

try:
    from mcp import Client
    from mcp.shared.exceptions import MCPError
except ImportError:  # Python 3.9 (Anki 2.1.66's tier)
    Client = None

needs_sdk = pytest.mark.skipif(Client is None, reason="the mcp SDK needs Python 3.10+")
#: the SDK's modes: the initialize handshake (2025-11-25), and the stateless 2026-07-28
MODES = ["legacy", "auto", "2026-07-28"]


def url(port):
    return f"http://127.0.0.1:{port}/mcp"


def run(coro):
    return asyncio.run(coro)


async def list_all(client):
    tools, cursor = [], None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        cursor = page.next_cursor
        if cursor is None:
            return tools


def own_server(tmp_path, **config):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return HeadlessProcess(args=("--config", str(path))).start()


@needs_sdk
@pytest.mark.parametrize("mode", MODES)
def test_tools_are_the_read_only_actions_by_default(api, mode):
    async def go():
        async with Client(url(api.port), mode=mode) as client:
            assert client.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
            tools = {t.name: t for t in await list_all(client)}
            for name in ("deckNames", "findNotes", "notesInfo", "cardsInfo", "modelNames"):
                assert name in tools
            for name in ("addNote", "deleteNotes", "createDeck", "guiBrowse", "multi", "sync",
                         "loadProfile", "storeMediaFile", "deleteMediaFile", "exportPackage"):
                assert name not in tools, name
            find = tools["findNotes"]
            assert "search" in find.description.lower()
            assert find.input_schema["type"] == "object" and "query" in find.input_schema["properties"]
            assert find.output_schema["properties"]["result"]["type"] == "array"
            assert find.annotations.read_only_hint is True
            assert find.annotations.open_world_hint is False
            result = await client.call_tool("deckNames", {})
            assert result.is_error is False
            assert result.structured_content == {"result": ["Default"]}
            assert json.loads(result.content[0].text) == ["Default"]
    run(go())


@needs_sdk
@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_tool_that_is_not_offered_is_a_clear_tool_error(api, mode):
    async def go():
        async with Client(url(api.port), mode=mode) as client:
            result = await client.call_tool("createDeck", {"deck": "Nope"})
            assert result.is_error is True
            assert "mcpAllowWrites" in result.content[0].text
            result = await client.call_tool("findNotes", {"query": "deck:("})
            assert result.is_error is True and "invalid search" in result.content[0].text
            with pytest.raises(MCPError) as e:
                await client.call_tool("noSuchTool", {})
            assert e.value.error.code == -32602
    run(go())
    assert "Nope" not in api.call("deckNames")


@needs_sdk
def test_writes_and_destructive_tools_follow_the_config(tmp_path):
    writes = own_server(tmp_path, mcpAllowWrites=True)
    try:
        async def go():
            async with Client(url(writes.port), mode="2026-07-28") as client:
                names = {t.name for t in await list_all(client)}
                assert {"addNote", "createDeck", "updateNoteFields"} <= names
                assert not names & {"deleteNotes", "deleteDecks", "forgetCards"}
                note = {"deckName": "Default", "modelName": "Basic",
                        "fields": {"Front": "from an assistant", "Back": "b"}}
                added = await client.call_tool("addNote", {"note": note})
                assert added.is_error is False
                nid = added.structured_content["result"]
                info = await client.call_tool("notesInfo", {"notes": [nid]})
                assert info.structured_content["result"][0]["fields"]["Front"]["value"] == \
                    "from an assistant"
                refused = await client.call_tool("deleteNotes", {"notes": [nid]})
                assert refused.is_error and "mcpAllowDestructive" in refused.content[0].text
                # a file of this computer is never read for an assistant
                media = await client.call_tool("addNote", {"note": dict(note, fields={
                    "Front": "with a picture"}, picture={"path": "/etc/hostname",
                                                        "filename": "x.png", "fields": ["Back"]})})
                assert media.is_error and "path" in media.content[0].text
        run(go())
    finally:
        writes.cleanup()
    destructive = own_server(tmp_path, mcpAllowWrites=True, mcpAllowDestructive=True)
    try:
        async def go2():
            async with Client(url(destructive.port), mode="legacy") as client:
                tools = {t.name: t for t in await list_all(client)}
                assert tools["deleteNotes"].annotations.destructive_hint is True
                assert tools["addNote"].annotations.destructive_hint is False
                assert tools["addNote"].annotations.read_only_hint is False
        run(go2())
    finally:
        destructive.cleanup()


@needs_sdk
def test_the_api_key_as_a_bearer_token(tmp_path):
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    server = own_server(tmp_path, apiKey="an assistant's key")
    try:
        async def go(token, mode):
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
            async with Client(streamable_http_client(url(server.port), http_client=http),
                              mode=mode) as client:
                return (await client.call_tool("deckNames", {})).structured_content

        for mode in ("legacy", "2026-07-28"):
            assert run(go("an assistant's key", mode)) == {"result": ["Default"]}
            with pytest.raises(Exception):
                run(go("wrong", mode))
    finally:
        server.cleanup()


# -- the raw protocol (also on Anki 2.1.66's Python) --------------------------------


def post(port, message, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        all_headers = {"Content-Type": "application/json",
                       "Accept": "application/json, text/event-stream"}
        all_headers.update(headers or {})
        conn.request("POST", "/mcp", body=json.dumps(message), headers=all_headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, \
            json.loads(body) if body else None
    finally:
        conn.close()


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def test_handshake_era_sessions(api):
    status, headers, reply = post(api.port, INITIALIZE)
    assert status == 200 and reply["result"]["protocolVersion"] == "2025-06-18"
    assert reply["result"]["capabilities"] == {"tools": {"listChanged": False}}
    assert "search syntax" in reply["result"]["instructions"]
    session = headers["mcp-session-id"]
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    status, _, reply = post(api.port, listing, {"Mcp-Session-Id": session,
                                                "MCP-Protocol-Version": "2025-06-18"})
    assert status == 200 and reply["result"]["tools"]
    assert post(api.port, listing)[0] == 400  # no session
    assert post(api.port, listing, {"Mcp-Session-Id": "unknown"})[0] == 404


def test_stateless_era_checks_its_envelope(api):
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}}
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "deckNames", "arguments": {}, "_meta": meta}}
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call",
               "Mcp-Name": "deckNames"}
    status, _, reply = post(api.port, call, headers)
    assert status == 200 and reply["result"]["structuredContent"] == {"result": ["Default"]}
    assert reply["result"]["resultType"] == "complete"
    status, _, reply = post(api.port, call, dict(headers, **{"Mcp-Name": "other"}))
    assert status == 400 and reply["error"]["code"] == -32020
    status, _, reply = post(api.port, dict(call, params=dict(call["params"], _meta=dict(
        meta, **{"io.modelcontextprotocol/protocolVersion": "2099-01-01"}))),
        dict(headers, **{"MCP-Protocol-Version": "2099-01-01"}))
    assert status == 400 and reply["error"]["code"] == -32022
    assert "2026-07-28" in reply["error"]["data"]["supported"]


def test_the_access_rules_of_the_api_hold(api):
    status, _, _ = post(api.port, INITIALIZE, {"Origin": "https://evil.example"})
    assert status == 403
    status, _, _ = post(api.port, INITIALIZE, {"Host": f"evil.example:{api.port}"})
    assert status == 403
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    conn.request("GET", "/mcp")
    assert conn.getresponse().status == 405
    conn.close()


# -- the official TypeScript SDKs ---------------------------------------------------

NODE_CLIENT = Path(__file__).with_name("mcp_node") / "client.mjs"


needs_node = pytest.mark.skipif(
    not (NODE_CLIENT.parent / "node_modules").exists() or not shutil.which("node"),
    reason="the TypeScript SDKs are not installed (npm ci in tests/mcp_node)")
TS_CLIENTS = ["v1", "v2 default", "v2 2026-07-28"]


def typescript_clients(port, *args):
    """Run the three TypeScript clients; one dict per client."""
    out = subprocess.run(["node", str(NODE_CLIENT), url(port), *args], capture_output=True,
                         text=True, timeout=120, cwd=NODE_CLIENT.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [r["label"] for r in runs] == TS_CLIENTS
    return runs


@needs_node
def test_typescript_sdks(api):
    runs = typescript_clients(api.port)
    assert [r["era"] for r in runs] == ["legacy", "legacy", "modern"]
    for r in runs:
        assert "findNotes" in r["tools"] and "createDeck" not in r["tools"]
        assert r["findNotesReadOnly"] is True
        assert r["decks"] == {"result": ["Default"]}
        assert r["notes"] == {"result": []}
        assert r["createDeck"]["isError"] is True and "mcpAllowWrites" in r["createDeck"]["text"]
        assert r["unknown"] == -32602
    assert api.call("deckNames") == ["Default"]


@needs_node
def test_typescript_sdks_write_once_anki_allows_it(anki, api, config):
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                                    "fields": {"Front": "seen by an assistant", "Back": "b"}})
    config(mcpAllowWrites=True)
    for r in typescript_clients(api.port, "--write", "From TS"):
        assert "createDeck" in r["tools"] and r["createDeckReadOnly"] is False
        assert r["notes"] == {"result": [nid]}
        assert r["createDeck"]["isError"] is False
        assert isinstance(r["createDeck"]["content"]["result"], int)
    assert {f"From TS {label}" for label in TS_CLIENTS} <= set(api.call("deckNames"))


@needs_node
def test_typescript_sdks_are_held_to_the_access_rules(anki, api, config):
    for r in typescript_clients(api.port, "--origin", "https://evil.example"):
        assert "origin is not allowed" in r["connectError"] or "403" in r["connectError"], r
    config(apiKey="an assistant's key")
    for r in typescript_clients(api.port, "--token", "wrong"):
        assert "unauthorized" in r["connectError"].lower() or "401" in r["connectError"], r
    for r in typescript_clients(api.port, "--token", "an assistant's key"):
        assert r["decks"] == {"result": ["Default"]}
