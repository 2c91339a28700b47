"""The wire protocol, exactly as the v6 reference shapes it."""
import http.client
import json
import re
import socket
import time

import pytest

from harness import ApiClient


BANNER = b"AnkiConnect v.6"


def test_get_root_answers_banner(api):
    status, headers, body = api.raw(method="GET")
    assert (status, body) == (200, BANNER)
    assert headers["content-type"] == "text/plain"


def test_empty_post_answers_banner(api):
    status, headers, body = api.raw(b"", method="POST")
    assert (status, body) == (200, BANNER)
    assert headers["content-type"] == "text/plain"


def test_v6_reply_is_result_and_error_byte_for_byte(api):
    status, headers, body = api.raw(b'{"action":"deckNames","version":6}')
    assert status == 200
    assert body == b'{"result": ["Default"], "error": null}'
    assert headers["content-type"] == "application/json"


def test_missing_version_means_v4_bare_result(api):
    _, _, body = api.raw({"action": "deckNames"})
    assert json.loads(body) == ["Default"]


def test_version_2_bare_result_and_enveloped_error(api):
    assert api.request("version", version=2) == 6
    assert api.request("nope", version=2) == {"result": None, "error": "unsupported action"}


def test_unknown_action(api):
    assert api.request("noSuchAction") == {"result": None, "error": "unsupported action"}


def test_no_params_key_and_empty_params_both_work(api):
    _, _, a = api.raw({"action": "deckNames", "version": 6})
    _, _, b = api.raw({"action": "deckNames", "version": 6, "params": {}})
    assert a == b == b'{"result": ["Default"], "error": null}'


def test_unexpected_param_names_action_and_param(api):
    reply = api.request("deckNames", foobar=1)
    assert reply == {"result": None, "error": "deckNames() got an unexpected keyword argument 'foobar'"}


def test_missing_param_names_action_and_param(api):
    reply = api.request("loadProfile")
    assert reply["result"] is None
    assert "loadProfile" in reply["error"] and "'name'" in reply["error"]


def test_wrong_param_type_names_action_and_param(api):
    reply = api.request("apiReflect", scopes="actions")
    assert reply["result"] is None
    assert reply["error"].startswith("apiReflect: parameter 'scopes' must be an array")
    reply = api.request("apiReflect", scopes=["actions", 3])
    assert "'scopes[1]'" in reply["error"]


def test_params_not_an_object(api):
    for params, shown in (([1], "[1]"), (None, "None"), ("x", "'x'")):
        reply = json.loads(api.raw({"action": "deckNames", "version": 6, "params": params})[2])
        assert reply == {"result": None, "error": schema_error(
            f"{shown} is not of type 'object'", "type", "['properties']['params']",
            "{'type': 'object'}", "['params']", shown)}
    # multi's sub-actions are not checked against the schema, as in the reference:
    # null params are no params, other values a plain error
    result = api.call("multi", actions=[
        {"action": "deckNames", "version": 6, "params": None},
        {"action": "deckNames", "version": 6, "params": [1]}])
    assert result == [{"result": ["Default"], "error": None},
                      {"result": None, "error": "deckNames: params must be an object"}]


def test_malformed_json_gets_json_error_and_server_keeps_serving(api):
    for body in (b'{"action":', b"\xff\xfe\x00garbage", b"[1,2,3]", b'"text"', b"42",
                 b"[" * 100000 + b"]" * 100000):
        status, headers, data = api.raw(body)
        assert status == 200
        reply = json.loads(data)
        assert reply["result"] is None and reply["error"], body[:20]
    assert api.call("version") == 6


def test_invalid_utf8_gets_the_decoders_text(api):
    reply = json.loads(api.raw(b'{"action": "\xff"}')[2])
    assert reply == {"result": None, "error":
                     "'utf-8' codec can't decode byte 0xff in position 12: invalid start byte"}
    reply = json.loads(api.raw(b"\xe7\x8c")[2])
    assert reply == {"result": None, "error":
                     "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"}


