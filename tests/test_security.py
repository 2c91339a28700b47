"""Security: refused requests do nothing, Anki's own web views cannot call the
API, and media only come from where they may and only go where they may.

Downloads are tested against a local HTTP server started here (no internet).
"""
import base64
import json
import os
import socket
import time

import pytest

from harness import HeadlessProcess, Recorder

HELLO = base64.b64encode(b"Hello, world!").decode()
SECRET = b"the user's secret"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def error_of(api, action, **params):
    reply = api.request(action, **params)
    assert reply["result"] is None and reply["error"], reply
    return reply["error"]


def note(front="front", **extra):
    obj = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": front, "Back": "b"}}
    obj.update(extra)
    return obj


def assert_untouched(api):
    """Nothing a refused request tried to do happened."""
    assert api.call("deckNames") == ["Default"]
    assert api.call("findNotes", query="") == []
    assert not [n for n in api.call("getMediaFilesNames", pattern="*") if "pwn" in n]


# -- refused requests have no side effect ---------------------------------------------

WRITES = [
    {"action": "createDeck", "version": 6, "params": {"deck": "pwned"}},
    {"action": "createDeck", "params": {"deck": "pwned"}},  # v4, as old clients send
    {"action": "addNote", "version": 6, "params": {"note": note("pwned")}},
    {"action": "storeMediaFile", "version": 6, "params": {"filename": "_pwned.txt", "data": HELLO}},
    {"action": "multi", "version": 6, "params": {"actions": [
        {"action": "createDeck", "params": {"deck": "pwned"}},
        {"action": "requestPermission"}]}},
]

