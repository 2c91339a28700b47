"""The headless server: one command, no Qt, one thread owning the collection.

The action tests run against it through the `api` fixture; these tests cover
what is its own: the command and its defaults, flags and environment, GUI
actions, signals, and refusing a collection or port already in use.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from harness import REPO, RESET_HEADLESS, ApiClient, HeadlessProcess, free_port


@pytest.fixture
def hapi(headless):
    headless.driver(RESET_HEADLESS)
    client = headless.client()
    yield client
    client.close()


def own_server(**kwargs) -> HeadlessProcess:
    return HeadlessProcess(**kwargs).start()


def note_source(front: str) -> str:
    return (f"n = col.new_note(col.models.by_name('Basic')); n['Front'] = {front!r}; "
            "col.add_note(n, 1); result = n.id")


# -- what it offers ----------------------------------------------------------------


def test_gui_actions_answer_that_they_need_the_desktop_app(hapi):
    reply = hapi.request("loadProfile", name="User 1")
    assert reply == {"result": None, "error": "loadProfile needs the Anki desktop app"}
    # inside multi too, and the server keeps serving
    result = hapi.call("multi", actions=[
        {"action": "loadProfile", "params": {"name": "x"}, "version": 6},
        {"action": "deckNames", "version": 6}])
    assert result == [{"result": None, "error": "loadProfile needs the Anki desktop app"},
                      {"result": ["Default"], "error": None}]


def test_api_reflect_lists_exactly_the_actions_that_work_here(hapi, anki):
    everything = set(anki.client().call("apiReflect", scopes=["actions"])["actions"])
    here = set(hapi.call("apiReflect", scopes=["actions"])["actions"])
    assert "loadProfile" in everything - here
    assert {"version", "deckNames", "sync", "multi"} <= here
    for name in everything - here:
        reply = hapi.request(name)
        assert "needs the Anki desktop app" in reply["error"] or "parameter" in reply["error"], name
    assert hapi.call("apiReflect", scopes=["actions"], actions=["loadProfile", "version"]) == {
        "scopes": ["actions"], "actions": ["version"]}


def test_profile_is_the_collection(hapi):
    assert hapi.call("getProfiles") == ["collection"]
    assert hapi.call("getActiveProfile") == "collection"


def test_permission_request_from_unknown_origin_is_denied_without_asking(hapi):
    _, _, body = hapi.raw({"action": "requestPermission", "version": 6},
                          headers={"Origin": "https://unknown.example"})
    assert json.loads(body) == {"result": {"permission": "denied"}, "error": None}


def test_permission_request_as_a_page_sends_it_is_denied_and_readable(hapi):
    """A page that may not call sends a simple text/plain POST; its preflight
    would grant nothing."""
    origin = "https://unknown.example"
    status, headers, body = hapi.raw({"action": "requestPermission", "version": 6},
                                     headers={"Origin": origin, "Content-Type": "text/plain"})
    assert (status, json.loads(body)) == (200, {"result": {"permission": "denied"}, "error": None})
    assert headers["access-control-allow-origin"] == origin
    _, headers, _ = hapi.raw(method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in headers


def test_request_schema_is_compiled_once(hapi, headless):
    """jsonschema's validator is built once, before the first request, and
    not for each request (jsonschema.validate() would build it each time)."""
    for body in ({"action": "version", "version": 6}, b"{}", b"1.2", {"action": "nope"}):
        assert hapi.raw(body)[0] == 200
    info = headless.driver(
        "import sys\nresult = sys.modules['ankiconnect.web'].request_validator.cache_info()"
        ".misses")
    assert info == 1


SCHEMA_CASES = """[
    {"action": "version"}, {"action": "version", "version": 6, "params": {}, "key": 1},
    {"action": "v", "version": -1}, {"action": "v", "version": 10000000000000000000000},
    {"action": "v", "version": 6.0}, {"action": "v", "version": 6.5}, {"action": "v", "version": true},
    {"action": "v", "version": null}, {"action": "v", "version": "6"}, {"action": "v", "params": null},
    {"action": "v", "params": []}, {"action": "v", "params": "x"}, {"action": ""}, {"action": 1},
    {"action": null}, {"action": ["v"]}, {}, {"version": 6}, [], "x", 1, 1.5, null, true,
    {"action": "\\u00e9", "extra": {"params": 1}}
]"""


def test_requests_told_valid_without_jsonschema_are_valid_for_it(headless):
    """The shortcut for the usual request accepts only what jsonschema accepts."""
    cases = json.loads(SCHEMA_CASES)
    verdicts = headless.driver(
        "import json, sys\nweb = sys.modules['ankiconnect.web']\n"
        f"cases = json.loads({SCHEMA_CASES!r})\n"
        "result = [[web._plainly_valid(c), web.request_validator().is_valid(c),"
        " web.best_schema_error(c) is None] for c in cases]")
    for case, (plain, valid, answered_valid) in zip(cases, verdicts):
        assert answered_valid == valid, case
        assert valid or not plain, case
    assert sum(plain for plain, _, _ in verdicts) == 5  # (the usual ones do take it)


def test_no_qt_and_no_aqt_in_the_process(headless):
    loaded = headless.driver(
        "import sys\n"
        "result = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aqt', 'PyQt6', 'PyQt5', 'PySide6', 'sip'))")
    assert loaded == []


def test_every_action_runs_on_the_one_thread_that_owns_the_collection(hapi, headless):
    owner = headless.driver("import threading; result = threading.current_thread().name")
    assert owner == "AnkiConnect collection"
    # many clients at once: every request is answered, one action at a time
    errors = []

    def client_work(i: int) -> None:
        client = ApiClient(hapi.port)
        try:
            for _ in range(10):
                assert client.call("multi", actions=[{"action": "deckNames"}] * 5) == [["Default"]] * 5
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            client.close()

    threads = [threading.Thread(target=client_work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors


# -- starting it -------------------------------------------------------------------


def test_defaults_collection_in_home_and_loopback_8765(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "scripts"))
    import gen_api_docs

    gen_api_docs.load_package()
    from ankiconnect.hosts import headless as module

    for var in [v for v in os.environ if v.startswith("ANKICONNECT_") or v == "XDG_DATA_HOME"]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    config = module.load_config(module.parse_args([]))
    assert (config["webBindAddress"], config["webBindPort"]) == ("127.0.0.1", 8765)
    assert config["apiKey"] is None
    assert module.default_collection_path() == str(
        tmp_path / ".local" / "share" / "ankiconnect" / "collection.anki2")


def test_default_collection_is_created_in_the_home_folder(tmp_path):
    port = free_port()
    server = own_server(flags=False, port=port, base=tmp_path,
                        env={"HOME": str(tmp_path), "ANKICONNECT_BIND_PORT": str(port)})
    try:
        assert server.client().call("deckNames") == ["Default"]
        assert (tmp_path / ".local/share/ankiconnect/collection.anki2").is_file()
        assert (tmp_path / ".local/share/ankiconnect/collection.media").is_dir()
    finally:
        server.stop()


def test_collection_from_environment_and_flags_for_address_key_and_origins(tmp_path):
    collection = tmp_path / "env" / "my.anki2"
    port = free_port()
    server = HeadlessProcess(
        flags=False, port=port, base=tmp_path, address="127.0.0.2",
        env={"ANKICONNECT_COLLECTION": str(collection), "ANKICONNECT_API_KEY": "sesame"},
        args=("--bind", "127.0.0.2", "--port", str(port), "--cors-origin", "https://app.example"),
    ).start()
    try:
        assert collection.is_file()
        client = server.client()
        assert client.request("deckNames") == {"result": None, "error": "valid api key must be provided"}
        assert client.request("deckNames", key="sesame") == {"result": ["Default"], "error": None}
        status, headers, _ = client.raw({"action": "version", "version": 6, "key": "sesame"},
                                        headers={"Origin": "https://app.example"})
        assert status == 200 and headers["access-control-allow-origin"] == "https://app.example"
        status, _, _ = client.raw({"action": "version", "version": 6, "key": "sesame"},
                                  headers={"Origin": "https://other.example"})
        assert status == 403
    finally:
        server.stop()


def test_flags_win_over_the_environment_which_wins_over_the_config_file(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"apiKey": "from-file", "webCorsOriginList": ["https://file.example"]}))
    server = own_server(base=tmp_path, env={"ANKICONNECT_API_KEY": "from-env"},
                        args=("--config", str(config)))
    try:
        client = server.client()
        assert client.request("version", key="from-env")["result"] == 6
        assert client.request("version", key="from-file")["error"] == "valid api key must be provided"
        status, _, _ = client.raw({"action": "version", "version": 6, "key": "from-env"},
                                  headers={"Origin": "https://file.example"})
        assert status == 200
    finally:
        server.stop()
    server = own_server(base=tmp_path / "b", env={"ANKICONNECT_API_KEY": "from-env"},
                        args=("--api-key", "from-flag"))
    try:
        assert server.client().request("version", key="from-flag")["result"] == 6
    finally:
        server.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_closes_the_collection_cleanly(tmp_path, sig):
    server = own_server(base=tmp_path)
    server.driver(note_source("kept"))
    server.proc.send_signal(sig)
    assert server.proc.wait(30) == 0
    server.log_file.close()
    assert "stopped" in server.log()
    # closed: anyone may open it now, and what was written is there
    from anki.collection import Collection

    col = Collection(str(server.collection))
    try:
        assert [col.get_note(n)["Front"] for n in col.find_notes("")] == ["kept"]
    finally:
        col.close()


def test_second_server_on_the_same_collection_is_refused(tmp_path):
    first = own_server(base=tmp_path / "a")
    try:
        second = HeadlessProcess(base=tmp_path / "b", collection=first.collection)
        out = subprocess.run(second.command(), env=second.environment(), capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 1
        assert "cannot open the collection" in out.stderr and "already open" in out.stderr
        assert first.client().call("deckNames") == ["Default"]  # the first keeps serving
    finally:
        first.stop()


def test_port_in_use_is_refused(tmp_path):
    first = own_server(base=tmp_path / "a")
    try:
        second = HeadlessProcess(base=tmp_path / "b", port=first.port)
        out = subprocess.run(second.command(), env=second.environment(), capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 1
        assert f"could not listen on 127.0.0.1:{first.port}" in out.stderr
        # the refused server closed its own collection again
        from anki.collection import Collection

        Collection(str(second.collection)).close()
    finally:
        first.stop()


def test_script_in_a_checkout_serves_too(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "ankiconnect-headless"), "serve",
         "--collection", str(tmp_path / "c.anki2"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        client = ApiClient(port)
        deadline = time.time() + 60
        while True:
            try:
                assert client.call("version") == 6
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, proc.stdout.read()
                time.sleep(0.1)
        assert client.call("deckNames") == ["Default"]
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
