"""Ids that are no notes, as the reference answers them: its own error text
`Note was not found: <id>` where it fails, and the same quiet answers where
it does not.  (Card ids: tests/test_cards.py.)"""


def basic(front, tags=()):
    return {"deckName": "Default", "modelName": "Basic",
            "fields": {"Front": front, "Back": "b"}, "tags": list(tags)}


def error_of(api, action, **params):
    reply = api.request(action, **params)
    assert reply["result"] is None and reply["error"], reply
    return reply["error"]


def test_unknown_note_ids_fail_in_the_references_words(api):
    nid = api.call("addNote", note=basic("kept", tags=["t"]))
    before = api.call("notesInfo", notes=[nid])
    for action, params in (
        ("updateNoteFields", {"note": {"id": 123, "fields": {"Front": "x"}}}),
        ("updateNote", {"note": {"id": 123, "fields": {"Front": "x"}}}),
        ("updateNote", {"note": {"id": 123, "tags": ["x"]}}),
        ("updateNoteModel", {"note": {"id": 123, "modelName": "Basic", "fields": {}}}),
        ("updateNoteTags", {"note": 123, "tags": ["x"]}),
        ("getNoteTags", {"note": 123}),
    ):
        assert error_of(api, action, **params) == "Note was not found: 123", action
    assert api.call("notesInfo", notes=[nid]) == before


def test_unknown_note_ids_are_answered_or_skipped_quietly(api):
    nid = api.call("addNote", note=basic("kept", tags=["t"]))
    assert api.call("notesInfo", notes=[123, nid])[0] == {}
    assert api.call("notesModTime", notes=[123]) == [{}]
    assert api.call("addTags", notes=[123, nid], tags="added") is None
    assert api.call("removeTags", notes=[123, nid], tags="t") is None
    assert api.call("replaceTags", notes=[123, nid], tag_to_replace="added",
                    replace_with_tag="replaced") is None
    assert api.call("getNoteTags", note=nid) == ["replaced"]
    assert api.call("deleteNotes", notes=[123]) is None
    assert api.call("findNotes", query="") == [nid]
