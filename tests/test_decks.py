"""Deck actions: decks, options groups, filtered decks, against real Anki."""

import pytest

from harness import ApiError


def add_cards(anki, count=1, deck="Default", model="Basic"):
    """Add `count` notes straight through Anki; returns their card ids."""
    return anki.driver(f"""
col = mw.col
m = col.models.by_name({model!r})
did = col.decks.id({deck!r})
result = []
for i in range({count}):
    n = col.new_note(m)
    n[m["flds"][0]["name"]] = "card %d" % i
    col.add_note(n, did)
    result += [c.id for c in n.cards()]
""")


def card_rows(anki, cids):
    """{card id: [did, odid]} as Anki stores them."""
    rows = anki.driver(f"result = mw.col.db.all('select id, did, odid from cards where id in {tuple(cids) + (0,)}')")
    return {r[0]: [r[1], r[2]] for r in rows}


def undo_name(anki):
    return anki.driver("result = mw.col.undo_status().undo")


def undo(anki):
    anki.driver("mw.col.undo()")


def error_of(api, action, **params):
    with pytest.raises(ApiError) as e:
        api.call(action, **params)
    return str(e.value)


# -- names and ids ------------------------------------------------------------


def test_deck_names_and_ids_sample(api):
    assert api.call("deckNames") == ["Default"]
    assert api.call("deckNamesAndIds") == {"Default": 1}


def test_deck_name_from_id(api):
    did = api.call("createDeck", deck="Japanese::Tokyo")
    assert api.call("deckNameFromId", deckId=did) == "Japanese::Tokyo"
    assert api.call("deckNameFromId", deckId=1) == "Default"
    assert error_of(api, "deckNameFromId", deckId=123) == "deck was not found: 123"


# -- createDeck ---------------------------------------------------------------


def test_create_deck_creates_parents_and_returns_id(api):
    did = api.call("createDeck", deck="Japanese::Tokyo")
    assert isinstance(did, int) and did > 1
    names = api.call("deckNamesAndIds")
    assert set(names) == {"Default", "Japanese", "Japanese::Tokyo"}
    assert names["Japanese::Tokyo"] == did
    assert api.call("deckNames") == ["Default", "Japanese", "Japanese::Tokyo"]


def test_create_existing_deck_returns_its_id_and_keeps_it(api):
    did = api.call("createDeck", deck="Spanish")
    assert api.call("setDeckDescription", deck="Spanish", description="keep me") is True
    assert api.call("createDeck", deck="Spanish") == did
    assert api.call("createDeck", deck="spanish") == did  # Anki's names ignore case
    assert api.call("getDeckDescription", deck="Spanish") == "keep me"
    assert api.call("createDeck", deck="Default") == 1
    assert api.call("deckNames") == ["Default", "Spanish"]


def test_create_deck_rejects_bad_names(api):
    assert "empty" in error_of(api, "createDeck", deck="  ")
    message = error_of(api, "createDeck", deck=5)
    assert message.startswith("createDeck: parameter 'deck' must be a string")
    assert "'deck'" in error_of(api, "createDeck")
    assert api.call("deckNames") == ["Default"]


def test_create_deck_under_filtered_deck_is_refused(anki, api):
    add_cards(anki, 2)
    api.call("createFilteredDeck", name="Cram", searchTerms=[{"search": "deck:Default"}])
    message = error_of(api, "createDeck", deck="Cram::Sub")
    assert message.startswith("createDeck:") and "filtered" in message.lower()
    assert "Cram::Sub" not in api.call("deckNames")


# -- getDecks / changeDeck ----------------------------------------------------


def test_get_decks_groups_cards_by_deck(anki, api):
    default = add_cards(anki, 1)
    n3 = add_cards(anki, 2, deck="Japanese::JLPT N3")
    result = api.call("getDecks", cards=n3 + default)
    assert result == {"Default": default, "Japanese::JLPT N3": n3}
    assert api.call("getDecks", cards=[]) == {}
    # as in the reference, an id that is no card is listed under the Default deck
    assert api.call("getDecks", cards=[n3[0], 42, default[0]]) == {
        "Japanese::JLPT N3": [n3[0]], "Default": [42, default[0]]}


def test_change_deck_moves_cards_and_creates_deck(anki, api):
    cids = add_cards(anki, 3)
    assert api.call("changeDeck", cards=cids[:2], deck="Japanese::JLPT N3") is None
    assert "Japanese::JLPT N3" in api.call("deckNames")
    assert api.call("getDecks", cards=cids) == {
        "Japanese::JLPT N3": cids[:2], "Default": cids[2:]}
    assert api.call("getDeckStats", decks=["Japanese::JLPT N3"])[
        str(api.call("deckNamesAndIds")["Japanese::JLPT N3"])]["total_in_deck"] == 2


