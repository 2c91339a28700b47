"""Note actions: adding (duplicates in every scope), checking, updating,
tags, finding and reading notes.  Media on notes: test_media.py."""

from anki_helpers import logged, server_of


DUP = "cannot create note because it is a duplicate"
EMPTY = "cannot create note because it is empty"


def basic(front, back="", deck="Default", model="Basic", **extra):
    note = {"deckName": deck, "modelName": model, "fields": {"Front": front, "Back": back}}
    note.update(extra)
    return note


def info(api, nid):
    return api.call("notesInfo", notes=[nid])[0]


def error_of(api, action, **params):
    reply = api.request(action, **params)
    assert reply["result"] is None, reply
    return reply["error"]


# -- addNote -------------------------------------------------------------------


def test_add_note_documented_sample_without_audio(api):
    nid = api.call("addNote", note={
        "deckName": "Default", "modelName": "Basic",
        "fields": {"Front": "front content", "Back": "back content"},
        "options": {"allowDuplicate": False}, "tags": ["yomichan"]})
    assert isinstance(nid, int)
    got = info(api, nid)
    assert got["noteId"] == nid
    assert got["modelName"] == "Basic"
    assert got["tags"] == ["yomichan"]
    assert got["fields"] == {"Front": {"value": "front content", "order": 0},
                             "Back": {"value": "back content", "order": 1}}
    assert len(got["cards"]) == 1
    assert got["profile"] == api.call("getActiveProfile")
    assert isinstance(got["mod"], int) and got["mod"] > 1600000000
    assert api.call("findNotes", query="deck:Default") == [nid]


def values(api, nid):
    return {name: f["value"] for name, f in info(api, nid)["fields"].items()}


def test_add_note_field_names_match_in_any_case(api):
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                                    "fields": {"FRONT": "upper", "back": "lower"}})
    assert values(api, nid) == {"Front": "upper", "Back": "lower"}
    # two names for one field: the later one in the JSON object wins
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                                    "fields": {"Front": "A1", "front": "A2"}})
    assert values(api, nid)["Front"] == "A2"
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                                    "fields": {"front": "B1", "Back": "b", "FRONT": "B2"}})
    assert values(api, nid) == {"Front": "B2", "Back": "b"}


def test_add_note_skips_unknown_field_names_and_logs_them(api, request):
    with logged(server_of(request, api)) as log:
        nid = api.call("addNote", note={"deckName": "Default", "modelName": "Basic",
                                        "fields": {"Front": "kept", "Nope": "dropped"}})
    assert values(api, nid) == {"Front": "kept", "Back": ""}
    assert [m for m in log if "'Nope'" in m and "skipped" in m and "Basic" in m
            and m.startswith("addNote:")], log
    # only unknown names: the first field is empty
    for fields in ({"Nope": "zzz"}, {}, {"Back": "only back"}):
        assert error_of(api, "addNote", note={"deckName": "Default", "modelName": "Basic",
                                              "fields": fields}) == EMPTY
    # the same for the checks, and for addNotes
    note = {"deckName": "Default", "modelName": "Basic", "fields": {"front": "new", "Nope": "x"}}
    assert api.call("canAddNote", note=note) is True
    assert api.call("canAddNotes", notes=[note]) == [True]
    assert api.call("canAddNoteWithErrorDetail", note=note) == {"canAdd": True}
    assert api.call("canAddNotesWithErrorDetail", notes=[note]) == [{"canAdd": True}]
    [added] = api.call("addNotes", notes=[note])
    assert values(api, added) == {"Front": "new", "Back": ""}
    assert sorted(api.call("findNotes", query="")) == sorted([nid, added])


def make_decks(api, anki, *names):
    """Create decks (createDeck belongs to another module: use it when present)."""
    if api.call("apiReflect", scopes=["actions"], actions=["createDeck"])["actions"]:
        for name in names:
            api.call("createDeck", deck=name)
    else:
        anki.driver("".join(f"mw.col.decks.id({name!r})\n" for name in names))


def test_add_note_into_other_deck_and_model(api, anki):
    deck = "Japanese::Words"
    make_decks(api, anki, deck)
    nid = api.call("addNote", note=basic("猫", "cat", deck=deck, model="Basic (and reversed card)"))
    got = info(api, nid)
    assert got["modelName"] == "Basic (and reversed card)"
    assert len(got["cards"]) == 2
    assert api.call("findNotes", query=f'"deck:{deck}"') == [nid]


