"""Bad params for every action: wrong types, missing keys, ids that do not
exist, huge lists, NUL bytes and odd Unicode.

Every answer must be a JSON reply with a clear error (or a sensible result),
the server keeps serving, no Python exception escapes an action unforeseen
(the dispatcher logs those: the test listens to that log), and afterwards
Anki's Check Database finds nothing to fix.
"""
import atexit
import json
import os
import re
import shutil
import sys
import tempfile
import typing
from typing import Any, Dict, List


from dbcheck import check_database
from harness import REPO

#: Never run with values that bind: they quit Anki, switch profiles, sync,
#: open modal windows or write files outside the collection.
SKIP = {"guiExitAnki", "loadProfile", "sync", "guiImportFile", "guiCheckDatabase",
        "importPackage", "exportPackage", "guiUndo"}
#: Python's own wording, which must never reach a client.
LEAKS = re.compile(
    r"Traceback|File \"|KeyError|IndexError|TypeError|AttributeError|NoneType|"
    r"object has no attribute|unhashable|not subscriptable|has no len|"
    r"argument of type|unsupported operand|invalid literal|index out of range|"
    r"positional argument|^\w+: not found: '|^\w+: '[^']*'$|<built-in|<function|0x[0-9a-f]{6,}")

CAPTURE = """
import logging
class Capture(logging.Handler):
    def emit(self, record):
        if record.exc_info:
            self.records.append(self.format(record))
handler = Capture()
handler.records = []
handler.setFormatter(logging.Formatter("%(message)s"))
ac.host.log.addHandler(handler)
ac.host._fuzz_capture = handler
result = True
"""
RELEASE = """
handler = ac.host._fuzz_capture
ac.host.log.removeHandler(handler)
del ac.host._fuzz_capture
result = handler.records
"""


def action_specs():
    """The actions' parameter declarations, read from the add-on's code."""
    folder = tempfile.mkdtemp(prefix="ankiconnect-fuzz-")
    atexit.register(shutil.rmtree, folder, True)  # the package may import lazily till then
    os.symlink(REPO, os.path.join(folder, "ankiconnect"))
    sys.path.insert(0, folder)
    try:
        from ankiconnect.AnkiConnect import AnkiConnect
        from ankiconnect.util import ActionError, bind_params, collect_actions
    finally:
        sys.path.remove(folder)
    return collect_actions(AnkiConnect), bind_params, ActionError


# -- values --------------------------------------------------------------------------

WRONG_TYPES = [None, True, False, 0, -1, 1.5, 2 ** 64, "", "x", [], [None], {}, {"": None}]
ODD_STRINGS = ["", " ", "\x00", "a\x00b", "\u202e\u200b\ufeff", "\U0010ffff", "💥", "🂡" * 1000,
               "x" * 100_000, "::", "::a::", "a::", "\\", "'", '"', "%", "*", "_", "(", ")",
               "deck:*", "re:(", "nc:", "tag:", "\n", "\u0301", "Fuzz deck", "Fuzz type", "Front",
               "Card 1", "fuzz", "due", "factor", "flags"]


def odd_ints(ids):
    return [0, -1, 1, 2 ** 31, 2 ** 53 + 1, 2 ** 63 - 1, -(2 ** 63), 2 ** 63, 2 ** 64,
            1.0, ids["note"], ids["card"], ids["model"], 1, 2500, 99]