def test_change_deck_takes_cards_out_of_filtered_deck(anki, api):
    cids = add_cards(anki, 2)
    fid = api.call("createFilteredDeck", name="Cram", searchTerms=[{"search": "deck:Default"}])
    assert card_rows(anki, cids) == {c: [fid, 1] for c in cids}
    api.call("changeDeck", cards=cids[:1], deck="Target")
    target = api.call("deckNamesAndIds")["Target"]
    rows = card_rows(anki, cids)
    assert rows[cids[0]] == [target, 0]  # left the filtered deck, no home deck kept
    assert rows[cids[1]] == [fid, 1]


def test_change_deck_refuses_filtered_target_skips_unknown_cards(anki, api):
    cids = add_cards(anki, 2)
    api.call("createFilteredDeck", name="Cram", searchTerms=[{"search": "deck:Default", "limit": 1}])
    message = error_of(api, "changeDeck", cards=cids, deck="Cram")
    assert message == "changeDeck: Cram is a filtered deck"
    # as in the reference, ids that are no cards are skipped (the deck is still made)
    assert api.call("changeDeck", cards=[cids[0], 99], deck="Other") is None
    assert api.call("getDecks", cards=cids[:1]) == {"Other": cids[:1]}
    assert api.call("changeDeck", cards=[98], deck="Empty") is None
    assert "Empty" in api.call("deckNames")
    message = error_of(api, "changeDeck", cards="1", deck="X")
    assert message.startswith("changeDeck: parameter 'cards' must be an array")


# -- deleteDecks ----------------------------------------------------------------


def test_delete_decks_with_cards(anki, api):
    n5 = add_cards(anki, 2, deck="Japanese::JLPT N5")
    spanish = add_cards(anki, 1, deck="Easy Spanish")
    keep = add_cards(anki, 1, deck="Japanese")
    assert api.call("deleteDecks", decks=["Japanese::JLPT N5", "Easy Spanish"], cardsToo=True) is None
    assert api.call("deckNames") == ["Default", "Japanese"]
    assert card_rows(anki, n5 + spanish + keep).keys() == {keep[0]}
    assert anki.driver("result = mw.col.note_count()") == 1  # their notes went too


def test_delete_decks_without_cards_moves_them_to_default(anki, api):
    parent = add_cards(anki, 1, deck="Japanese")
    child = add_cards(anki, 1, deck="Japanese::JLPT N5")
    api.call("deleteDecks", decks=["Japanese"])
    assert api.call("deckNames") == ["Default"]
    assert api.call("getDecks", cards=parent + child) == {"Default": parent + child}


def test_delete_filtered_deck_returns_cards_home(anki, api):
    cids = add_cards(anki, 2, deck="Home")
    api.call("createFilteredDeck", name="Cram", searchTerms=[{"search": "deck:Home"}])
    api.call("deleteDecks", decks=["Cram"])
    assert api.call("getDecks", cards=cids) == {"Home": cids}


def test_delete_unknown_deck_is_an_error_and_deletes_nothing(api):
    api.call("createDeck", deck="Keep")
    message = error_of(api, "deleteDecks", decks=["Keep", "Nope"], cardsToo=True)
    assert message == "deck was not found: Nope"
    assert api.call("deckNames") == ["Default", "Keep"]


def test_delete_default_deck_keeps_it(anki, api):
    add_cards(anki, 1, deck="Default::Sub")
    api.call("deleteDecks", decks=["Default"])
    assert api.call("deckNames") == ["Default"]
    assert anki.driver("result = mw.col.card_count()") == 1


# -- getDeckStats -----------------------------------------------------------------


def test_get_deck_stats_shape(anki, api):
    add_cards(anki, 3, deck="Japanese::JLPT N5")
    add_cards(anki, 1, deck="Easy Spanish")
    ids = api.call("deckNamesAndIds")
    stats = api.call("getDeckStats", decks=["Japanese::JLPT N5", "Easy Spanish", "Japanese"])
    n5, es, jp = (str(ids[n]) for n in ("Japanese::JLPT N5", "Easy Spanish", "Japanese"))
    assert set(stats) == {n5, es, jp}
    assert stats[n5] == {"deck_id": ids["Japanese::JLPT N5"], "name": "Japanese::JLPT N5",
                         "new_count": 3, "learn_count": 0, "review_count": 0, "total_in_deck": 3}
    assert stats[es]["new_count"] == 1 and stats[es]["total_in_deck"] == 1
    # the parent shows its subdecks' due cards but holds none itself
    assert stats[jp]["new_count"] == 3 and stats[jp]["total_in_deck"] == 0
    assert error_of(api, "getDeckStats", decks=["Nope"]) == "deck was not found: Nope"
    assert "Nope" not in api.call("deckNames")


