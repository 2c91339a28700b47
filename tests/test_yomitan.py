"""Replays the calls Yomitan makes, as Yomitan makes them: `version: 2`
(bare results, errors as `{"result": null, "error": ...}`), from a browser
extension origin, with `multi` of `findNotes` for its duplicate lookups."""
import base64
import json

ORIGIN = "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn"


def yomitan(api, action, **params):
    """One call as Yomitan's AnkiConnect class sends it; returns the parsed body."""
    body = {"action": action, "params": params, "version": 2}
    status, headers, data = api.raw(json.dumps(body), headers={
        "Origin": ORIGIN, "Content-Type": "application/json"})
    assert status == 200, data
    return json.loads(data), data


def note(term, reading, deck="Default", scope="collection", **extra):
    n = {
        "deckName": deck,
        "modelName": "Basic",
        "fields": {"Front": term, "Back": f"{reading}<br>meaning of {term}"},
        "tags": ["yomitan"],
        "options": {
            "allowDuplicate": False,
            "duplicateScope": scope,
            "duplicateScopeOptions": {"deckName": None, "checkChildren": False,
                                      "checkAllModels": False},
        },
    }
    n.update(extra)
    return n


def test_yomitan_session(api):
    result, _ = yomitan(api, "version")
    assert result == 6
    result, _ = yomitan(api, "deckNames")
    assert result == ["Default"]

    # The search popup asks which terms could be added.
    candidates = [note("猫", "ねこ"), note("犬", "いぬ", scope="deck")]
    result, _ = yomitan(api, "canAddNotes", notes=candidates)
    assert result == [True, True]

    # Adding: media first, then the note that refers to it.
    audio = base64.b64encode(b"ID3 fake mp3").decode()
    result, _ = yomitan(api, "storeMediaFile", filename="yomitan_audio_ねこ_猫.mp3", data=audio)
    assert result == "yomitan_audio_ねこ_猫.mp3"
    first = note("猫", "ねこ")
    first["fields"]["Back"] += "[sound:yomitan_audio_ねこ_猫.mp3]"
    nid, _ = yomitan(api, "addNote", note=first)
    assert isinstance(nid, int)

    # Duplicate lookups: one multi of findNotes (sub-actions carry no version).
    queries = ['"deck:Default" "front:猫"', '"front:猫"', '"front:犬"']
    result, _ = yomitan(api, "multi", actions=[
        {"action": "findNotes", "params": {"query": q}} for q in queries])
    assert result == [[nid], [nid], []]

    result, _ = yomitan(api, "canAddNotes", notes=candidates)
    assert result == [False, True]
    result, _ = yomitan(api, "canAddNotesWithErrorDetail", notes=candidates)
    assert result == [{"canAdd": False, "error": "cannot create note because it is a duplicate"},
                      {"canAdd": True}]

    # Viewing the added note (and one that was deleted meanwhile).
    result, _ = yomitan(api, "notesInfo", notes=[nid, 1])
    assert len(result) == 2 and result[1] == {}
    info = result[0]
    assert info["noteId"] == nid and info["modelName"] == "Basic"
    assert info["tags"] == ["yomitan"]
    assert info["fields"]["Front"] == {"value": "猫", "order": 0}
    assert info["fields"]["Back"]["value"].endswith("[sound:yomitan_audio_ねこ_猫.mp3]")
    assert all(isinstance(c, int) for c in info["cards"]) and len(info["cards"]) == 1

    # Overwriting fields of the existing note: Yomitan insists on a bare null.
    result, raw = yomitan(api, "updateNoteFields", note={
        "id": nid, "fields": {"Back": "ねこ<br>cat"}})
    assert raw == b"null"
    result, _ = yomitan(api, "notesInfo", notes=[nid])
    assert result[0]["fields"]["Back"]["value"] == "ねこ<br>cat"

    # Adding a duplicate anyway fails the way Yomitan reports it.
    result, _ = yomitan(api, "addNote", note=note("猫", "ねこ"))
    assert result == {"result": None, "error": "cannot create note because it is a duplicate"}
    # ... unless duplicates are allowed.
    again = note("猫", "ねこ")
    again["options"]["allowDuplicate"] = True
    nid2, _ = yomitan(api, "addNote", note=again)
    assert isinstance(nid2, int) and nid2 != nid

    # Bulk adding: null for the note that cannot be added.
    result, _ = yomitan(api, "addNotes", notes=[note("鳥", "とり"), note("猫", "ねこ")])
    assert isinstance(result[0], int) and result[1] is None

    yomitan(api, "deleteMediaFile", filename="yomitan_audio_ねこ_猫.mp3")


def test_yomitan_deck_root_scope(api, anki):
    """Yomitan's "deck-root" scope: the root deck with its children."""
    anki.driver("mw.col.decks.id('Japanese::Vocab'); mw.col.decks.id('Japanese::Kanji')")
    nid, _ = yomitan(api, "addNote", note=note("水", "みず", deck="Japanese::Kanji"))
    assert isinstance(nid, int)
    root = note("水", "みず", deck="Japanese::Vocab", scope="deck")
    root["options"]["duplicateScopeOptions"] = {"deckName": "Japanese", "checkChildren": True,
                                                "checkAllModels": False}
    only_deck = note("水", "みず", deck="Japanese::Vocab", scope="deck")
    result, _ = yomitan(api, "canAddNotes", notes=[root, only_deck])
    assert result == [False, True]
