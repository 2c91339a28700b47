"""Media actions, and media (audio/video/picture) on notes.

Downloads are tested against a local HTTP server started here (no internet).
"""
import base64
import hashlib
import os
import threading
import time
import unicodedata
from contextlib import contextmanager

import pytest

from anki_helpers import logged, server_of

HELLO = base64.b64encode(b"Hello, world!").decode()
MP3 = b"ID3\x03\x00fake mp3 bytes \xff\xfb"
PNG = b"\x89PNG\r\n\x1a\nfake png"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def error_of(api, action, **params):
    reply = api.request(action, **params)
    assert reply["result"] is None, reply
    return reply["error"]


@contextmanager
def config(anki, **values):
    """Run with some AnkiConnect config values changed (as if saved by the user)."""
    anki.driver(f"ac.host.reload_config(dict(ac.host._user_config(), **{values!r}))")
    try:
        yield
    finally:
        anki.driver("ac.host.reload_config()")


def media_names(api):
    return api.call("getMediaFilesNames", pattern="*")


# -- storeMediaFile / retrieveMediaFile / getMediaFilesNames / deleteMediaFile -----


def test_store_retrieve_list_delete_documented_samples(api):
    assert api.call("storeMediaFile", filename="_hello.txt", data=HELLO) == "_hello.txt"
    assert api.call("retrieveMediaFile", filename="_hello.txt") == HELLO
    assert "_hello.txt" in media_names(api)
    assert api.call("getMediaFilesNames", pattern="_hell*.txt") == ["_hello.txt"]
    assert api.call("getMediaFilesNames", pattern="*.mp3") == []
    assert api.call("deleteMediaFile", filename="_hello.txt") is None
    assert api.call("retrieveMediaFile", filename="_hello.txt") is False
    assert "_hello.txt" not in media_names(api)
    assert api.call("deleteMediaFile", filename="_hello.txt") is None  # already gone


def test_deleted_media_goes_to_anki_trash(api, anki):
    api.call("storeMediaFile", filename="_trash_me.txt", data=HELLO)
    api.call("deleteMediaFile", filename="_trash_me.txt")
    trash = anki.driver(
        "import os\n"
        "d = os.path.join(os.path.dirname(mw.col.media.dir()), 'media.trash')\n"
        "result = os.listdir(d) if os.path.isdir(d) else []")
    assert "_trash_me.txt" in trash


def test_media_dir_path(api, anki):
    path = api.call("getMediaDirPath")
    assert os.path.isabs(path) and os.path.isdir(path)
    assert path == anki.driver("import os\nresult = os.path.abspath(mw.col.media.dir())")
    api.call("storeMediaFile", filename="_in_dir.txt", data=HELLO)
    assert open(os.path.join(path, "_in_dir.txt"), "rb").read() == b"Hello, world!"
    api.call("deleteMediaFile", filename="_in_dir.txt")


def test_delete_existing_replaces_or_keeps_both(api):
    api.call("storeMediaFile", filename="_same.txt", data=b64(b"one"))
    assert api.call("storeMediaFile", filename="_same.txt", data=b64(b"two")) == "_same.txt"
    assert api.call("retrieveMediaFile", filename="_same.txt") == b64(b"two")
    kept = api.call("storeMediaFile", filename="_same.txt", data=b64(b"three"),
                    deleteExisting=False)
    assert kept != "_same.txt" and kept.startswith("_same")
    assert api.call("retrieveMediaFile", filename="_same.txt") == b64(b"two")
    assert api.call("retrieveMediaFile", filename=kept) == b64(b"three")
    # the same content under the same name is not duplicated
    assert api.call("storeMediaFile", filename="_same.txt", data=b64(b"two"),
                    deleteExisting=False) == "_same.txt"
    for name in ("_same.txt", kept):
        api.call("deleteMediaFile", filename=name)


def trash_file(anki, name):
    return anki.driver(
        "import os\n"
        f"p = os.path.join(os.path.dirname(mw.col.media.dir()), 'media.trash', {name!r})\n"
        "result = open(p, 'rb').read().decode() if os.path.exists(p) else None")