def test_get_deck_stats_of_empty_default_deck(anki, api):
    add_cards(anki, 1, deck="Other")
    stats = api.call("getDeckStats", decks=["Default"])
    assert stats == {"1": {"deck_id": 1, "name": "Default", "new_count": 0, "learn_count": 0,
                           "review_count": 0, "total_in_deck": 0}}


# -- descriptions -----------------------------------------------------------------


def test_deck_description(api):
    assert api.call("getDeckDescription", deck="Default") == ""
    assert api.call("setDeckDescription", deck="Default", description="<b>mine</b>") is True
    assert api.call("getDeckDescription", deck="Default") == "<b>mine</b>"
    assert error_of(api, "getDeckDescription", deck="Nope") == "deck was not found: Nope"
    assert error_of(api, "setDeckDescription", deck="Nope", description="") == "deck was not found: Nope"


# -- options groups -----------------------------------------------------------------


def test_get_deck_config_sample(api):
    config = api.call("getDeckConfig", deck="Default")
    assert config["id"] == 1 and config["name"] == "Default" and config["dyn"] is False
    for key in ("maxTaken", "autoplay", "timer", "replayq", "mod", "usn"):
        assert key in config
    assert {"perDay", "delays", "ints", "initialFactor", "order", "bury"} <= set(config["new"])
    assert {"perDay", "ease4", "ivlFct", "maxIvl", "bury"} <= set(config["rev"])
    assert {"delays", "leechFails", "leechAction", "minInt", "mult"} <= set(config["lapse"])
    assert api.call("getDeckConfig", deck="Nope") is False


def test_save_deck_config(api):
    config = api.call("getDeckConfig", deck="Default")
    config["new"]["perDay"] = 33
    config["new"]["delays"] = [2, 20]
    config["rev"]["perDay"] = 333
    config["rev"]["ease4"] = 1.5
    config["lapse"]["leechFails"] = 5
    config["maxTaken"] = 30
    config["autoplay"] = False
    assert api.call("saveDeckConfig", config=config) is True
    saved = api.call("getDeckConfig", deck="Default")
    assert saved["new"]["perDay"] == 33 and saved["new"]["delays"] == [2, 20]
    assert saved["rev"]["perDay"] == 333 and saved["rev"]["ease4"] == pytest.approx(1.5)
    assert saved["lapse"]["leechFails"] == 5
    assert saved["maxTaken"] == 30 and saved["autoplay"] is False


def test_save_deck_config_partial_and_string_id(api):
    assert api.call("saveDeckConfig", config={"id": "1", "new": {"perDay": 44}}) is True
    saved = api.call("getDeckConfig", deck="Default")
    assert saved["new"]["perDay"] == 44 and saved["rev"]["perDay"] == 200


def test_save_deck_config_unknown_id_is_false(api):
    config = api.call("getDeckConfig", deck="Default")
    config["id"] = 12345
    config["new"]["perDay"] = 1
    assert api.call("saveDeckConfig", config=config) is False
    assert api.call("getDeckConfig", deck="Default")["new"]["perDay"] == 20
    assert "config.id" in error_of(api, "saveDeckConfig", config={"name": "x"})


def test_save_deck_config_bad_value_is_named(api):
    message = error_of(api, "saveDeckConfig", config={"id": 1, "new": {"perDay": "many"}})
    assert message.startswith("saveDeckConfig: config.new.perDay")
    message = error_of(api, "saveDeckConfig", config={"id": 1, "new": 5})
    assert message == "saveDeckConfig: config.new must be an object"


def test_save_deck_config_keeps_unknown_keys(api):
    config = api.call("getDeckConfig", deck="Default")
    config["myAddonSetting"] = {"x": 1}
    config["new"]["perDay"] = 21
    assert api.call("saveDeckConfig", config=config) is True
    saved = api.call("getDeckConfig", deck="Default")
    assert saved["myAddonSetting"] == {"x": 1} and saved["new"]["perDay"] == 21