def test_empty_first_field_is_refused_with_the_exact_error(api):
    for front in ("", "   ", "<br>", "<div></div>&nbsp;"):
        assert error_of(api, "addNote", note=basic(front, "back")) == EMPTY, front
    assert error_of(api, "addNote", note={"deckName": "Default", "modelName": "Basic",
                                          "fields": {"Back": "only back"}}) == EMPTY
    # even when duplicates are allowed
    assert error_of(api, "addNote", note=basic("", "b", options={"allowDuplicate": True})) == EMPTY
    assert api.call("findNotes", query="") == []


def test_unknown_deck_and_model_are_named(api):
    assert error_of(api, "addNote", note=basic("a", deck="No Such Deck")) == \
        "deck was not found: No Such Deck"
    assert error_of(api, "addNote", note=basic("a", model="No Such Model")) == \
        "model was not found: No Such Model"
    assert api.call("deckNames") == ["Default"]  # the deck was not created
    assert api.call("findNotes", query="") == []


def test_malformed_note_objects_get_clear_errors(api):
    assert "fields" in error_of(api, "addNote", note={"deckName": "Default", "modelName": "Basic"})
    assert "modelName" in error_of(api, "addNote", note={"deckName": "Default", "fields": {}})
    assert "tags" in error_of(api, "addNote", note=basic("a", tags=[1, 2]))
    assert "note" in error_of(api, "addNote", note=[1])


def test_tags_given_as_one_string_are_split(api):
    nid = api.call("addNote", note=basic("a", tags="one two"))
    assert sorted(info(api, nid)["tags"]) == ["one", "two"]


# -- duplicates ------------------------------------------------------------------


def test_duplicate_in_collection_scope(api):
    api.call("addNote", note=basic("cat", "1"))
    assert error_of(api, "addNote", note=basic("cat", "2")) == DUP
    # Anki's normalisation: HTML is stripped before comparing
    assert error_of(api, "addNote", note=basic("<b>cat</b>", "3")) == DUP
    assert error_of(api, "addNote", note=basic("<span style='x'>c</span>at", "3")) == DUP
    # another note type is no duplicate, unless checkAllModels
    assert api.call("addNote", note=basic("cat", model="Basic (and reversed card)"))
    assert error_of(api, "addNote", note=basic("cat", model="Basic (optional reversed card)",
                    options={"duplicateScopeOptions": {"checkAllModels": True}})) == DUP
    # different text is fine; case matters as in Anki
    assert api.call("addNote", note=basic("Cat"))
    assert api.call("addNote", note=basic("cat ", "trailing space differs"))


def test_allow_duplicate_adds_anyway(api):
    first = api.call("addNote", note=basic("dog"))
    second = api.call("addNote", note=basic("dog", options={"allowDuplicate": True}))
    assert first != second
    assert sorted(api.call("findNotes", query="front:dog")) == sorted([first, second])


def test_duplicate_scope_deck(api, anki):
    make_decks(api, anki, "A", "A::Child", "B")
    api.call("addNote", note=basic("word", deck="A::Child"))
    deck_scope = {"duplicateScope": "deck"}
    # another deck: not a duplicate in deck scope, but in collection scope
    assert error_of(api, "addNote", note=basic("word", deck="B")) == DUP
    b_id = api.call("addNote", note=basic("word", deck="B", options=deck_scope))
    assert b_id
    # the same deck: duplicate
    assert error_of(api, "addNote", note=basic("word", deck="A::Child", options=deck_scope)) == DUP
    # the parent deck: only with checkChildren
    in_parent = {"duplicateScope": "deck", "duplicateScopeOptions": {"checkChildren": True}}
    assert error_of(api, "addNote", note=basic("word", deck="A", options=in_parent)) == DUP
    assert api.call("canAddNote", note=basic("word", deck="A", options=deck_scope)) is True
    # the scope's deck can differ from the note's deck
    other = {"duplicateScope": "deck", "duplicateScopeOptions": {"deckName": "B"}}
    assert error_of(api, "addNote", note=basic("word", deck="A", options=other)) == DUP
    missing = {"duplicateScope": "deck", "duplicateScopeOptions": {"deckName": "Nowhere"}}
    assert api.call("canAddNote", note=basic("word", deck="A", options=missing)) is True
    # deck scope and checkAllModels together
    all_models = {"duplicateScope": "deck",
                  "duplicateScopeOptions": {"deckName": "B", "checkAllModels": True}}
    assert error_of(api, "addNote", note=basic(
        "word", deck="A", model="Basic (and reversed card)", options=all_models)) == DUP
    assert api.call("canAddNote", note=basic(
        "word", deck="A", model="Basic (and reversed card)", options=deck_scope)) is True