def test_replacing_and_keeping_both_follow_ankis_rules(api, anki):
    """Files go through Anki's media API: a replaced file goes to Anki's
    trash, a kept one gets Anki's changed name."""
    one, two, three = ((c * (3 << 19)).encode() for c in "abc")  # 1.5 MB each
    name = "_large-file.bin"
    assert api.call("storeMediaFile", filename=name, data=b64(one)) == name
    assert api.call("storeMediaFile", filename=name, data=b64(one)) == name  # same content
    assert api.call("storeMediaFile", filename=name, data=b64(two)) == name
    assert api.call("retrieveMediaFile", filename=name) == b64(two)
    assert trash_file(anki, name) == one.decode()  # the replaced file is in Anki's trash
    kept = api.call("storeMediaFile", filename=name, data=b64(three), deleteExisting=False)
    assert kept == f"_large-file-{hashlib.sha1(three).hexdigest()}.bin"  # Anki's naming
    assert api.call("retrieveMediaFile", filename=name) == b64(two)
    assert api.call("retrieveMediaFile", filename=kept) == b64(three)
    assert [n for n in media_names(api) if n.startswith("_large")] == sorted([name, kept])
    assert anki.driver(f"result = mw.col.media.have({kept!r})")
    for n in (name, kept):
        api.call("deleteMediaFile", filename=n)
    assert not [n for n in media_names(api) if n.startswith("_large")]


def test_anki_cleans_names_and_the_reply_says_how(api):
    """Names with characters file names cannot hold are stored as Anki
    stores them (as the reference does), not refused."""
    cleaned = {"_12:30 shot.png": "_1230 shot.png", "_what?.png": "_what.png",
               "_a:b.png": "_ab.png", '_say "hi".txt': "_say hi.txt"}
    for given, stored in cleaned.items():
        assert api.call("storeMediaFile", filename=given, data=HELLO) == stored
        assert api.call("retrieveMediaFile", filename=given) == HELLO  # found by either name
        assert api.call("retrieveMediaFile", filename=stored) == HELLO
        assert stored in media_names(api)
    nid = api.call("addNote", note=note_with("screenshot", picture={
        "data": b64(PNG), "filename": "_12:31 shot.png", "fields": ["Back"]}))
    assert fields_of(api, nid)["Back"] == 'back<img src="_1231 shot.png">'
    for stored in list(cleaned.values()) + ["_1231 shot.png"]:
        api.call("deleteMediaFile", filename=stored)


def test_skip_hash_stores_nothing(api):
    assert api.call("storeMediaFile", filename="_skip.txt", data=HELLO,
                    skipHash=md5(b"Hello, world!")) is None
    assert api.call("retrieveMediaFile", filename="_skip.txt") is False
    assert api.call("storeMediaFile", filename="_skip.txt", data=HELLO,
                    skipHash=md5(b"other")) == "_skip.txt"
    api.call("deleteMediaFile", filename="_skip.txt")


def test_unicode_file_names(api):
    name = "yomichan_ねこ_猫.mp3"
    assert api.call("storeMediaFile", filename=name, data=b64(MP3)) == name
    assert name in media_names(api)
    assert api.call("retrieveMediaFile", filename=name) == b64(MP3)
    nfd = unicodedata.normalize("NFD", "_café.txt")
    stored = api.call("storeMediaFile", filename=nfd, data=HELLO)
    assert stored == unicodedata.normalize("NFC", nfd)  # Anki stores NFC names
    assert api.call("retrieveMediaFile", filename=nfd) == HELLO
    for n in (name, stored):
        api.call("deleteMediaFile", filename=n)


def test_file_names_outside_the_media_folder_are_refused(api, tmp_path):
    for bad in ("../outside.txt", "/etc/passwd", "sub/file.txt", "a\\b.txt", "..",
                "nul\x00byte.txt", "", "C:\\evil.txt", "C:/evil.txt", "\\\\server\\share"):
        for action, extra in (("storeMediaFile", {"data": HELLO}), ("retrieveMediaFile", {}),
                              ("deleteMediaFile", {})):
            err = error_of(api, action, filename=bad, **extra)
            assert "file name" in err or "filename" in err, (action, bad, err)
    assert api.call("getMediaFilesNames", pattern="../*") == []