def test_clone_and_set_deck_config_id(api):
    api.call("createDeck", deck="Japanese")
    clone = api.call("cloneDeckConfigId", name="Copy of Default", cloneFrom=1)
    assert isinstance(clone, int) and clone != 1
    assert api.call("getDeckConfig", deck="Japanese")["id"] == 1  # nothing uses it yet
    assert api.call("setDeckConfigId", decks=["Japanese"], configId=clone) is True
    config = api.call("getDeckConfig", deck="Japanese")
    assert config["id"] == clone and config["name"] == "Copy of Default"
    assert config["new"] == api.call("getDeckConfig", deck="Default")["new"]
    assert api.call("getDeckConfig", deck="Default")["id"] == 1


def test_clone_deck_config_copies_settings_and_defaults_to_default(api):
    api.call("saveDeckConfig", config={"id": 1, "new": {"perDay": 55}})
    clone = api.call("cloneDeckConfigId", name="Second")
    api.call("createDeck", deck="D")
    api.call("setDeckConfigId", decks=["D"], configId=str(clone))
    assert api.call("getDeckConfig", deck="D")["new"]["perDay"] == 55
    other = api.call("cloneDeckConfigId", name="Third", cloneFrom=str(clone))
    assert other not in (1, clone)
    assert api.call("cloneDeckConfigId", name="x", cloneFrom=999) is False


def test_set_deck_config_id_false_when_anything_is_missing(api):
    api.call("createDeck", deck="A")
    clone = api.call("cloneDeckConfigId", name="C")
    assert api.call("setDeckConfigId", decks=["A"], configId=999) is False
    assert api.call("setDeckConfigId", decks=["A", "Missing"], configId=clone) is False
    assert api.call("getDeckConfig", deck="A")["id"] == 1  # nothing changed
    assert "Missing" not in api.call("deckNames")


def test_remove_deck_config_id(api):
    api.call("createDeck", deck="A")
    clone = api.call("cloneDeckConfigId", name="C")
    api.call("setDeckConfigId", decks=["A"], configId=clone)
    assert api.call("removeDeckConfigId", configId=clone) is True
    assert api.call("getDeckConfig", deck="A")["id"] == 1  # back on Default
    assert api.call("removeDeckConfigId", configId=clone) is False
    assert api.call("removeDeckConfigId", configId=1) is False
    assert api.call("getDeckConfig", deck="Default")["id"] == 1


def test_remove_deck_config_used_by_default_deck(api):
    clone = api.call("cloneDeckConfigId", name="C")
    api.call("setDeckConfigId", decks=["Default"], configId=clone)
    other = api.call("cloneDeckConfigId", name="Unused")
    assert api.call("removeDeckConfigId", configId=other) is True
    assert api.call("getDeckConfig", deck="Default")["id"] == clone  # untouched
    assert api.call("removeDeckConfigId", configId=clone) is True
    assert api.call("getDeckConfig", deck="Default")["id"] == 1


# -- filtered decks -------------------------------------------------------------------


def test_create_filtered_deck_builds_it(anki, api):
    cids = add_cards(anki, 3, deck="Japanese")
    did = api.call("createFilteredDeck", name="Cram", searchTerms=[
        {"search": "deck:Japanese", "limit": 2, "order": 5}], reschedule=False)
    assert api.call("deckNamesAndIds")["Cram"] == did
    decks = api.call("getDecks", cards=cids)
    assert decks == {"Cram": cids[:2], "Japanese": cids[2:]}  # order added, limit 2
    config = api.call("getDeckConfig", deck="Cram")
    assert config["dyn"] and config["resched"] is False
    assert config["terms"][0][:3] == ["deck:Japanese", 2, 5]


def test_create_filtered_deck_with_two_terms(anki, api):
    add_cards(anki, 2, deck="A")
    add_cards(anki, 2, deck="B")
    api.call("createFilteredDeck", name="Mix", searchTerms=[
        {"search": "deck:A", "limit": 1, "order": 0}, {"search": "deck:B", "limit": 5, "order": 1}])
    stats = api.call("getDeckStats", decks=["Mix"])
    assert list(stats.values())[0]["total_in_deck"] == 3
    config = api.call("getDeckConfig", deck="Mix")
    assert [t[:3] for t in config["terms"]] == [["deck:A", 1, 0], ["deck:B", 5, 1]]
    assert config["resched"] is True