def test_malformed_json_gets_the_json_modules_text(api):
    for body, error in ((b"{1: 2}", "Expecting property name enclosed in double quotes: "
                                    "line 1 column 2 (char 1)"),
                        (b" ", "Expecting value: line 1 column 2 (char 1)"),
                        (b'{"action": "version"} x', "Extra data: line 1 column 23 (char 22)")):
        status, headers, data = api.raw(body)
        assert (status, json.loads(data)) == (200, {"result": None, "error": error})
        assert headers["content-type"] == "application/json"


def test_a_leading_byte_order_mark_is_skipped(api):
    assert json.loads(api.raw(b'\xef\xbb\xbf{"action": "version", "version": 6}')[2]) == \
        {"result": 6, "error": None}


ROOT_SCHEMA = ("{'type': 'object',\n"
               "     'properties': {'action': {'type': 'string', 'minLength': 1},\n"
               "                    'version': {'type': 'integer'},\n"
               "                    'params': {'type': 'object'}},\n"
               "     'required': ['action']}")


def schema_error(message, keyword, schema_path, schema, instance_path, instance):
    """jsonschema's text for a failed check, as the reference answers it."""
    return (f"{message}\n\nFailed validating {keyword!r} in schema{schema_path}:\n"
            f"    {schema}\n\nOn instance{instance_path}:\n    {instance}")


def test_request_that_is_not_an_object_gets_jsonschemas_text(api):
    for body, shown in ((b"1.2", "1.2"), (b"[]", "[]"), (b"null", "None"), (b'"x"', "'x'"),
                        (b"NaN", "nan")):
        status, _, data = api.raw(body)
        assert (status, json.loads(data)) == (200, {"result": None, "error": schema_error(
            f"{shown} is not of type 'object'", "type", "", ROOT_SCHEMA, "", shown)})


def test_action_missing_or_not_a_name_gets_jsonschemas_text(api):
    reply = json.loads(api.raw(b"{}")[2])
    assert reply == {"result": None, "error": schema_error(
        "'action' is a required property", "required", "", ROOT_SCHEMA, "", "{}")}
    action_schema = "{'type': 'string', 'minLength': 1}"
    reply = json.loads(api.raw(b'{"action": 1}')[2])
    assert reply == {"result": None, "error": schema_error(
        "1 is not of type 'string'", "type", "['properties']['action']", action_schema,
        "['action']", "1")}
    reply = json.loads(api.raw(b'{"action": ""}')[2])
    # (older jsonschema says "is too short")
    assert reply["result"] is None and reply["error"].startswith(("'' should be non-empty\n",
                                                                  "'' is too short\n"))
    assert reply["error"].endswith("\n\nOn instance['action']:\n    ''")


def test_bad_version_value_gets_jsonschemas_text(api):
    for version, shown in (("six", "'six'"), ("6", "'6'"), (6.5, "6.5"), (True, "True"),
                           (None, "None")):
        reply = json.loads(api.raw({"action": "version", "version": version})[2])
        assert reply == {"result": None, "error": schema_error(
            f"{shown} is not of type 'integer'", "type", "['properties']['version']",
            "{'type': 'integer'}", "['version']", shown)}
    # where action and version are both wrong, jsonschema names the version
    reply = json.loads(api.raw({"action": 1, "version": "x"})[2])
    assert reply["error"].startswith("'x' is not of type 'integer'\n")


def test_whole_float_version_is_an_integer(api):
    assert json.loads(api.raw(b'{"action": "deckNames", "version": 6.0}')[2]) == \
        {"result": ["Default"], "error": None}
    assert json.loads(api.raw(b'{"action": "deckNames", "version": 4.0}')[2]) == ["Default"]