def test_unicode_normalisation_counts_for_duplicates(api):
    api.call("addNote", note=basic("caf\u00e9"))  # NFC
    assert error_of(api, "addNote", note=basic("cafe\u0301")) == DUP  # NFD of the same


def test_cloze_notes(api):
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Cloze",
                                    "fields": {"text": "{{c1::Paris}} is in {{c2::France}}",
                                               "Back Extra": ""}})
    got = info(api, nid)
    assert got["modelName"] == "Cloze" and len(got["cards"]) == 2
    err = error_of(api, "addNote", note={"deckName": "Default", "modelName": "Cloze",
                                         "fields": {"Text": "no cloze here"}})
    assert err.startswith("cannot create note because it has no cloze deletion")
    assert error_of(api, "addNote", note={"deckName": "Default", "modelName": "Cloze",
                                          "fields": {"Text": "{{c1::Paris}} is in {{c2::France}}"}}) == DUP


# -- addNotes ----------------------------------------------------------------------


def test_add_notes_documented_shape_with_some_bad_notes(api):
    existing = api.call("addNote", note=basic("taken"))
    result = api.call("addNotes", notes=[
        basic("one"),
        basic("taken"),                        # duplicate of an existing note
        basic("x", model="Nope"),              # unknown model
        basic(""),                             # empty
        basic("one", "again"),                 # duplicate of an earlier note of the batch
        basic("two", deck="Nope"),             # unknown deck
        basic("three", tags=["t"]),
        basic("one", "allowed", options={"allowDuplicate": True}),
    ])
    assert [r is None for r in result] == [False, True, True, True, True, True, False, False]
    assert len(set(r for r in result if r)) == 3
    assert sorted(api.call("findNotes", query="")) == sorted([existing] + [r for r in result if r])
    assert info(api, result[6])["tags"] == ["t"]


def test_add_notes_empty_list_and_wrong_type(api):
    assert api.call("addNotes", notes=[]) == []
    err = error_of(api, "addNotes", notes={"deckName": "Default"})
    assert err.startswith("addNotes: parameter 'notes' must be an array")


def test_add_notes_bulk_is_one_undo_step(api, anki):
    result = api.call("addNotes", notes=[basic(f"n{i}") for i in range(50)])
    assert all(result)
    assert anki.driver("result = mw.col.undo_status().undo") == "AnkiConnect: addNotes"
    anki.driver("mw.col.undo()")
    assert api.call("findNotes", query="") == []
    # and the step before is untouched: an addNote then its undo
    nid = api.call("addNote", note=basic("single"))
    assert anki.driver("result = mw.col.undo_status().undo") == "AnkiConnect: addNote"
    anki.driver("mw.col.undo()")
    assert api.call("notesInfo", notes=[nid]) == [{}]


def test_failed_add_leaves_no_undo_step(api, anki):
    before = anki.driver("result = mw.col.undo_status().undo")
    error_of(api, "addNote", note=basic(""))
    assert api.call("addNotes", notes=[basic("")]) == [None]
    assert anki.driver("result = mw.col.undo_status().undo") == before


# -- canAddNote* ---------------------------------------------------------------------


def test_can_add_notes_and_error_details(api):
    api.call("addNote", note=basic("exists"))
    notes = [basic("new"), basic("exists"), basic(""), basic("x", deck="Nope"),
             basic("x", model="Nope"), basic("new")]
    assert api.call("canAddNotes", notes=notes) == [True, False, False, False, False, True]
    details = api.call("canAddNotesWithErrorDetail", notes=notes)
    assert details == [
        {"canAdd": True},
        {"canAdd": False, "error": DUP},
        {"canAdd": False, "error": EMPTY},
        {"canAdd": False, "error": "deck was not found: Nope"},
        {"canAdd": False, "error": "model was not found: Nope"},
        {"canAdd": True},
    ]
    assert api.call("canAddNote", note=basic("new")) is True
    assert api.call("canAddNote", note=basic("exists")) is False
    assert api.call("canAddNoteWithErrorDetail", note=basic("exists")) == \
        {"canAdd": False, "error": DUP}
    assert api.call("canAddNoteWithErrorDetail", note=basic("fresh")) == {"canAdd": True}
    # nothing was added
    assert len(api.call("findNotes", query="")) == 1