def test_create_filtered_deck_errors(anki, api):
    add_cards(anki, 1)
    term = {"search": "deck:Default"}
    assert "one or two" in error_of(api, "createFilteredDeck", name="F", searchTerms=[])
    assert "one or two" in error_of(api, "createFilteredDeck", name="F", searchTerms=[term] * 3)
    message = error_of(api, "createFilteredDeck", name="F", searchTerms=[{"search": "deck:Default", "order": 99}])
    assert message.startswith("createFilteredDeck: searchTerms[0].order")
    message = error_of(api, "createFilteredDeck", name="F", searchTerms=[{"search": "deck:Default", "limit": 0}])
    assert message.startswith("createFilteredDeck: searchTerms[0].limit")
    assert "searchTerms[0].search" in error_of(api, "createFilteredDeck", name="F", searchTerms=[{}])
    assert "already exists" in error_of(api, "createFilteredDeck", name="Default", searchTerms=[term])
    message = error_of(api, "createFilteredDeck", name="F", searchTerms=[{"search": "deck:Nothing"}])
    assert message.startswith("createFilteredDeck:") and "No cards matched" in message
    assert api.call("deckNames") == ["Default"]


# -- undo -------------------------------------------------------------------------------


def test_create_deck_is_one_undo_step(anki, api):
    api.call("createDeck", deck="A::B::C")
    assert undo_name(anki) == "AnkiConnect: createDeck"
    undo(anki)
    assert api.call("deckNames") == ["Default"]


def test_change_deck_undo(anki, api):
    cids = add_cards(anki, 2)
    api.call("changeDeck", cards=cids, deck="Elsewhere")
    assert undo_name(anki) == "AnkiConnect: changeDeck"
    undo(anki)
    assert api.call("deckNames") == ["Default"]
    assert api.call("getDecks", cards=cids) == {"Default": cids}


def test_delete_decks_undo(anki, api):
    cids = add_cards(anki, 2, deck="Gone")
    api.call("deleteDecks", decks=["Gone"], cardsToo=True)
    assert undo_name(anki) == "AnkiConnect: deleteDecks"
    undo(anki)
    assert api.call("getDecks", cards=cids) == {"Gone": cids}


def test_deck_config_writes_undo(anki, api):
    api.call("saveDeckConfig", config={"id": 1, "new": {"perDay": 99}})
    assert undo_name(anki) == "AnkiConnect: saveDeckConfig"
    undo(anki)
    assert api.call("getDeckConfig", deck="Default")["new"]["perDay"] == 20

    clone = api.call("cloneDeckConfigId", name="C")
    assert undo_name(anki) == "AnkiConnect: cloneDeckConfigId"
    undo(anki)
    assert api.call("setDeckConfigId", decks=["Default"], configId=clone) is False

    clone = api.call("cloneDeckConfigId", name="C")
    api.call("setDeckConfigId", decks=["Default"], configId=clone)
    assert undo_name(anki) == "AnkiConnect: setDeckConfigId"
    api.call("removeDeckConfigId", configId=clone)
    assert undo_name(anki) == "AnkiConnect: removeDeckConfigId"
    undo(anki)
    assert api.call("getDeckConfig", deck="Default")["id"] == clone
    undo(anki)
    assert api.call("getDeckConfig", deck="Default")["id"] == 1


def test_filtered_deck_and_description_undo(anki, api):
    cids = add_cards(anki, 1)
    api.call("createFilteredDeck", name="Cram", searchTerms=[{"search": "deck:Default"}])
    assert undo_name(anki) == "AnkiConnect: createFilteredDeck"
    undo(anki)
    assert api.call("deckNames") == ["Default"]
    assert api.call("getDecks", cards=cids) == {"Default": cids}
    api.call("setDeckDescription", deck="Default", description="x")
    assert undo_name(anki) == "AnkiConnect: setDeckDescription"
    undo(anki)
    assert api.call("getDeckDescription", deck="Default") == ""


def test_failed_write_changes_nothing(anki, api):
    before = undo_name(anki)
    error_of(api, "createFilteredDeck", name="F", searchTerms=[{"search": "deck:Nothing"}])
    assert api.call("deckNames") == ["Default"]
    assert undo_name(anki) == before


def test_deck_list_in_gui_shows_new_deck(anki, api):
    # redrawn whether or not Anki's window has the focus (test_gui_refresh)
    anki.driver("mw.col is not None and mw.state != 'deckBrowser' and mw.moveToState('deckBrowser')")
    api.call("createDeck", deck="Visible Deck")
    # the tree it last drew: _render_data.tree (Anki 23.10+), _dueTree (2.1.66)
    shown = anki.wait_for(
        "data = getattr(mw.deckBrowser, '_render_data', None)\n"
        "tree = data.tree if data else getattr(mw.deckBrowser, '_dueTree', None)\n"
        "result = bool(tree) and any(n.name == 'Visible Deck' for n in tree.children)")
    assert shown