def odd_objects(ids):
    nid, cid = ids["note"], ids["card"]
    deep: Any = {}
    for _ in range(200):
        deep = {"a": deep}
    note = {"deckName": "Fuzz deck", "modelName": "Fuzz type"}
    return [
        {}, {"": None}, {"\x00": "\x00"}, deep,
        {"id": nid}, {"id": 2 ** 63}, {"id": "1"}, {"id": nid, "fields": None},
        {"id": nid, "fields": {"Front": "\ufffe"}}, {"id": nid, "fields": {"Nope": "x"}},
        {"id": nid, "fields": {"Front": ["x"]}}, {"id": nid, "tags": [1]},
        {"id": nid, "modelName": "Cloze", "fields": {"Text": "x"}},
        dict(note, fields={"Front": "\x00"}), dict(note, fields={"Front": "\U0001F600\u0301"}),
        dict(note, fields={"front": "a", "FRONT": "b"}), dict(note, fields={"Front": None}),
        dict(note, fields={"Front": "x"}, tags="a\x00b"),
        dict(note, fields={"Front": "y"}, options={"duplicateScope": "deck",
                                                  "duplicateScopeOptions": {"deckName": 5}}),
        dict(note, fields={"Front": "z"}, picture=[{"data": "!!", "filename": "x.png"}]),
        dict(note, fields={"Front": "w"}, audio={"path": "/dev/zero", "filename": "z.mp3"}),
        dict(note, fields={"Front": "v"}, audio={"url": "http://169.254.169.254/", "filename": "m.mp3"}),
        {"cardId": cid, "ease": 0}, {"cardId": cid, "ease": 9}, {"cardId": 2 ** 63, "ease": 3},
        {"cardId": cid, "ease": "3"}, {"search": "\x00", "limit": -1, "order": 99},
        {"name": "\x00", "id": 1}, {"name": "Fuzz type", "templates": {"Card 1": {"Front": None}}},
        {"name": "Fuzz type", "templates": {"Nope": {"Front": "x"}}}, {"name": "Fuzz type", "css": 5},
        {"name": "Fuzz type", "templates": {"Card 1": {"Front": "", "Back": "{{#Front}}"}}},
        {"id": 1, "name": "Default", "new": {"perDay": -5}}, {"id": 2 ** 40, "name": "x"},
        {"Name": "\x00", "Front": "{{", "Back": "}}"}, {"Front": "x"},
    ]


def validated(hint: Any) -> Any:
    """The type validation checks: an Annotated hint's base type (its shape
    is for the JSON Schema only)."""
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return hint