# -- updating --------------------------------------------------------------------------


def test_update_note_fields_returns_exactly_null(api):
    nid = api.call("addNote", note=basic("old front", "old back"))
    status, _, body = api.raw({"action": "updateNoteFields", "version": 6, "params": {
        "note": {"id": nid, "fields": {"Front": "new front"}}}})
    assert body == b'{"result": null, "error": null}'
    assert values(api, nid) == {"Front": "new front", "Back": "old back"}


def test_update_note_fields_names_match_exactly_and_unknown_ones_are_skipped(api, request):
    nid = api.call("addNote", note=basic("a", "b"))
    before = info(api, nid)
    with logged(server_of(request, api)) as log:
        for fields in ({"front": "changed?"}, {"Nope": "x"}, {"BACK": "x", "nope": "y"}, {}):
            reply = api.request("updateNoteFields", note={"id": nid, "fields": fields})
            assert reply == {"result": None, "error": None}, fields
    after = info(api, nid)
    assert (after["fields"], after["tags"]) == (before["fields"], before["tags"])  # unchanged
    assert [m for m in log if m.startswith("updateNoteFields: field 'front' skipped")
            and "exactly" in m], log
    # of two names for one field, only the exact one counts, wherever it is
    for fields in ({"Front": "F2", "front": "f2"}, {"front": "f3", "Front": "F3"}):
        assert api.call("updateNoteFields", note={"id": nid, "fields": fields}) is None
        assert values(api, nid)["Front"] == fields["Front"]
    # updateNote's fields: the same
    assert api.call("updateNote", note={"id": nid, "fields": {"back": "x", "Back": "B", "Nope": 1},
                                        "tags": ["t"]}) is None
    assert values(api, nid) == {"Front": "F3", "Back": "B"}
    assert info(api, nid)["tags"] == ["t"]


def test_update_note_fields_errors(api):
    nid = api.call("addNote", note=basic("a"))
    assert error_of(api, "updateNoteFields", note={"id": 123, "fields": {"Front": "x"}}) == \
        "Note was not found: 123"
    assert "fields" in error_of(api, "updateNoteFields", note={"id": nid})
    assert info(api, nid)["fields"]["Front"]["value"] == "a"


def test_update_note_fields_and_tags(api, anki):
    nid = api.call("addNote", note=basic("a", "b", tags=["old"]))
    assert api.call("updateNote", note={"id": nid, "fields": {"Back": "B"}, "tags": ["new", "x"]}) is None
    got = info(api, nid)
    assert got["fields"]["Back"]["value"] == "B"
    assert sorted(got["tags"]) == ["new", "x"]
    assert anki.driver("result = mw.col.undo_status().undo") == "AnkiConnect: updateNote"
    assert api.call("updateNote", note={"id": nid, "tags": []}) is None
    assert info(api, nid)["tags"] == []


def test_update_note_needs_fields_or_tags(api):
    nid = api.call("addNote", note=basic("a", "b", tags=["old"]))
    before = info(api, nid)
    # the reference's words, which clients compare
    assert error_of(api, "updateNote", note={"id": nid}) == \
        'Must provide a "fields" or "tags" property.'
    assert error_of(api, "updateNote", note={"id": nid, "audio": []}) == \
        'Must provide a "fields" or "tags" property.'
    # given, but not usable: an error too, and nothing changes
    assert "fields" in error_of(api, "updateNote", note={"id": nid, "fields": None,
                                                         "tags": ["new"]})
    for tags in (None, 5, ["ok", 1]):
        assert error_of(api, "updateNote", note={"id": nid, "fields": {"Front": "x"},
                                                 "tags": tags}) == \
            "Must provide tags as a list of strings"
    after = info(api, nid)
    assert (after["fields"], after["tags"]) == (before["fields"], before["tags"])
    # `fields: {}` counts as given: nothing to change
    assert api.request("updateNote", note={"id": nid, "fields": {}}) == \
        {"result": None, "error": None}
    assert info(api, nid)["fields"] == before["fields"]
    assert api.call("updateNote", note={"id": nid, "tags": "single"}) is None
    assert info(api, nid)["tags"] == ["single"]
    assert error_of(api, "updateNote", note={"id": 123, "tags": []}) == "Note was not found: 123"