def test_sub_action_version_must_be_an_integer(api):
    """multi's sub-actions are not checked against the schema (as in the
    reference); their version is checked one by one."""
    result = api.call("multi", actions=[
        {"action": "version", "version": "6"}, {"action": "version", "version": None},
        {"action": "version", "version": 6.0}, {"action": "version", "version": True}])
    error = {"result": None, "error": "version must be an integer"}
    assert result == [error, error, {"result": 6, "error": None}, error]


def test_multi_results_in_order_sub_actions_default_to_v4(api):
    result = api.call("multi", actions=[
        {"action": "deckNames"},
        {"action": "version", "version": 6},
        {"action": "nope"},
        {"action": "version", "params": {}},
        {"action": "deckNames", "params": {"bad": 1}},
    ])
    assert result == [
        ["Default"],
        {"result": 6, "error": None},
        {"result": None, "error": "unsupported action"},
        6,
        {"result": None, "error": "deckNames() got an unexpected keyword argument 'bad'"},
    ]


def test_multi_v4_outer_is_bare(api):
    assert api.request("multi", version=4, actions=[{"action": "version"}]) == [6]


def test_multi_rejects_non_object_sub_actions(api):
    result = api.call("multi", actions=[{"action": "version"}])
    assert result == [6]
    reply = api.request("multi", actions=[1])
    assert reply["result"] is None and "multi" in reply["error"]


def test_multi_nesting_is_bounded(api):
    req = {"action": "version", "version": 6}
    for _ in range(10):
        req = {"action": "multi", "version": 6, "params": {"actions": [req]}}
    reply = json.loads(api.raw(req)[2])
    text = json.dumps(reply)
    assert "nested more than" in text
    assert api.call("version") == 6


def test_keep_alive_serves_many_requests_on_one_connection(api):
    conn = http.client.HTTPConnection("127.0.0.1", api.port)
    conn.connect()
    sock = conn.sock
    for i in range(20):
        conn.request("POST", "/", body=json.dumps({"action": "version", "version": 6}))
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read()) == {"result": 6, "error": None}
        assert resp.version == 11
        assert conn.sock is sock  # the same socket was kept
    conn.close()


def test_pipelined_requests_answered_in_order(api):
    def request(action):
        body = json.dumps({"action": action, "version": 6}).encode()
        return b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    # deckNames runs on Anki's main thread, version does not: still in order
    replies = [b'{"result": ["Default"], "error": null}', b'{"result": 6, "error": null}'] * 2
    with socket.create_connection(("127.0.0.1", api.port)) as s:
        s.sendall(b"".join(request(a) for a in ["deckNames", "version"] * 2))
        data = b""
        s.settimeout(10)
        while data.count(b'"error": null}') < 4:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    assert re.findall(rb'\{"result": [^\r\n]*?, "error": null\}', data) == replies


def test_pipelined_fast_reply_does_not_wait_for_a_slow_one(api, web):
    """A reply goes out as soon as it and every reply before it on the
    connection are ready: here deckNames, pipelined ahead of a download that
    answers after 3 s."""
    web.files["/slow.mp3"] = (200, b"slow", 3)

    def request(action, **params):
        body = json.dumps({"action": action, "version": 6, "params": params}).encode()
        return b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    with socket.create_connection(("127.0.0.1", api.port)) as s:
        s.settimeout(10)
        started = time.monotonic()
        s.sendall(request("deckNames")
                  + request("storeMediaFile", filename="_slow.mp3", url=web.url("/slow.mp3")))
        data = b""
        while b'"error": null}' not in data:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
        fast = time.monotonic() - started
        assert data.endswith(b'{"result": ["Default"], "error": null}')
        while data.count(b'"error": null}') < 2:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
        slow = time.monotonic() - started
    assert fast < 0.5 and slow >= 3
    assert data.endswith(b'{"result": "_slow.mp3", "error": null}')
    api.call("deleteMediaFile", filename="_slow.mp3")


def test_expect_100_continue(api):
    body = json.dumps({"action": "deckNames", "version": 6}).encode()
    head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with socket.create_connection(("127.0.0.1", api.port)) as s:
        s.settimeout(10)
        s.sendall(head)
        assert s.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
        s.sendall(body)
        data = b""
        while b'"error": null}' not in data:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b'{"result": ["Default"], "error": null}')