REFUSALS = {
    "foreign origin": {"Origin": "http://evil.example"},
    "origin null": {"Origin": "null"},
    "text/plain simple POST": {"Origin": "https://evil.example", "Content-Type": "text/plain"},
    "look-alike origin": {"Origin": "http://localhost.evil.example"},
    "rebinding host, no origin": {"Host": "evil.example:8765"},
    "rebinding host and origin": {"Host": "rebind.evil.example:8765",
                                  "Origin": "http://rebind.evil.example:8765"},
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_requests_have_no_side_effect(api, case):
    for body in WRITES:
        status, headers, data = api.raw(body, headers=REFUSALS[case])
        assert status == 403, (case, body, data)
        assert "access-control-allow-origin" not in headers
        assert json.loads(data)["error"]
    assert_untouched(api)


def test_refused_chunked_and_pipelined_writes_have_no_side_effect(api):
    body = json.dumps(WRITES[0]).encode()
    one = (b"POST / HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n"
           b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
           + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as s:
        s.sendall(one * 3)
        data = b""
        while data.count(b"HTTP/1.1 ") < 3:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
    assert data.count(b"HTTP/1.1 403") == 3
    assert_untouched(api)


def test_api_key_refusals_have_no_side_effect(tmp_path):
    """The key check is the dispatcher's (the same in Anki: test_lifecycle)."""
    server = HeadlessProcess(base=tmp_path, args=("--api-key", "s3cret key")).start()
    try:
        client = server.client()
        for key in (None, "", "wrong", "s3cret", "s3cret key ", 12345, ["s3cret key"]):
            for body in WRITES:
                request = dict(body)
                if key is not None:
                    request["key"] = key
                status, _, data = client.raw(request)
                reply = json.loads(data)
                if body.get("version") == 6:
                    assert reply == {"result": None, "error": "valid api key must be provided"}
                assert "s3cret" not in data.decode()
        assert client.call("deckNames", key="s3cret key") == ["Default"]
        assert client.call("findNotes", query="", key="s3cret key") == []
        assert client.call("getMediaFilesNames", key="s3cret key") == []
        # sub-actions of multi need the key too; the key is never echoed
        reply = client.call("multi", key="s3cret key", actions=[
            {"action": "createDeck", "params": {"deck": "pwned"}, "version": 6}])
        assert reply == [{"result": None, "error": "valid api key must be provided"}]
        assert client.call("deckNames", key="s3cret key") == ["Default"]
    finally:
        server.cleanup()
    assert "s3cret key" not in server.log()


# -- Anki's own web views ------------------------------------------------------------


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


def attack_js(api_port, recorder_port):
    """Script a shared deck's card could run: call the API as a plain text
    POST (no preflight) and report the outcome to the recorder."""
    # spaced so that no two braces meet: "{{" would be a field in a card template
    body = "JSON.stringify({ action: 'createDeck', version: 6, params: { deck: 'pwned by a card' } })"
    return (
        "(function(){"
        f"var report=function(m){{fetch('http://127.0.0.1:{recorder_port}/',"
        "{method:'POST',body:m});};"
        f"fetch('http://127.0.0.1:{api_port}/',{{method:'POST',body:{body}}})"
        ".then(function(r){report('status '+r.status);})"
        ".catch(function(e){report('refused '+e);});"
        "})();"
    )


def anki_origins(anki):
    port = anki.driver("result = mw.mediaServer.getPort()")
    return {f"http://127.0.0.1:{port}", f"http://localhost:{port}"}


def test_anki_main_web_view_cannot_call_the_api(anki, api, recorder):
    js = attack_js(api.port, recorder.port)
    anki.driver(f"mw.web.eval({js!r})")
    headers, outcome = recorder.wait()[0]
    assert headers.get("Origin") in anki_origins(anki), headers  # what Anki's web views send
    assert outcome.startswith("refused"), outcome  # the browser saw no CORS permission
    assert api.call("deckNames") == ["Default"]


def test_card_template_script_cannot_call_the_api(anki, api, recorder):
    js = attack_js(api.port, recorder.port)
    api.call("createModel", modelName="Shared deck type", inOrderFields=["Front", "Back"],
             cardTemplates=[{"Front": "{{Front}}<script>" + js + "</script>",
                             "Back": "{{Back}}"}])
    api.call("addNote", note={"deckName": "Default", "modelName": "Shared deck type",
                              "fields": {"Front": "innocent", "Back": "card"}})
    anki.driver("mw.col.decks.select(1)\nmw.moveToState('review')")
    try:
        headers, outcome = recorder.wait()[0]
        assert anki.driver("result = mw.state") == "review"
    finally:
        anki.driver("mw.moveToState('deckBrowser')")
    assert headers.get("Origin") in anki_origins(anki), headers
    assert outcome.startswith("refused"), outcome
    assert api.call("deckNames") == ["Default"]


PERMISSION_BOXES = """
from aqt.qt import QApplication
result = [w.text() for w in QApplication.topLevelWidgets()
          if w.objectName() == "ankiconnect-permission" and w.isVisible()]
"""


def test_anki_own_origins_and_null_cannot_even_ask_for_permission(anki, api):
    for origin in sorted(anki_origins(anki)) + ["null"]:
        status, headers, data = api.raw({"action": "requestPermission", "version": 6},
                                        headers={"Origin": origin})
        assert status == 403 and "access-control-allow-origin" not in headers, (origin, data)
    time.sleep(0.3)
    assert anki.driver(PERMISSION_BOXES) == []


@pytest.fixture
def add_on_config(anki):
    """Apply add-on config changes as the config dialog does; restored after."""
    original = anki.driver("result = mw.addonManager.getConfig(ac.module)")

    def apply(**changes):
        conf = json.dumps(dict(original, **changes))
        anki.driver(f"import json\nac.apply_config(json.loads({conf!r}))")

    yield apply
    anki.driver(f"import json\nac.apply_config(json.loads({json.dumps(original)!r}))")


def test_anki_own_origin_works_once_the_user_lists_it(anki, api, add_on_config):
    origin = sorted(anki_origins(anki))[0]
    add_on_config(webCorsOriginList=["http://localhost", origin])
    status, headers, data = api.raw(WRITES[0], headers={"Origin": origin})
    assert status == 200 and headers["access-control-allow-origin"] == origin
    assert "pwned" in api.call("deckNames")


# -- media names ------------------------------------------------------------------------

BAD_NAMES = ["../collection.anki2", "..", ".", "/etc/passwd", "sub/x.mp3", "a\\b.mp3",
             "..\\collection.anki2", "C:\\x.mp3", "C:/x.mp3", "nul\x00.mp3", "", "   "]
#: names Anki stores under a cleaned name, inside the media folder
CLEANED_NAMES = ["C:x.mp3", "tab\t.mp3", "new\nline.mp3", "a:b.mp3", "what?.mp3", "star*.png",
                 "<b>.png", 'quote".png', "pipe|.png", "[sound].mp3", "caret^.png", "con",
                 "NUL.mp3", "com1.txt", "lpt9.png", "trailing.", "trailing "]


def test_names_that_would_leave_the_media_folder_are_refused_by_every_media_action(api):
    before = api.call("getMediaFilesNames")
    for bad in BAD_NAMES:
        for action, extra in (("storeMediaFile", {"data": HELLO}),
                              ("retrieveMediaFile", {}), ("deleteMediaFile", {})):
            err = error_of(api, action, filename=bad, **extra)
            assert "file name" in err and "Traceback" not in err, (action, bad, err)
        err = error_of(api, "addNote", note=note(
            "m", audio={"data": HELLO, "filename": bad, "fields": ["Front"]}))
        assert "file name" in err, (bad, err)
    assert api.call("findNotes", query="") == []
    assert api.call("getMediaFilesNames") == before


def test_names_anki_cleans_stay_inside_the_media_folder(api):
    media = api.call("getMediaDirPath")
    before = set(os.listdir(media))
    for name in CLEANED_NAMES:
        stored = api.call("storeMediaFile", filename=name, data=HELLO)
        assert "/" not in stored and "\\" not in stored and stored not in (".", "..")
        assert os.path.isfile(os.path.join(media, stored)), (name, stored)
        assert api.call("retrieveMediaFile", filename=stored) == HELLO
        api.call("deleteMediaFile", filename=stored)
    assert set(os.listdir(media)) == before


def test_names_anki_only_recomposes_or_recases_are_accepted(api):
    for name in ("cafe\u0301.mp3", "Upper Case.MP3", "yomichan_ねこ_猫.mp3", "..dots..mp3",
                 "con_.txt", "com0.mp3", "#hash&amp;.png", "x" * 200 + ".mp3"):
        stored = api.call("storeMediaFile", filename=name, data=HELLO)
        assert api.call("retrieveMediaFile", filename=stored) == HELLO
        api.call("deleteMediaFile", filename=stored)


def test_retrieve_never_returns_the_collection(api):
    media = api.call("getMediaDirPath")
    collection = os.path.join(os.path.dirname(media), "collection.anki2")
    assert os.path.isfile(collection)
    for name in ("../collection.anki2", "..%2Fcollection.anki2", "..\\collection.anki2",
                 collection, "collection.anki2"):
        reply = api.request("retrieveMediaFile", filename=name)
        assert reply["result"] in (None, False), name


@pytest.mark.parametrize("pattern", ["../*", "/*", "*/*", "**/*", "../**", "..", "/etc/passwd",
                                     "..\\*", "*\x00*", "[", "[!a-z]*/..", "?" * 5000])
def test_media_name_patterns_never_leave_the_media_folder(api, pattern):
    api.call("storeMediaFile", filename="_inside.txt", data=HELLO)
    found = api.call("getMediaFilesNames", pattern=pattern)
    assert all("/" not in n and "\\" not in n for n in found)
    assert set(found) <= {"_inside.txt"}
    api.call("deleteMediaFile", filename="_inside.txt")


def test_symlinks_out_of_the_media_folder_are_not_followed(api, tmp_path):
    media = api.call("getMediaDirPath")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    link = os.path.join(media, "_link.txt")
    dangling = os.path.join(media, "_dangling.txt")
    os.symlink(secret, link)
    os.symlink(tmp_path / "created-through-link.txt", dangling)
    try:
        for name in ("_link.txt", "_dangling.txt", "_LINK.txt", "_link?.txt"):
            assert "outside the media folder" in error_of(api, "retrieveMediaFile", filename=name)
            for delete in (True, False):
                err = error_of(api, "storeMediaFile", filename=name, data=HELLO,
                               deleteExisting=delete)
                assert "outside the media folder" in err
            assert "outside the media folder" in error_of(api, "deleteMediaFile", filename=name)
            err = error_of(api, "addNote", note=note(
                "l", audio={"data": HELLO, "filename": name, "fields": ["Front"]}))
            assert "outside the media folder" in err
        assert secret.read_bytes() == SECRET
        assert not (tmp_path / "created-through-link.txt").exists()
        assert os.path.islink(link) and os.path.islink(dangling)
        assert api.call("findNotes", query="") == []
    finally:
        os.unlink(link)
        os.unlink(dangling)


# -- media from a path --------------------------------------------------------------------


def anki_files(api):
    """Anki's own files next to this collection (both hosts)."""
    media = api.call("getMediaDirPath")
    profile = os.path.dirname(media)
    files = [os.path.join(profile, n) for n in sorted(os.listdir(profile))
             if os.path.isfile(os.path.join(profile, n))]
    base = os.path.dirname(profile)
    prefs = os.path.join(base, "prefs21.db")
    if os.path.exists(prefs):
        files.append(prefs)
        files += [str(p) for p in __import__("pathlib").Path(base, "addons21").glob("*/meta.json")]
    return profile, files


def test_path_never_reads_ankis_own_files(api, tmp_path):
    profile, files = anki_files(api)
    names = {os.path.basename(f) for f in files}
    assert "collection.anki2" in names
    if api.host_kind == "gui":
        assert "prefs21.db" in names and "meta.json" in names
    os.symlink(os.path.join(profile, "collection.anki2"), tmp_path / "innocent.png")
    os.link(os.path.join(profile, "collection.anki2"), tmp_path / "hardlink.png")
    files += [str(tmp_path / "innocent.png"), str(tmp_path / "hardlink.png"),
              os.path.join(profile, "collection.media", "..", "collection.anki2"),
              os.path.join(profile, "collection.anki2-wal")]
    for path in files:
        err = error_of(api, "storeMediaFile", filename="_pwned.png", path=path)
        assert "Anki's own files" in err, (path, err)
        err = error_of(api, "addNote", note=note(
            path, picture={"path": path, "filename": "_pwned.png", "fields": ["Back"]}))
        assert "Anki's own files" in err, (path, err)
    assert_untouched(api)


def test_path_reads_regular_files_only(api, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.time()
    for path in (str(fifo), "/dev/zero", "/dev/urandom", "/proc/self/environ", str(tmp_path),
                 "/proc/self/mem"):
        err = error_of(api, "storeMediaFile", filename="_pwned.bin", path=path)
        assert "cannot be read" in err or "could not read" in err, (path, err)
    assert time.time() - started < 5  # neither the FIFO nor /dev/zero held the request
    assert_untouched(api)
    ok = tmp_path / "ok.txt"
    ok.write_bytes(b"fine")
    assert api.call("storeMediaFile", filename="_ok.txt", path=str(ok)) == "_ok.txt"
    assert api.call("retrieveMediaFile", filename="_ok.txt") == b64(b"fine")
    api.call("deleteMediaFile", filename="_ok.txt")


def test_path_size_is_capped(anki, api, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 5000)
    anki.driver("ac.host.reload_config(dict(ac.host._user_config(), mediaMaxDownloadBytes=1000))")
    try:
        err = error_of(api, "storeMediaFile", filename="_big.bin", path=str(big))
        assert "mediaMaxDownloadBytes" in err
    finally:
        anki.driver("ac.host.reload_config()")
    assert api.call("retrieveMediaFile", filename="_big.bin") is False


def test_media_from_path_switch_on_the_headless_server(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"mediaFromPath": False}))
    src = tmp_path / "picture.png"
    src.write_bytes(b"png")
    server = HeadlessProcess(base=tmp_path / "server", args=("--config", str(config))).start()
    try:
        client = server.client()
        err = error_of(client, "storeMediaFile", filename="_p.png", path=str(src))
        assert "mediaFromPath" in err
        err = error_of(client, "addNote", note=note(
            "p", picture={"path": str(src), "filename": "_p.png", "fields": ["Back"]}))
        assert "mediaFromPath" in err
        assert client.call("getMediaFilesNames") == [] and client.call("findNotes", query="") == []
        assert client.call("storeMediaFile", filename="_d.png", data=b64(b"png")) == "_d.png"
    finally:
        server.cleanup()


# -- media from a URL ----------------------------------------------------------------------


METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254:80/computeMetadata/v1/",
    "http://169.254.1.1/",
    "http://[fe80::1]/",
    "http://[fe80::a9fe:a9fe%25eth0]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://2852039166/",  # 169.254.169.254 as one number: found by resolving
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./",
    "https://169.254.169.254/",
]