def test_bad_sources(api):
    assert "base64" in error_of(api, "storeMediaFile", filename="_x.txt", data="!!not base64!!")
    assert "one of" in error_of(api, "storeMediaFile", filename="_x.txt")
    assert "only one" in error_of(api, "storeMediaFile", filename="_x.txt", data=HELLO,
                                  url="http://127.0.0.1:9/")
    err = error_of(api, "storeMediaFile", filename="_x.txt", url="file:///etc/passwd")
    assert "http" in err
    err = error_of(api, "storeMediaFile", filename="_x.txt", path="/no/such/file")
    assert "could not read" in err
    assert api.call("retrieveMediaFile", filename="_x.txt") is False


def test_base64_with_line_breaks_and_no_padding(api):
    data = b64(b"Hello, world!!")
    wrapped = data[:8] + "\n" + data[8:].rstrip("=")
    assert api.call("storeMediaFile", filename="_wrapped.txt", data=wrapped) == "_wrapped.txt"
    assert base64.b64decode(api.call("retrieveMediaFile", filename="_wrapped.txt")) == b"Hello, world!!"
    api.call("deleteMediaFile", filename="_wrapped.txt")


# -- path and url ------------------------------------------------------------------------


def test_store_from_path(api, tmp_path):
    src = tmp_path / "picture.png"
    src.write_bytes(PNG)
    assert api.call("storeMediaFile", filename="_from_path.png", path=str(src)) == "_from_path.png"
    assert api.call("retrieveMediaFile", filename="_from_path.png") == b64(PNG)
    api.call("deleteMediaFile", filename="_from_path.png")


def test_path_refused_when_media_from_path_is_off(api, anki, tmp_path):
    src = tmp_path / "secret.txt"
    src.write_bytes(b"secret")
    with config(anki, mediaFromPath=False):
        err = error_of(api, "storeMediaFile", filename="_secret.txt", path=str(src))
        assert "mediaFromPath" in err
        note = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "p"},
                "picture": {"path": str(src), "filename": "_secret.png", "fields": ["Back"]}}
        assert "mediaFromPath" in error_of(api, "addNote", note=note)
        assert api.call("canAddNotes", notes=[note]) == [False]
    assert api.call("retrieveMediaFile", filename="_secret.txt") is False
    assert api.call("findNotes", query="") == []


def test_store_from_url_with_unicode_query(api, web):
    web.files["/audio.mp3?kanji=%E7%8C%AB&kana=%E3%81%AD%E3%81%93"] = MP3
    url = web.url("/audio.mp3?kanji=猫&kana=ねこ")
    assert api.call("storeMediaFile", filename="_url.mp3", url=url) == "_url.mp3"
    assert api.call("retrieveMediaFile", filename="_url.mp3") == b64(MP3)
    assert api.call("storeMediaFile", filename="_url2.mp3", url=url, skipHash=md5(MP3)) is None
    assert api.call("retrieveMediaFile", filename="_url2.mp3") is False
    api.call("deleteMediaFile", filename="_url.mp3")


def test_failed_downloads_are_clear_errors(api, web):
    err = error_of(api, "storeMediaFile", filename="_404.mp3", url=web.url("/missing"))
    assert "could not download" in err and "404" in err
    err = error_of(api, "storeMediaFile", filename="_refused.mp3", url="http://127.0.0.1:9/x")
    assert "could not download" in err
    assert api.call("retrieveMediaFile", filename="_404.mp3") is False


def test_download_honours_timeout_and_size_limit(api, anki, web):
    web.files["/slow"] = (200, MP3, 2.0)
    web.files["/big"] = b"x" * 5000
    with config(anki, webTimeout=300, mediaMaxDownloadBytes=1000):
        start = time.time()
        err = error_of(api, "storeMediaFile", filename="_slow.mp3", url=web.url("/slow"))
        assert time.time() - start < 1.8
        assert "webTimeout" in err
        err = error_of(api, "storeMediaFile", filename="_big.mp3", url=web.url("/big"))
        assert "mediaMaxDownloadBytes" in err
    assert api.call("retrieveMediaFile", filename="_big.mp3") is False