def test_chunked_body(api):
    body = json.dumps({"action": "deckNames", "version": 6}).encode()
    chunks = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    req = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    with socket.create_connection(("127.0.0.1", api.port)) as s:
        s.sendall(req)
        s.settimeout(10)
        data = b""
        while b'"error": null}' not in data:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    assert b'{"result": ["Default"], "error": null}' in data


def test_options_preflight_answers_cors(api):
    status, headers, _ = api.raw(method="OPTIONS", headers={
        "Origin": "http://localhost",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert status == 200
    assert headers["access-control-allow-origin"] == "http://localhost"
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type"


def test_preflight_allows_private_network_access(api):
    _, headers, _ = api.raw(method="OPTIONS", headers={
        "Origin": "chrome-extension://abc",
        "Access-Control-Request-Private-Network": "true",
    })
    assert headers["access-control-allow-private-network"] == "true"


def test_reply_cors_header_echoes_allowed_origin(api):
    _, headers, _ = api.raw({"action": "version", "version": 6},
                            headers={"Origin": "chrome-extension://abcdef"})
    assert headers["access-control-allow-origin"] == "chrome-extension://abcdef"
    _, headers, _ = api.raw({"action": "version", "version": 6})
    assert headers["access-control-allow-origin"] == "http://localhost"


def test_second_client_is_independent(anki, api):
    other = ApiClient(anki.port)
    assert other.call("version") == 6
    other.close()


# -- what the reference's own HTTP tests expect, each on a new connection --------------


def once_raw(api, body, headers=None):
    """One request on a connection of its own (as urllib sends it); the
    status and the reply's bytes."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)
    try:
        conn.request("POST", "/", body=body, headers=dict(headers or {}, Connection="close"))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def once(api, body, headers=None):
    """once_raw, with the reply decoded."""
    status, data = once_raw(api, body, headers)
    return status, json.loads(data) if data else None


def v6(action, **params):
    return {"action": action, "params": params, "version": 6}


def test_reference_expects_a_v6_reply_on_each_new_connection(api):
    for _ in range(2):
        assert once(api, v6("version")) == (200, {"error": None, "result": 6})


def test_reference_expects_multi_of_v6_actions(api):
    status, reply = once(api, v6("multi", actions=[v6("version")] * 3))
    assert (status, reply) == (200, {"error": None, "result": [{"error": None, "result": 6}] * 3})


def test_reference_expects_the_banner_for_an_empty_body(api):
    assert once_raw(api, b"") == (200, b"AnkiConnect v.6")


def test_reference_expects_bad_arguments_to_be_named(api):
    status, reply = once(api, v6("addNote", bad="request"))
    assert status == 200 and reply["result"] is None
    assert "unexpected keyword argument" in reply["error"]


def test_reference_expects_anki_not_finding_a_card_to_be_reported(api):
    status, reply = once(api, v6("suspend", cards=[-123]))
    assert status == 200 and reply["result"] is None
    assert "Card was not found" in reply["error"]


@pytest.mark.parametrize("body, text", [
    (b"\xe7\x8c", "can't decode"),
    (b"{1: 2}", "in double quotes"),
    (b"1.2", "is not of type 'object'"),
    (b"{}", "'action' is a required property"),
    (b'{"action": 1}', "1 is not of type 'string'"),
])
def test_reference_expects_a_bad_body_to_be_explained(api, body, text):
    status, reply = once(api, body)
    assert status == 200 and reply["result"] is None and text in reply["error"]


@pytest.mark.parametrize("body", [json.dumps(v6("version")).encode(), b"{1: 2}"])
def test_reference_expects_403_for_a_disallowed_origin(api, body):
    status, reply = once(api, body, {"Origin": "foo"})
    assert status == 403 and reply["result"] is None