def test_urls_never_reach_link_local_or_metadata_addresses(api, web):
    web.files["/cat.mp3"] = b"mp3"
    started = time.time()
    for url in METADATA_URLS + [
        web.url("/to-metadata"), web.url("/to-number"), web.url("/to-ipv6"),
    ]:
        web.files["/to-metadata"] = ("redirect", "http://169.254.169.254/latest/")
        web.files["/to-number"] = ("redirect", "http://2852039166/")
        web.files["/to-ipv6"] = ("redirect", "http://[fe80::1]:8080/")
        err = error_of(api, "storeMediaFile", filename="_pwned.mp3", url=url)
        assert "could not download" in err and "refused" in err, (url, err)
        err = error_of(api, "addNote", note=note(
            "m", audio={"url": url, "filename": "_pwned.mp3", "fields": ["Front"]}))
        assert "refused" in err, (url, err)
    assert time.time() - started < 10  # refused before connecting, not timed out
    assert_untouched(api)
    # an ordinary local server is still fine
    assert api.call("storeMediaFile", filename="_cat.mp3", url=web.url("/cat.mp3")) == "_cat.mp3"
    web.files["/moved"] = ("redirect", web.url("/cat.mp3"))
    assert api.call("storeMediaFile", filename="_cat2.mp3", url=web.url("/moved")) == "_cat2.mp3"
    for name in ("_cat.mp3", "_cat2.mp3"):
        api.call("deleteMediaFile", filename=name)


