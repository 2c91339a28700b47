"""The self-describing API: JSON Schemas from the actions' declarations,
`GET /openapi.json`, `POST /actions/<name>` with HTTP statuses and
errorDetail, the API key as a Bearer token, apiReflect's `schemas` scope.

Every successful reply of the whole suite is also checked against its
action's result schema by the test client (harness.check_reply)."""
import json
import sys

import pytest
from openapi_spec_validator import validate

from harness import ApiClient, check_reply, load_addon_package, result_validator

#: actions whose params or result are free-form where the reference's are:
#: JSON Schemas (apiReflect), Anki's own JSON for note types, and the
#: params of multi's sub-actions
FREE_FORM_RESULTS = {"apiReflect", "findModelsById", "findModelsByName", "createModel",
                     "multi"}  # multi: each sub-action's own result
FREE_FORM_PARAMS = {"multi"}


def specs():
    package = load_addon_package()
    return sys.modules[package + ".util"].collect_actions(
        sys.modules[package + ".AnkiConnect"].AnkiConnect)


def schemas_of(spec):
    return sys.modules[load_addon_package() + ".schema"].action_schemas(spec)


def vague(schema, defs):
    """Whether a schema says nothing precise somewhere: `{}`, or an object
    without its properties."""
    if schema == {}:
        return True
    if "$ref" in schema:
        return vague(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return any(vague(s, defs) for s in schema["anyOf"])
    if "items" in schema:
        return vague(schema["items"], defs)
    if schema.get("type") == "object":
        if "properties" in schema:
            return any(vague(s, defs) for s in schema["properties"].values())
        extra = schema.get("additionalProperties")
        return not isinstance(extra, dict) or vague(extra, defs)
    return False


def test_every_result_schema_is_precise_where_the_reference_is():
    loose = []
    for name, spec in sorted(specs().items()):
        result = schemas_of(spec)["result"]
        body = {k: v for k, v in result.items() if k not in ("$schema", "$defs")}
        if vague(body, result.get("$defs", {})) and name not in FREE_FORM_RESULTS:
            loose.append(name)
    assert loose == []


def test_every_params_schema_is_precise_where_the_reference_is():
    loose = []
    for name, spec in sorted(specs().items()):
        params = schemas_of(spec)["params"]
        defs = params.get("$defs", {})
        if any(vague(p, defs) for p in params["properties"].values()) \
                and name not in FREE_FORM_PARAMS:
            loose.append(name)
    assert loose == []


def test_every_action_has_a_described_schema():
    for name, spec in specs().items():
        params = schemas_of(spec)["params"]
        assert params["type"] == "object" and params["additionalProperties"] is False
        for param in spec.params:
            assert params["properties"][param].get("description"), (name, param)
        assert spec.summary, name


def test_the_test_client_checks_results_against_their_schema():
    check_reply({"action": "deckNames", "version": 6}, {"result": ["Default"], "error": None})
    with pytest.raises(AssertionError, match="does not match its schema"):
        check_reply({"action": "deckNames", "version": 6}, {"result": [1], "error": None})
    with pytest.raises(AssertionError, match="does not match its schema"):
        check_reply({"action": "multi", "version": 6, "params": {"actions": [
            {"action": "deckNames"}]}}, {"result": [[1]], "error": None})
    assert result_validator("noSuchAction") is None


# -- GET /openapi.json ---------------------------------------------------------------


def openapi(api):
    status, headers, body = api.raw(method="GET", path="/openapi.json")
    assert status == 200 and headers["content-type"] == "application/json"
    return json.loads(body)


def test_openapi_document_is_valid_and_has_every_action(api):
    doc = openapi(api)
    validate(doc)
    offered = set(api.call("apiReflect", scopes=["actions"])["actions"])
    operations = {path[len("/actions/"):]: item["post"] for path, item in doc["paths"].items()
                  if path.startswith("/actions/")}
    assert set(operations) == offered
    for name, op in operations.items():
        assert op["operationId"] == name
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert body["type"] == "object"
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert set(ok["required"]) == {"result", "error"}
    assert "post" in doc["paths"]["/"]
    assert "ErrorDetail" in doc["components"]["schemas"]
    # shared shapes are components, referenced where they are used
    assert "NoteInfo" in doc["components"]["schemas"]


def test_openapi_request_examples_match_their_schemas(api):
    from jsonschema import Draft202012Validator

    doc = openapi(api)
    components = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        content = item["post"]["requestBody"]["content"]["application/json"]
        schema = dict(content["schema"], **{"$defs": components})
        text = json.dumps(schema).replace("#/components/schemas/", "#/$defs/")
        validator = Draft202012Validator(json.loads(text))
        for example in content.get("examples", {}).values():
            errors = list(validator.iter_errors(example["value"]))
            assert not errors, (path, errors[0].message)


# -- POST /actions/<name> ------------------------------------------------------------


def post(api, name, params=None, headers=None, raw=None):
    body = raw if raw is not None else json.dumps(params if params is not None else {})
    status, reply_headers, data = api.raw(body, headers=headers, path=f"/actions/{name}")
    return status, reply_headers, json.loads(data)


def test_actions_answer_at_their_own_path(api):
    status, _, reply = post(api, "deckNames")
    assert (status, reply) == (200, {"result": ["Default"], "error": None})
    assert post(api, "createDeck", {"deck": "Rest"})[2]["result"] > 1
    assert "Rest" in api.call("deckNames")
    status, _, reply = post(api, "version", raw=b"")
    assert (status, reply["result"]) == (200, 6)


@pytest.mark.parametrize("name, params, status, code, param", [
    ("noSuchAction", {}, 404, "unknown_action", None),
    ("createDeck", {"deck": 5}, 400, "invalid_params", "deck"),
    ("createDeck", {}, 400, "invalid_params", "deck"),
    ("deckNames", {"nope": 1}, 400, "invalid_params", "nope"),
    ("suspend", {"cards": [123]}, 400, "not_found", None),
    ("modelFieldNames", {"modelName": "No such type"}, 400, "not_found", None),
])
def test_failures_get_a_status_and_error_detail(api, name, params, status, code, param):
    got, _, reply = post(api, name, params)
    assert got == status
    assert reply["result"] is None and reply["error"]
    detail = reply["errorDetail"]
    assert detail["code"] == code and detail["action"] == name
    if param:
        assert detail["param"] == param


def test_bad_bodies_get_400(api):
    for raw in (b"{1: 2}", b"[1, 2]", b"\xff"):
        status, _, reply = post(api, "deckNames", raw=raw)
        assert status == 400 and reply["errorDetail"]["code"] == "invalid_request"
    status, headers, _ = api.raw(method="GET", path="/actions/deckNames")
    assert status == 405 and headers["allow"] == "POST"


def test_a_duplicate_names_the_existing_note(api):
    note = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "twin", "Back": "b"}}
    nid = api.call("addNote", note=note)
    status, _, reply = post(api, "addNote", {"note": note})
    assert status == 400
    assert reply["error"] == "cannot create note because it is a duplicate"
    assert reply["errorDetail"] == {"code": "duplicate", "action": "addNote", "existingNoteId": nid}


