"""exportPackage and importPackage: .apkg files that round-trip notes, cards
and their scheduling, into this collection or a fresh profile."""
import os
import zipfile

import pytest

from harness import AnkiProcess, ApiError

NOTES = [
    {"deckName": "Pkg", "modelName": "Basic (and reversed card)",
     "fields": {"Front": "perro", "Back": "dog"}, "tags": ["animal"]},
    {"deckName": "Pkg", "modelName": "Basic", "fields": {"Front": "gato", "Back": "cat"},
     "tags": ["animal", "pet"]},
    {"deckName": "Pkg::Verbs", "modelName": "Basic", "fields": {"Front": "comer", "Back": "eat"}},
    {"deckName": "Pkg::Verbs", "modelName": "Cloze",
     "fields": {"Text": "{{c1::beber}} means {{c2::drink}}", "Back Extra": ""}},
]
CARD_KEYS = ("deckName", "modelName", "ord", "type", "queue", "due", "interval", "factor",
             "reps", "lapses", "left", "flags")


def make_deck(api):
    """The Pkg deck with a subdeck, some cards studied, one rescheduled, one suspended."""
    api.call("createDeck", deck="Pkg::Verbs")
    api.call("createDeck", deck="Elsewhere")
    api.call("addNote", note={"deckName": "Elsewhere", "modelName": "Basic",
                              "fields": {"Front": "not exported", "Back": "x"}})
    assert all(api.call("addNotes", notes=NOTES))
    cards = sorted(api.call("findCards", query="deck:Pkg"))
    assert len(cards) == 6
    assert api.call("answerCards", answers=[
        {"cardId": cards[0], "ease": 3, "time": 4000},
        {"cardId": cards[0], "ease": 3, "time": 2000},
        {"cardId": cards[1], "ease": 1, "time": 9000},
        {"cardId": cards[2], "ease": 4, "time": 1000},
    ]) == [True] * 4
    api.call("setDueDate", cards=[cards[3]], days="7")
    api.call("suspend", cards=[cards[4]])
    return cards


def snapshot(api, query="deck:Pkg"):
    """Notes, cards and review history, keyed by content (ids may differ)."""
    notes = api.call("notesInfo", notes=api.call("findNotes", query=query))
    by_note = {}
    for n in notes:
        key = tuple(sorted((k, v["value"]) for k, v in n["fields"].items()))
        by_note[n["noteId"]] = key
    cards = api.call("cardsInfo", cards=api.call("findCards", query=query))
    reviews = api.call("getReviewsOfCards", cards=[c["cardId"] for c in cards])
    out_notes = sorted((by_note[n["noteId"]], n["modelName"], tuple(sorted(n["tags"])))
                       for n in notes)
    out_cards = {}
    for c in cards:
        history = [(r["ease"], r["ivl"], r["lastIvl"], r["factor"], r["time"], r["type"])
                   for r in reviews[str(c["cardId"])]]
        out_cards[(by_note[c["note"]], c["ord"])] = (
            {k: c[k] for k in CARD_KEYS}, sorted(history))
    return {"notes": out_notes, "cards": out_cards,
            "decks": sorted(d for d in api.call("deckNames") if d.startswith("Pkg"))}


def strip_plus(shot):
    """`shot` with note type names as without Anki's "+" for a renamed import."""
    notes = sorted((f, m.rstrip("+"), t) for f, m, t in shot["notes"])
    cards = {k: (dict(state, modelName=state["modelName"].rstrip("+")), history)
             for k, (state, history) in shot["cards"].items()}
    return dict(shot, notes=notes, cards=cards)


def test_round_trip_into_a_fresh_profile_keeps_notes_cards_and_scheduling(api, tmp_path):
    make_deck(api)
    before = snapshot(api)
    assert {k: v[0]["queue"] for k, v in before["cards"].items()} != {}
    path = str(tmp_path / "pkg.apkg")
    assert api.call("exportPackage", deck="Pkg", path=path, includeSched=True) is True
    assert zipfile.is_zipfile(path)

    fresh = AnkiProcess(profile="Fresh")
    fresh.start()
    try:
        other = fresh.client()
        assert other.call("findNotes", query="") == []
        assert other.call("importPackage", path=path) is True
        after = snapshot(other)
        # the fresh profile's stock note types are not the exported ones (other
        # ids), so Anki adds the package's under a changed name: "Basic+"
        assert after == strip_plus(before) or strip_plus(after) == before
        # only the deck and its subdeck came along
        assert other.call("findNotes", query="not exported") == []
        assert sorted(other.call("deckNames")) == ["Default", "Pkg", "Pkg::Verbs"]
    finally:
        fresh.cleanup()