def fuzz_values(hint: Any, ids: Dict[str, int]) -> List[Any]:
    """Values of the right type that are odd, for one parameter."""
    hint = validated(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        out: List[Any] = []
        for option in args:
            out += fuzz_values(option, ids)
        return out
    if origin is typing.Literal:
        return ["", "UPLOAD", "x"]
    if hint is int:
        return odd_ints(ids)
    if hint is str:
        return ODD_STRINGS
    if hint is float:
        return [0, -1, 1e308, -1e308, 2 ** 70]
    if origin in (list, List):
        item = validated(args[0]) if args else Any
        singles = fuzz_values(item, ids)
        out = [[], [v for v in singles[:20]], singles[-3:] * 2]
        if item is int:
            out += [list(range(1, 20_001)), [ids["card"]] * 3, [ids["note"], 2 ** 63]]
        if item is str:
            out += [["a"] * 5000]
        if typing.get_origin(item) in (list, List):
            out += [[[ids["card"], 0, 0, 0, 0, 0, 0, 0, 0]], [[1] * 20], [[]]]
        if typing.get_origin(item) in (dict, Dict):
            out += [[{}] * 2000]
        return out
    if origin in (dict, Dict):
        return odd_objects(ids)
    return [None, 0, "", [], {}]


def base_value(hint: Any) -> Any:
    """A value of the declared type that names nothing real."""
    hint = validated(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        return base_value(args[0])
    if origin is typing.Literal:
        return args[0]
    if hint is int:
        return 1234567890123
    if hint is str:
        return "fuzz"
    if hint is bool:
        return False
    if hint is float:
        return 1.0
    if origin in (list, List):
        return []
    if origin in (dict, Dict):
        return {}
    return None


#: For the second round: parameters that name something that exists.
REAL_STRINGS = {"deck": "Fuzz deck", "decks": "Fuzz deck", "deckName": "Fuzz deck",
                "modelName": "Fuzz type", "modelNames": "Fuzz type", "fieldName": "Front",
                "oldFieldName": "Front", "templateName": "Card 1", "oldTemplateName": "Card 1",
                "keys": "due", "tag_to_replace": "fuzz", "tags": "fuzz"}
REAL_IDS = {"card": "card", "cards": "card", "note": "note", "notes": "note",
            "modelId": "model", "modelIds": "model", "deckId": "deck", "configId": "deck",
            "startID": "deck"}


def real_value(p, ids):
    """A value of the declared type naming something that exists, if the
    parameter's name says what it names; else the base value."""
    value = base_value(p.hint)
    origin = typing.get_origin(p.hint)
    args = typing.get_args(p.hint)
    if origin is typing.Union and type(None) in args:
        value = base_value(args[0])
    if isinstance(value, int) and not isinstance(value, bool) and p.name in REAL_IDS:
        return ids[REAL_IDS[p.name]]
    if isinstance(value, str) and p.name in REAL_STRINGS:
        return REAL_STRINGS[p.name]
    if isinstance(value, list) and p.name in REAL_IDS:
        return [ids[REAL_IDS[p.name]]]
    if isinstance(value, list) and p.name in REAL_STRINGS:
        return [REAL_STRINGS[p.name]]
    if isinstance(value, list) and p.name == "newValues":
        return ["1"]
    return value


def cases(spec, ids):
    """Params for one action: each missing required one, then each param in
    turn replaced by wrong types and odd values, with the other params first
    naming nothing that exists, then naming things that do."""
    base = {p.name: base_value(p.hint) for p in spec.params.values() if p.required}
    real = {p.name: real_value(p, ids) for p in spec.params.values()
            if p.required or p.name in REAL_IDS or p.name in REAL_STRINGS}
    out = []
    for p in spec.params.values():
        if p.required:
            out.append({k: v for k, v in base.items() if k != p.name})
    out.append(dict(base, unknownParameter=1))
    for p in spec.params.values():
        for value in WRONG_TYPES + fuzz_values(p.hint, ids):
            out.append(dict(base, **{p.name: value}))
    if real != base:
        for p in spec.params.values():
            for value in fuzz_values(p.hint, ids):
                out.append(dict(real, **{p.name: value}))
    return out


# -- the test ------------------------------------------------------------------------


def server_of(request, api):
    return request.getfixturevalue("headless" if api.host_kind == "headless" else "anki")


def test_every_action_answers_bad_params_clearly(request, api):
    specs, bind_params, ActionError = action_specs()
    server = server_of(request, api)
    offered = set(api.call("apiReflect", scopes=["actions"])["actions"])
    assert offered <= set(specs)
    # a note type of its own: the fuzz changes it (the stock ones stay as they are)
    model = api.call("createModel", modelName="Fuzz type", inOrderFields=["Front", "Back"],
                     cardTemplates=[{"Name": "Card 1", "Front": "{{Front}}", "Back": "{{Back}}"}])
    # and a deck of its own: Anki counts the cards studied today per deck
    deck = api.call("createDeck", deck="Fuzz deck")
    nid = api.call("addNote", note={"deckName": "Fuzz deck", "modelName": "Fuzz type",
                                    "fields": {"Front": "fuzz seed", "Back": "b"}, "tags": ["fuzz"]})
    cid = api.call("findCards", query=f"nid:{nid}")[0]
    api.call("answerCards", answers=[{"cardId": cid, "ease": 3}])
    ids = {"note": nid, "card": cid, "model": model["id"], "deck": deck}
    media_before = set(api.call("getMediaFilesNames", pattern="*"))
    server.driver(CAPTURE)
    problems = []
    try:
        for name in sorted(offered):
            spec = specs[name]
            batch = []
            for params in cases(spec, ids):
                try:
                    bind_params(spec, params)
                    binds = True
                except ActionError:
                    binds = False
                if binds and (name in SKIP or spec.gui):
                    continue
                batch.append((params, binds))
            body = {"action": "multi", "version": 6, "params": {"actions": [
                {"action": name, "version": 6, "params": p} for p, _ in batch]}}
            status, _, data = api.raw(json.dumps(body))
            assert status == 200, (name, data[:300])
            replies = json.loads(data)
            assert replies["error"] is None, (name, replies["error"])
            for (params, binds), reply in zip(batch, replies["result"]):
                problem = judge(name, params, binds, reply)
                if problem:
                    problems.append(problem)
            assert isinstance(api.call("deckNames"), list)  # still serving, main thread too
    finally:
        logged = server.driver(RELEASE)
        for name in set(api.call("getMediaFilesNames", pattern="*")) - media_before:
            api.call("deleteMediaFile", filename=name)
    failures = [r.splitlines()[0] + " | " + r.splitlines()[-1] for r in logged]
    assert not failures, "unforeseen exceptions:\n" + "\n".join(sorted(set(failures)))
    assert not problems, "unclear answers:\n" + "\n".join(problems[:60])
    assert check_database(server, api.host_kind == "gui") == []


def judge(name, params, binds, reply):
    shown = json.dumps(params)[:200]
    if not isinstance(reply, dict) or set(reply) != {"result", "error"}:
        return f"{name} {shown}: not a v6 reply: {str(reply)[:200]}"
    error = reply["error"]
    if error is None:
        if not binds:
            return f"{name} {shown}: accepted params the signature refuses"
        return None
    if not isinstance(error, str) or not error.strip():
        return f"{name} {shown}: empty error {error!r}"
    if not binds and name not in error:
        return f"{name} {shown}: a parameter error that does not name the action: {error[:200]}"
    if LEAKS.search(error):
        return f"{name} {shown}: Python's wording leaked: {error[:300]}"
    return None


def test_unpaired_surrogates_are_refused_as_invalid_json(api):
    """JSON may escape half of a UTF-16 pair ("\\ud800"); no Anki string can
    hold it, so such a request is refused whole, before anything runs."""
    for text in ('"\\ud800"', '"a\\udfffb"', '"\\uDBFF"'):
        for body in (
            '{"action": "createDeck", "version": 6, "params": {"deck": %s}}' % text,
            '{"action": "addNote", "version": 6, "params": {"note": {"deckName": "Default", '
            '"modelName": "Basic", "fields": {"Front": %s}}}}' % text,
            '{"action": "multi", "version": 6, "params": {"actions": [{"action": "createDeck", '
            '"params": {"deck": "fine"}}, {"action": "createDeck", "params": {"deck": %s}}]}}' % text,
            '{"action": "findNotes", "version": 6, "params": {%s: "x"}}' % text,
        ):
            status, _, data = api.raw(body)
            reply = json.loads(data)
            assert status == 200 and reply["result"] is None, data
            assert "not valid JSON" in reply["error"] and "surrogate" in reply["error"]
    assert api.call("deckNames") == ["Default"] and api.call("findNotes", query="") == []
    # proper pairs are characters like any other
    assert api.call("createDeck", deck="\U0001F600") and "\U0001F600" in api.call("deckNames")
    status, _, data = api.raw('{"action": "findNotes", "version": 6, "params": {"query": "\\ud83d\\ude00"}}')
    assert json.loads(data) == {"result": [], "error": None}


# -- a failed write changes nothing; a batch isolates each failed item --------------------


def snapshot(api):
    """Everything a write could change, as clients see it."""
    notes = api.call("findNotes", query="")
    cards = api.call("findCards", query="")
    return {
        "notes": api.call("notesInfo", notes=notes),
        "cards": api.call("cardsInfo", cards=cards),
        "decks": api.call("deckNamesAndIds"),
        "models": {n: api.call("modelTemplates", modelName=n)
                   for n in api.call("modelNames")},
        "fields": {n: api.call("modelFieldNames", modelName=n) for n in api.call("modelNames")},
        "config": api.call("getDeckConfig", deck="Default"),
        "media": api.call("getMediaFilesNames"),
        "tags": api.call("getTags"),
        "reviews": api.call("getReviewsOfCards", cards=cards),
    }


B64 = "SGVsbG8="


def test_failed_writes_change_nothing(api):
    api.call("createModel", modelName="Atomic", inOrderFields=["Front", "Back"],
             cardTemplates=[{"Name": "Card 1", "Front": "{{Front}}", "Back": "{{Back}}"}])
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Atomic",
                                    "fields": {"Front": "atomic", "Back": "b"}, "tags": ["t"]})
    cid = api.call("findCards", query=f"nid:{nid}")[0]
    api.call("createDeck", deck="Keep")
    before = snapshot(api)
    good_media = {"data": B64, "filename": "_good.txt", "fields": ["Front"]}
    failing = [
        ("addNote", {"note": {"deckName": "Default", "modelName": "Atomic",
                              "fields": {"Front": "new", "Back": "b"},
                              "audio": [good_media, {"data": "!!", "filename": "_bad.mp3"}]}}),
        ("addNote", {"note": {"deckName": "New deck?", "modelName": "Atomic",
                              "fields": {"Front": "new"}, "picture": good_media}}),
        ("updateNoteFields", {"note": {"id": nid, "fields": {"Front": "changed", "Back": [1]}}}),
        ("updateNoteFields", {"note": {"id": nid, "fields": {"Front": "changed"},
                                       "audio": [good_media, {"data": "!!", "filename": "_b.mp3"}]}}),
        ("updateNote", {"note": {"id": nid, "fields": {"Front": "changed"}, "tags": [1]}}),
        ("updateNoteModel", {"note": {"id": nid, "modelName": "Basic (and reversed card)",
                                      "fields": {"Nope": "x", "back": {"not": "text"}}}}),
        ("deleteDecks", {"decks": ["Keep", "No such deck"], "cardsToo": True}),
        ("suspend", {"cards": [cid, 123]}),
        ("unsuspend", {"cards": [cid, 123]}),
        ("answerCards", {"answers": [{"cardId": cid, "ease": 3}, {"cardId": cid, "ease": 9}]}),
        ("insertReviews", {"reviews": [[1594194095746, cid, -1, 3, 4, -60, 2500, 6157, 0],
                                       [1594194095747, cid, -1, 3, 4, -60, 2500, -1, 0]]}),
        ("createModel", {"modelName": "Half", "inOrderFields": ["A"], "cardTemplates": [
            {"Name": "One", "Front": "{{A}}", "Back": "x"}, {"Name": "Two", "Front": "no field",
                                                           "Back": "x"}]}),
        ("updateModelTemplates", {"model": {"name": "Atomic", "templates": {
            "Card 1": {"Front": "{{Back}} changed"}, "Nope": {"Front": "x"}}}}),
        ("modelTemplateAdd", {"modelName": "Atomic", "template": {
            "Name": "Card 2", "Front": "no field here", "Back": "x"}}),
        ("modelFieldRename", {"modelName": "Atomic", "oldFieldName": "Front",
                              "newFieldName": "Back"}),
        ("createFilteredDeck", {"name": "Filtered", "searchTerms": [
            {"search": "deck:Default"}, {"search": "x", "order": 999}]}),
        ("replaceTags", {"notes": [nid], "tag_to_replace": "t", "replace_with_tag": "two tags"}),
        ("saveDeckConfig", {"config": {"id": 1, "name": "Default", "new": {"perDay": "many"}}}),
        ("storeMediaFile", {"filename": "_x.txt", "data": B64, "path": "/etc/hostname"}),
    ]
    for action, params in failing:
        reply = api.request(action, **params)
        assert reply["error"], (action, reply)
        assert not LEAKS.search(reply["error"]), (action, reply["error"])
        assert snapshot(api) == before, (action, reply["error"])