def test_add_notes_says_which_notes_failed_and_why(api):
    def note(front, **extra):
        return dict({"deckName": "Default", "modelName": "Basic",
                     "fields": {"Front": front, "Back": "b"}}, **extra)

    nid = api.call("addNote", note=note("old"))
    status, _, reply = post(api, "addNotes", {"notes": [
        note("new"), note("old"), note(""), dict(note("x"), deckName="No such deck")]})
    assert status == 200
    ids = reply["result"]
    assert ids[0] and ids[1:] == [None, None, None]
    items = reply["errorDetail"]["items"]
    assert reply["errorDetail"]["code"] == "some_items_failed"
    assert [(i["index"], i["code"]) for i in items] == [
        (1, "duplicate"), (2, "empty_note"), (3, "not_found")]
    assert items[0]["existingNoteId"] == nid
    # POST / answers as the reference: the ids alone
    assert api.request("addNotes", notes=[note("old")]) == {"result": [None], "error": None}


def test_post_root_stays_as_the_reference_answers(api):
    status, _, body = api.raw(b'{"action": "suspend", "version": 6, "params": {"cards": [123]}}')
    assert (status, json.loads(body)) == (200, {"result": None,
                                                "error": "Card was not found: 123"})


# -- the API key --------------------------------------------------------------------

KEY = "a key long enough"


@pytest.fixture(scope="module")
def keyed():
    from harness import HeadlessProcess

    server = HeadlessProcess(env={"ANKICONNECT_API_KEY": KEY}).start()
    yield server
    server.cleanup()


def test_the_key_as_a_bearer_token(keyed):
    client = ApiClient(keyed.port)
    status, headers, body = client.raw(b"{}", path="/actions/deckNames")
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert json.loads(body)["errorDetail"]["code"] == "unauthorized"
    status, _, body = client.raw(b"{}", path="/actions/deckNames",
                                 headers={"Authorization": f"Bearer {KEY}"})
    assert status == 200 and json.loads(body)["result"] == ["Default"]
    status, _, body = client.raw(b"{}", path="/actions/deckNames",
                                 headers={"Authorization": "Bearer wrong"})
    assert status == 401
    # on POST / too, and for each of multi's sub-actions
    status, _, body = client.raw({"action": "multi", "version": 6, "params": {"actions": [
        {"action": "deckNames", "version": 6}]}}, headers={"Authorization": f"Bearer {KEY}"})
    assert json.loads(body) == {"result": [{"result": ["Default"], "error": None}],
                                "error": None}
    assert client.request("deckNames")["error"] == "valid api key must be provided"


def test_a_refused_origin_gets_403_on_every_surface(api):
    for path in ("/actions/deckNames", "/openapi.json", "/"):
        status, _, _ = api.raw(b"{}", path=path, headers={"Origin": "https://evil.example"})
        assert status == 403, path


# -- apiReflect ---------------------------------------------------------------------


def test_api_reflect_schemas_scope(api):
    reply = api.call("apiReflect", scopes=["actions", "schemas"], actions=["deckNames", "nope"])
    assert reply["scopes"] == ["actions", "schemas"] and reply["actions"] == ["deckNames"]
    schemas = reply["schemas"]["deckNames"]
    assert schemas["result"]["type"] == "array" and schemas["params"]["type"] == "object"
    # the reference's answer without the new scope is unchanged
    assert api.call("apiReflect", scopes=["actions", "bogus"], actions=["deckNames"]) == {
        "scopes": ["actions"], "actions": ["deckNames"]}