def test_download_does_not_hold_ankis_main_thread(api, anki, web):
    web.files["/slow.mp3"] = (200, MP3, 1.5)
    result = {}

    def slow():
        client = anki.client()
        result["name"] = client.call("storeMediaFile", filename="_slow_ok.mp3",
                                     url=web.url("/slow.mp3"))
        client.close()

    t = threading.Thread(target=slow)
    t.start()
    while not web.hits:
        time.sleep(0.01)
    start = time.time()
    assert api.call("deckNames") == ["Default"]
    assert time.time() - start < 1.0  # answered while the download waits
    t.join()
    assert result["name"] == "_slow_ok.mp3"
    api.call("deleteMediaFile", filename="_slow_ok.mp3")


# -- media on notes ------------------------------------------------------------------------


def note_with(front, **media):
    note = {"deckName": "Default", "modelName": "Basic",
            "fields": {"Front": front, "Back": "back"}}
    note.update(media)
    return note


def fields_of(api, nid):
    got = api.call("notesInfo", notes=[nid])[0]
    return {k: v["value"] for k, v in got["fields"].items()}


def test_add_note_with_audio_url_picture_data_and_video_path(api, web, tmp_path):
    web.files["/cat.mp3"] = MP3
    video = tmp_path / "clip.webm"
    video.write_bytes(b"webm")
    nid = api.call("addNote", note=note_with(
        "猫",
        audio={"url": web.url("/cat.mp3"), "filename": "yomichan_ねこ_猫.mp3",
               "skipHash": "7e2c2f954ef6051373ba916f000168dc", "fields": ["Front"]},
        picture=[{"data": b64(PNG), "filename": "_cat.png", "fields": ["Back"]},
                 {"data": b64(PNG), "filename": "_stored_only.png", "fields": []}],
        video={"path": str(video), "filename": "_clip.webm", "fields": "Back"},
    ))
    fields = fields_of(api, nid)
    assert fields["Front"] == "猫[sound:yomichan_ねこ_猫.mp3]"
    assert fields["Back"] == 'back[sound:_clip.webm]<img src="_cat.png">'  # audio, video, picture
    assert api.call("retrieveMediaFile", filename="yomichan_ねこ_猫.mp3") == b64(MP3)
    assert api.call("retrieveMediaFile", filename="_stored_only.png") == b64(PNG)
    assert api.call("retrieveMediaFile", filename="_clip.webm") == b64(b"webm")
    for name in ("yomichan_ねこ_猫.mp3", "_cat.png", "_stored_only.png", "_clip.webm"):
        api.call("deleteMediaFile", filename=name)


def test_skip_hash_on_note_media_adds_the_note_without_it(api, web):
    web.files["/stub.mp3"] = b"no audio available"
    nid = api.call("addNote", note=note_with("stub", audio={
        "url": web.url("/stub.mp3"), "filename": "_stub.mp3",
        "skipHash": md5(b"no audio available"), "fields": ["Front"]}))
    assert fields_of(api, nid)["Front"] == "stub"
    assert api.call("retrieveMediaFile", filename="_stub.mp3") is False


def test_failed_download_fails_the_note(api, web):
    err = error_of(api, "addNote", note=note_with("x", audio={
        "url": web.url("/missing.mp3"), "filename": "_missing.mp3", "fields": ["Front"]}))
    assert "could not download" in err and "404" in err and "_missing.mp3" in err
    assert api.call("findNotes", query="") == []
    web.files["/ok.mp3"] = MP3
    result = api.call("addNotes", notes=[
        note_with("ok", audio={"url": web.url("/ok.mp3"), "filename": "_ok.mp3",
                               "fields": ["Front"]}),
        note_with("bad", audio={"url": web.url("/gone.mp3"), "filename": "_gone.mp3",
                                "fields": ["Front"]}),
        note_with("plain"),
    ])
    assert result[0] and result[1] is None and result[2]
    assert fields_of(api, result[0])["Front"] == "ok[sound:_ok.mp3]"
    assert api.call("retrieveMediaFile", filename="_gone.mp3") is False
    api.call("deleteMediaFile", filename="_ok.mp3")


def test_no_download_for_a_note_that_cannot_be_added(api, web):
    web.files["/dup.mp3"] = MP3
    api.call("addNote", note=note_with("dup"))
    note = note_with("dup", audio={"url": web.url("/dup.mp3"), "filename": "_dup.mp3",
                                   "fields": ["Front"]})
    assert error_of(api, "addNote", note=note) == "cannot create note because it is a duplicate"
    assert web.hits == []