def test_export_without_scheduling_gives_new_cards(api, tmp_path):
    make_deck(api)
    before = snapshot(api)
    path = str(tmp_path / "plain.apkg")
    assert api.call("exportPackage", deck="Pkg", path=path) is True
    api.call("deleteDecks", decks=["Pkg"], cardsToo=True)
    assert api.call("findCards", query="deck:Pkg") == []
    assert api.call("importPackage", path=path) is True
    after = snapshot(api)
    assert after["notes"] == before["notes"]
    assert set(after["cards"]) == set(before["cards"])
    # (the review log of the deleted cards stays in this collection, as Anki keeps it)
    for state, _ in after["cards"].values():
        assert (state["type"], state["queue"], state["reps"], state["interval"]) == (0, 0, 0, 0)


def test_import_into_the_same_collection_restores_what_was_deleted(api, tmp_path):
    make_deck(api)
    before = snapshot(api)
    path = str(tmp_path / "again.apkg")
    assert api.call("exportPackage", deck="Pkg", path=path, includeSched=True) is True
    api.call("deleteDecks", decks=["Pkg"], cardsToo=True)
    assert api.call("importPackage", path=path) is True
    assert snapshot(api) == before


def test_relative_paths_are_in_the_media_folder(api):
    make_deck(api)
    media = api.call("getMediaDirPath")
    try:
        assert api.call("exportPackage", deck="Pkg::Verbs", path="verbs.apkg",
                        includeSched=True) is True
        assert os.path.isfile(os.path.join(media, "verbs.apkg"))
        before = snapshot(api, "deck:Pkg::Verbs")
        api.call("deleteDecks", decks=["Pkg::Verbs"], cardsToo=True)
        assert api.call("importPackage", path="verbs.apkg") is True
        assert snapshot(api, "deck:Pkg::Verbs") == before
    finally:
        os.remove(os.path.join(media, "verbs.apkg"))


def test_export_carries_the_decks_media(api, tmp_path):
    api.call("storeMediaFile", filename="pkg_sound.mp3", data="SUQzIGZha2U=")
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                                    "fields": {"Front": "with [sound:pkg_sound.mp3]", "Back": "x"}})
    path = str(tmp_path / "media.apkg")
    assert api.call("exportPackage", deck="Default", path=path) is True
    api.call("deleteNotes", notes=[nid])
    api.call("deleteMediaFile", filename="pkg_sound.mp3")
    assert api.call("retrieveMediaFile", filename="pkg_sound.mp3") is False
    assert api.call("importPackage", path=path) is True
    try:
        assert api.call("retrieveMediaFile", filename="pkg_sound.mp3") == "SUQzIGZha2U="
        assert api.call("findNotes", query="pkg_sound") == [nid]
    finally:
        api.call("deleteMediaFile", filename="pkg_sound.mp3")


def test_import_is_one_undo_step(anki, api, tmp_path):
    make_deck(api)
    path = str(tmp_path / "undo.apkg")
    api.call("exportPackage", deck="Pkg", path=path, includeSched=True)
    api.call("deleteDecks", decks=["Pkg"], cardsToo=True)
    assert api.call("importPackage", path=path) is True
    assert len(api.call("findCards", query="deck:Pkg")) == 6
    assert anki.driver("result = mw.col.undo_status().undo") == "AnkiConnect: importPackage"
    anki.driver("mw.col.undo()")
    assert api.call("findCards", query="deck:Pkg") == []


def test_export_of_a_missing_deck_is_false(api, tmp_path):
    path = tmp_path / "none.apkg"
    assert api.call("exportPackage", deck="No such deck", path=str(path)) is False
    assert not path.exists()


def test_export_into_a_missing_folder_is_an_error(api, tmp_path):
    with pytest.raises(ApiError, match="exportPackage: folder .* does not exist"):
        api.call("exportPackage", deck="Default", path=str(tmp_path / "no" / "x.apkg"))


def test_import_errors_name_the_file(api, tmp_path):
    with pytest.raises(ApiError, match="importPackage: no such file: .*missing.apkg"):
        api.call("importPackage", path=str(tmp_path / "missing.apkg"))
    junk = tmp_path / "junk.apkg"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ApiError, match="importPackage: cannot import .*junk.apkg"):
        api.call("importPackage", path=str(junk))