def test_urls_are_http_only_also_after_redirects(api, web, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    web.files["/to-file"] = ("redirect", secret.as_uri())
    web.files["/to-ftp"] = ("redirect", "ftp://127.0.0.1/x")
    for url in (secret.as_uri(), "ftp://127.0.0.1/x", "data:text/plain;base64," + HELLO,
                "gopher://127.0.0.1/", "javascript:alert(1)", "//127.0.0.1/x", "/etc/passwd",
                web.url("/to-file"), web.url("/to-ftp")):
        err = error_of(api, "storeMediaFile", filename="_pwned.txt", url=url)
        assert "http" in err, (url, err)
    assert_untouched(api)


# -- packages ----------------------------------------------------------------------------


def test_export_package_never_overwrites_ankis_own_files(tmp_path):
    server = HeadlessProcess(base=tmp_path).start()
    try:
        reply = server.client().request("exportPackage", deck="Default", path="../collection.anki2")
        header = open(server.collection, "rb").read(16)
    finally:
        server.cleanup()
    assert reply["error"] and header == b"SQLite format 3\x00"


@pytest.mark.parametrize("path", ["../collection.anki2", "../collection.apkg",
                                  "/etc/passwd", "notes.txt", "../profile.apkg"])
def test_export_and_import_package_refuse_paths_outside_packages(api, path):
    for action in ("exportPackage", "importPackage"):
        params = {"deck": "Default", "path": path} if action == "exportPackage" else {"path": path}
        reply = api.request(action, **params)
        assert reply["result"] is None and action in reply["error"], reply