def test_can_add_notes_has_no_side_effect(api, web):
    web.files["/a.mp3"] = MP3
    note = note_with("candidate", audio={"url": web.url("/a.mp3"), "filename": "_cand.mp3",
                                         "fields": ["Front"]},
                     picture={"data": b64(PNG), "filename": "_cand.png", "fields": ["Back"]})
    assert api.call("canAddNotes", notes=[note]) == [True]
    assert api.call("canAddNote", note=note) is True
    assert api.call("canAddNotesWithErrorDetail", notes=[note]) == [{"canAdd": True}]
    assert web.hits == []
    assert api.call("retrieveMediaFile", filename="_cand.mp3") is False
    assert api.call("retrieveMediaFile", filename="_cand.png") is False
    assert api.call("findNotes", query="") == []
    # a field name the note type does not have is skipped, as in the reference
    unknown = note_with("candidate", audio={"url": web.url("/a.mp3"), "filename": "_c.mp3",
                                            "fields": ["NoSuchField"]})
    assert api.call("canAddNoteWithErrorDetail", note=unknown) == {"canAdd": True}
    assert web.hits == []


def test_media_field_names_match_exactly_and_the_file_is_stored_anyway(api, request):
    entry = {"data": b64(MP3), "filename": "_names.mp3", "fields": ["Front", "back", "Nope", 7]}
    with logged(server_of(request, api)) as log:
        nid = api.call("addNote", note=note_with("names", audio=entry))
    assert fields_of(api, nid) == {"Front": "names[sound:_names.mp3]", "Back": "back"}
    assert api.call("retrieveMediaFile", filename="_names.mp3") == b64(MP3)
    assert [m for m in log if m.startswith("addNote: audio _names.mp3: field 'back' skipped")], log
    # only unknown names: stored, referenced nowhere
    picture = {"data": b64(PNG), "filename": "_nowhere.png", "fields": ["FRONT"]}
    assert api.call("updateNoteFields", note={"id": nid, "fields": {}, "picture": picture}) is None
    assert fields_of(api, nid) == {"Front": "names[sound:_names.mp3]", "Back": "back"}
    assert api.call("retrieveMediaFile", filename="_nowhere.png") == b64(PNG)
    for name in ("_names.mp3", "_nowhere.png"):
        api.call("deleteMediaFile", filename=name)


def test_note_media_keeps_an_existing_file_unless_delete_existing(api):
    """As the reference: a note's media entry stores with its own
    `deleteExisting`, false when not given (Anki then keeps both)."""
    api.call("storeMediaFile", filename="_clash.mp3", data=b64(b"old"))
    nid = api.call("addNote", note=note_with("keep", audio={
        "data": b64(b"new"), "filename": "_clash.mp3", "fields": ["Front"]}))
    front = fields_of(api, nid)["Front"]
    kept = front[len("keep[sound:"):-1]
    assert front == f"keep[sound:{kept}]" and kept != "_clash.mp3" and kept.startswith("_clash")
    assert api.call("retrieveMediaFile", filename="_clash.mp3") == b64(b"old")
    assert api.call("retrieveMediaFile", filename=kept) == b64(b"new")
    # the same content under that name: the name itself
    nid = api.call("addNote", note=note_with("same", audio={
        "data": b64(b"old"), "filename": "_clash.mp3", "fields": ["Front"]}))
    assert fields_of(api, nid)["Front"] == "same[sound:_clash.mp3]"
    # deleteExisting: true replaces it
    assert api.call("updateNoteFields", note={"id": nid, "fields": {"Back": ""}, "audio": {
        "data": b64(b"newer"), "filename": "_clash.mp3", "fields": ["Back"],
        "deleteExisting": True}}) is None
    assert fields_of(api, nid)["Back"] == "[sound:_clash.mp3]"
    assert api.call("retrieveMediaFile", filename="_clash.mp3") == b64(b"newer")
    for name in ("_clash.mp3", kept):
        api.call("deleteMediaFile", filename=name)