def test_add_notes_isolates_each_failed_note(api, tmp_path):
    """Each note of addNotes is added with all of its media, or not at all;
    the others are added.  canAddNotesWithErrorDetail says why."""
    media = api.call("getMediaDirPath")
    media_before = set(api.call("getMediaFilesNames"))
    os.symlink(tmp_path / "outside.txt", os.path.join(media, "_out.mp3"))
    try:
        def note(front, *media):
            return {"deckName": "Default", "modelName": "Basic", "fields": {"Front": front},
                    "audio": [{"data": B64, "filename": f"_{front}_{i}.mp3", "fields": ["Back"]}
                              if m is None else m for i, m in enumerate(media)]}

        notes = [
            note("one", None),
            note("two", None, {"data": "!!not base64", "filename": "_two_bad.mp3"}),
            note("three", None, None),
            note("four", None, {"data": B64, "filename": "_out.mp3"}),
            note("five", None, {"data": B64, "filename": "../five.mp3"}),
            {"deckName": "Default", "modelName": "Basic", "fields": {"Nope": "x"}},  # skipped: empty
        ]
        result = api.call("addNotes", notes=notes)
        assert [r is not None for r in result] == [True, False, True, False, False, False]
        infos = api.call("notesInfo", notes=[result[0], result[2]])
        assert infos[1]["fields"]["Back"]["value"] == "[sound:_three_0.mp3][sound:_three_1.mp3]"
        assert sorted(set(api.call("getMediaFilesNames")) - media_before) == [
            "_one_0.mp3", "_three_0.mp3", "_three_1.mp3"]
        assert not (tmp_path / "outside.txt").exists()
        details = api.call("canAddNotesWithErrorDetail", notes=notes[4:])
        assert [d["canAdd"] for d in details] == [False, False]
        assert "not allowed" in details[0]["error"]
        assert details[1]["error"] == "cannot create note because it is empty"
        reply = api.request("addNote", note=notes[1])
        assert "base64" in reply["error"]
    finally:
        os.unlink(os.path.join(media, "_out.mp3"))
        for name in ("_one_0.mp3", "_three_0.mp3", "_three_1.mp3"):
            api.call("deleteMediaFile", filename=name)
