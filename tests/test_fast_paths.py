"""The speed-ups keep Anki's behaviour: media stored through the backend's
raw request as write_data stores them, and Anki's windows still show the
end of a stream of writes."""
import base64
import hashlib
import os
import time

MEDIA = r'''
import os
from importlib import import_module
compat = import_module(type(ac.connect).__module__.rsplit(".", 1)[0] + ".compat")
col = mw.col
media = col.media.dir()
cases = [("plain.txt", b"hello"), ("ünï cödé.txt", b"x" * 70000), ("big.bin", os.urandom(3_000_001)),
         ("empty.txt", b""), ("sp ace?.txt", b"q"), ("a" * 200 + ".txt", b"long name"),
         ("plain.txt", b"other content")]  # same name, other content: Anki renames
result = []
for name, data in cases:
    pieces = [data[i:i + 65536] for i in range(0, len(data), 65536)] or [b""]
    ours = compat.add_media_file(col, name, pieces)
    assert pieces == []  # handed over
    with open(os.path.join(media, ours), "rb") as f:
        ours_data = f.read()
    col.media.trash_files([ours])
    theirs = col.media.write_data(name, data)
    with open(os.path.join(media, theirs), "rb") as f:
        theirs_data = f.read()
    col.media.trash_files([theirs])
    result.append([ours, theirs, ours_data == data, theirs_data == data])
col.media.empty_trash()
'''


def test_media_stored_as_write_data_stores_them(anki, api):
    for ours, theirs, ours_ok, theirs_ok in anki.driver(MEDIA):
        assert ours == theirs and ours_ok and theirs_ok


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


def test_deck_list_shows_the_end_of_a_stream_of_writes(anki, api):
    anki.driver("mw.moveToState('deckBrowser')")
    started = time.time()
    for i in range(40):
        api.call("createDeck", deck=f"Stream {i}")
    assert time.time() - started < 30
    text = ""
    deadline = time.time() + 10
    while "Stream 39" not in text and time.time() < deadline:
        anki.driver("mw._ac_text = None\nmw.deckBrowser.web.evalWithCallback("
                    "'document.body.innerText', lambda t: setattr(mw, '_ac_text', t))")
        text = anki.wait_for("result = mw._ac_text", timeout=2) or ""
        time.sleep(0.1)
    assert "Stream 39" in text
    assert "AnkiConnect: createDeck" in anki.wait_for(
        "result = mw.form.actionUndo.text()", timeout=5)