def test_update_note_model(api):
    nid = api.call("addNote", note=basic("front text", "back text", tags=["keep"]))
    assert api.call("updateNoteModel", note={
        "id": nid, "modelName": "Basic (and reversed card)",
        "fields": {"back": "new back"}, "tags": ["changed"]}) is None
    got = info(api, nid)
    assert got["modelName"] == "Basic (and reversed card)"
    assert got["fields"]["Front"]["value"] == "front text"  # carried over by name
    assert got["fields"]["Back"]["value"] == "new back"
    assert got["tags"] == ["changed"]
    assert len(got["cards"]) == 2
    # to a type with other field names: unmatched fields are given
    assert api.call("updateNoteModel", note={
        "id": nid, "modelName": "Cloze", "fields": {"Text": "{{c1::x}}"}}) is None
    got = info(api, nid)
    assert got["modelName"] == "Cloze"
    assert got["fields"]["Text"]["value"] == "{{c1::x}}"
    # names in any case, the later of two wins; unknown names are skipped
    assert api.call("updateNoteModel", note={
        "id": nid, "modelName": "Basic",
        "fields": {"FRONT": "f1", "front": "f2", "Nope": "x"}}) is None
    got = info(api, nid)
    assert got["modelName"] == "Basic"
    assert got["fields"]["Front"]["value"] == "f2"
    assert error_of(api, "updateNoteModel", note={"id": nid, "modelName": "Nope"}) == \
        "model was not found: Nope"


# -- tags --------------------------------------------------------------------------------


def test_tag_actions(api):
    a = api.call("addNote", note=basic("a", tags=["european-languages"]))
    b = api.call("addNote", note=basic("b"))
    assert api.call("addTags", notes=[a, b], tags="idioms extra") is None
    assert sorted(api.call("getNoteTags", note=b)) == ["extra", "idioms"]
    assert api.call("removeTags", notes=[a, b], tags="extra") is None
    assert sorted(api.call("getNoteTags", note=a)) == ["european-languages", "idioms"]
    assert api.call("getTags") == ["european-languages", "extra", "idioms"]
    assert api.call("clearUnusedTags") is None
    assert api.call("getTags") == ["european-languages", "idioms"]
    assert api.call("updateNoteTags", note=b, tags=["only"]) is None
    assert api.call("getNoteTags", note=b) == ["only"]
    assert api.call("updateNoteTags", note=b, tags="two words") is None
    assert sorted(api.call("getNoteTags", note=b)) == ["two", "words"]
    assert api.call("addTags", notes=[b], tags="two", add=False) is None
    assert api.call("getNoteTags", note=b) == ["words"]
    assert error_of(api, "getNoteTags", note=1) == "Note was not found: 1"


def test_replace_tags_replaces_whole_tags_only(api):
    a = api.call("addNote", note=basic("a", tags=["lang", "language", "x::lang"]))
    b = api.call("addNote", note=basic("b", tags=["lang"]))
    assert api.call("replaceTags", notes=[a], tag_to_replace="LANG", replace_with_tag="new$1") is None
    assert sorted(api.call("getNoteTags", note=a)) == ["language", "new$1", "x::lang"]
    assert api.call("getNoteTags", note=b) == ["lang"]
    assert api.call("replaceTagsInAllNotes", tag_to_replace="x::lang", replace_with_tag="y") is None
    assert sorted(api.call("getNoteTags", note=a)) == ["language", "new$1", "y"]
    assert api.call("replaceTagsInAllNotes", tag_to_replace="lang", replace_with_tag="l2") is None
    assert api.call("getNoteTags", note=b) == ["l2"]


# -- finding and reading -------------------------------------------------------------------


def test_find_notes(api):
    assert api.call("findNotes", query="") == []
    ids = [api.call("addNote", note=basic(w)) for w in ("alpha", "beta")]
    assert sorted(api.call("findNotes", query="")) == sorted(ids)
    assert api.call("findNotes", query="front:beta") == [ids[1]]
    assert api.call("findNotes") == []  # no query: nothing
    err = error_of(api, "findNotes", query="(unbalanced")
    assert err.startswith("findNotes: invalid search")


def test_notes_info_by_query_and_missing_ids(api):
    a = api.call("addNote", note=basic("a", "1"))
    b = api.call("addNote", note=basic("b", "2", model="Basic (and reversed card)"))
    api.call("deleteNotes", notes=[b])
    got = api.call("notesInfo", notes=[a, b, 42, a])
    assert got[1] == {} and got[2] == {}
    assert got[0] == got[3] and got[0]["noteId"] == a
    by_query = api.call("notesInfo", query="front:a")
    assert by_query == [got[0]]
    assert api.call("notesInfo", notes=[]) == []
    assert "notes or query" in error_of(api, "notesInfo")
    mods = api.call("notesModTime", notes=[a, b])
    assert mods == [{"noteId": a, "mod": got[0]["mod"]}, {}]