def test_media_entry_errors(api):
    for media, words in (
        ({"audio": {"url": "http://127.0.0.1:9/a", "fields": ["Front"]}}, "filename"),
        ({"audio": {"filename": "_a.mp3"}}, "one of"),
        ({"picture": {"data": HELLO, "filename": "../a.png"}}, "not allowed"),
        ({"audio": "just a string"}, "object"),
        ({"audio": {"url": "ftp://example.org/a.mp3", "filename": "_a.mp3"}}, "http"),
    ):
        assert words in error_of(api, "addNote", note=note_with("m", **media)), media
    assert api.call("findNotes", query="") == []


def test_update_note_fields_with_media(api, web):
    nid = api.call("addNote", note=note_with("word"))
    web.files["/w.png"] = PNG
    assert api.call("updateNoteFields", note={
        "id": nid, "fields": {"Back": "new back"},
        "picture": [{"url": web.url("/w.png"), "filename": "_w.png", "fields": ["Back"]}],
        "audio": {"data": b64(MP3), "filename": "_w.mp3", "fields": ["Front"]},
    }) is None
    fields = fields_of(api, nid)
    assert fields["Back"] == 'new back<img src="_w.png">'
    assert fields["Front"] == "word[sound:_w.mp3]"
    err = error_of(api, "updateNoteFields", note={
        "id": nid, "fields": {"Back": "unchanged?"},
        "audio": {"url": web.url("/none.mp3"), "filename": "_none.mp3", "fields": ["Front"]}})
    assert "could not download" in err
    assert fields_of(api, nid)["Back"] == 'new back<img src="_w.png">'
    for name in ("_w.png", "_w.mp3"):
        api.call("deleteMediaFile", filename=name)


def test_add_note_with_media_is_one_undo_step(api, anki):
    nid = api.call("addNote", note=note_with("undo me", audio={
        "data": b64(MP3), "filename": "_undo.mp3", "fields": ["Front"]}))
    assert anki.driver("result = mw.col.undo_status().undo") == "AnkiConnect: addNote"
    anki.driver("mw.col.undo()")
    assert api.call("notesInfo", notes=[nid]) == [{}]
    api.call("deleteMediaFile", filename="_undo.mp3")


def test_note_helper_for_other_actions(api, anki):
    """build_note + fetch_media + attach_media: what guiAddCards builds on."""
    got = anki.driver(f"""
from importlib import import_module
nb = import_module(type(ac.connect).__module__.rsplit(".", 1)[0] + ".actions.note_builder")
p = nb.build_note(mw.col, {{
    "modelName": "Basic", "fields": {{"front": "helper"}},
    "audio": {{"data": {b64(MP3)!r}, "filename": "_helper.mp3", "fields": ["Back"]}}}},
    require_deck=False)
fetch_first = nb.needs_fetch(p)
nb.fetch_media(p, {{}})
before = mw.col.media.have("_helper.mp3")
nb.attach_media(mw.col, p)
result = [p.deck_id, p.note.fields, fetch_first, before, mw.col.media.have("_helper.mp3"), p.note.id]
""")
    assert got == [None, ["helper", "[sound:_helper.mp3]"], True, False, True, 0]
    assert api.call("findNotes", query="") == []
    api.call("deleteMediaFile", filename="_helper.mp3")


def test_large_media_round_trip(api):
    data = os.urandom(5 * 1024 * 1024 + 7)
    encoded = base64.b64encode(data).decode()
    assert api.call("storeMediaFile", filename="_large.bin", data=encoded) == "_large.bin"
    assert api.call("retrieveMediaFile", filename="_large.bin") == encoded
    # the same content again keeps the name; other content replaces it
    assert api.call("storeMediaFile", filename="_large.bin", data=encoded) == "_large.bin"
    other = base64.b64encode(data[::-1]).decode()
    assert api.call("storeMediaFile", filename="_large.bin", data=other) == "_large.bin"
    assert api.call("retrieveMediaFile", filename="_large.bin") == other
    # skipHash is checked against the whole content
    md5 = hashlib.md5(data).hexdigest()
    assert api.call("storeMediaFile", filename="_skip.bin", data=encoded, skipHash=md5) is None
    assert api.call("retrieveMediaFile", filename="_skip.bin") is False
    api.call("deleteMediaFile", filename="_large.bin")