def test_delete_notes(api):
    ids = [api.call("addNote", note=basic(w)) for w in ("a", "b", "c")]
    assert api.call("deleteNotes", notes=ids[:2]) is None
    assert api.call("findNotes", query="") == [ids[2]]
    assert api.call("deleteNotes", notes=[]) is None
    assert api.call("deleteNotes", notes=[12345]) is None


def test_remove_empty_notes_keeps_note_types(api):
    keep = api.call("addNote", note=basic("keep"))
    gone = api.call("addNote", note=basic("gone", "x"))
    api.call("updateNoteFields", note={"id": gone, "fields": {"Front": " <br>", "Back": ""}})
    models_before = api.call("notesInfo", notes=[keep])[0]["modelName"]
    assert api.call("removeEmptyNotes") is None
    assert api.call("findNotes", query="") == [keep]
    assert api.call("notesInfo", notes=[keep])[0]["modelName"] == models_before


def test_version_4_bare_results(api):
    nid = api.request("addNote", version=4, note=basic("v4"))
    assert isinstance(nid, int)
    assert api.request("canAddNotes", version=4, notes=[basic("v4")]) == [False]
    assert api.request("addNote", version=4, note=basic("v4")) == {"result": None, "error": DUP}


# -- the GUI sees changes -----------------------------------------------------------------


def test_update_of_a_note_open_in_the_browser_editor_is_shown(api, anki):
    nid = api.call("addNote", note=basic("before", "back"))
    anki.driver(f"""
browser = aqt.dialogs.open("Browser", mw)
browser.search_for("nid:{nid}")
browser.table.select_all()
browser.on_all_or_selected_rows_changed()
result = True
""")
    assert anki.wait_for("b = aqt.dialogs._dialogs['Browser'][1]\n"
                         "result = b.editor.note is not None and b.editor.note.id == " + str(nid))
    api.call("updateNoteFields", note={"id": nid, "fields": {"Front": "after"}})
    try:
        assert anki.wait_for("b = aqt.dialogs._dialogs['Browser'][1]\n"
                             "result = b.editor.note.fields[0] == 'after'")
        # the editor saving its note now keeps the update
        anki.driver("b = aqt.dialogs._dialogs['Browser'][1]\n"
                    "b.editor.call_after_note_saved(lambda: None)")
        assert info(api, nid)["fields"]["Front"]["value"] == "after"
    finally:
        anki.driver("aqt.dialogs._dialogs['Browser'][1].close()")
        anki.wait_for("result = aqt.dialogs._dialogs['Browser'][1] is None")


# -- in bulk ---------------------------------------------------------------------------


def test_duplicate_query_uses_the_checksum_index(api, anki):
    # as in a real collection that Anki has analyzed (Check Database does;
    # an earlier test may have analyzed an empty one, where a scan is cheaper)
    api.call("addNotes", notes=[basic(f"word {i}", "b") for i in range(1000)])
    anki.driver("mw.col.db.execute('analyze')\nresult = True")
    plan = anki.driver("""
from importlib import import_module
nb = import_module(type(ac.connect).__module__.rsplit(".", 1)[0] + ".actions.note_builder")
result = [str(row) for row in mw.col.db.all("explain query plan " + nb.TWINS_SQL.format("(1,2,3)"))]
""")
    assert any("csum" in row for row in plan), plan


def test_bulk_add_check_and_read(api):
    first = api.call("addNotes", notes=[basic(f"word {i}", str(i)) for i in range(0, 2000, 2)])
    assert all(first)
    notes = [basic(f"word {i}", str(i)) for i in range(2000)]
    can = api.call("canAddNotes", notes=notes)
    assert can == [i % 2 == 1 for i in range(2000)]
    second = api.call("addNotes", notes=notes)
    assert [r is not None for r in second] == can
    ids = api.call("findNotes", query="")
    assert len(ids) == 2000
    infos = api.call("notesInfo", notes=ids)
    assert sorted(int(i["fields"]["Back"]["value"]) for i in infos) == list(range(2000))
    assert all(len(i["cards"]) == 1 and i["modelName"] == "Basic" for i in infos)
