# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every `Example:` of every action's docstring is checked twice: its params
and result against the action's schemas, and its params against real Anki.

The examples name notes, cards and files of the reference's own collection,
so on ours they may well fail; what they must not do is fail as a bad
request or as an unforeseen error, and whatever succeeds must match the
result schema."""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from jsonschema import Draft202012Validator

from anki_helpers import gui  # noqa: F401 (fixture)
from harness import load_addon_package
from test_gui_add import press_add, wait_for_window

PACKAGE = load_addon_package()
SPECS = sys.modules[PACKAGE + ".util"].collect_actions(
    sys.modules[PACKAGE + ".AnkiConnect"].AnkiConnect)
SCHEMAS = {name: sys.modules[PACKAGE + ".schema"].action_schemas(spec)
           for name, spec in SPECS.items()}
EXAMPLES = [(name, i, params, result)
            for name, spec in sorted(SPECS.items())
            for i, (params, result) in enumerate(spec.examples)]

#: examples not sent to the test's Anki: they end it, switch or sync its
#: profile, or reach files and URLs outside the test's collection
NOT_RUN = {"guiExitAnki", "loadProfile", "sync", "exportPackage", "importPackage",
           "guiImportFile"}
#: params that reach outside the collection (a path or URL of this machine)
OUTSIDE = ("path", "url")
#: codes an example may meet on a collection that is not the reference's
EXPECTED_CODES = {"not_found", "duplicate", "empty_note", "failed", "some_items_failed"}


def example_id(example):
    name, i, _, _ = example
    return f"{name}-{i + 1}"


def schema_errors(schema, value):
    errors = sorted(Draft202012Validator(schema).iter_errors(value),
                    key=lambda e: list(e.absolute_path))
    return [f"{e.message} at {list(e.absolute_path)}" for e in errors]


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_example_matches_the_schemas(example):
    name, _, params, result = example
    assert not schema_errors(SCHEMAS[name]["params"], params), name
    assert not schema_errors(SCHEMAS[name]["result"], result), name


def reaches_outside(params):
    text = json.dumps(params)
    return any(f'"{key}":' in text for key in OUTSIDE)


SEED = """
from anki.notes import Note
deck_id = col.decks.id("Japanese::JLPT N3")
basic = col.models.by_name("Basic")
for front, back in (("front content", "back content"), ("猫", "cat")):
    note = Note(col, basic)
    note["Front"], note["Back"] = front, back
    note.tags = ["marked"]
    col.add_note(note, deck_id)
result = True
"""


@pytest.mark.gui
@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_example_runs_on_real_anki(example, gui, anki):
    name, _, params, _ = example
    if name in NOT_RUN or reaches_outside(params):
        pytest.skip("reaches outside the test's collection")
    anki.driver("col = mw.col\n" + SEED)
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(gui.raw, params, path=f"/actions/{name}")
        note = params.get("note") if isinstance(params.get("note"), dict) else {}
        if note.get("options", {}).get("waitForAdding"):  # the user presses Add
            wait_for_window(anki, note["fields"]["Front"])
            press_add(anki)
        status, _, body = sent.result(timeout=60)
    # Anki checks the database in the background; the next test must not
    # reach the collection while it runs
    anki.wait_for("result = not mw.progress.busy()", timeout=60)
    reply = json.loads(body)
    if status == 200 and reply["error"] is None:
        assert not schema_errors(SCHEMAS[name]["result"], reply["result"]), reply
        return
    detail = reply.get("errorDetail") or {}
    assert detail.get("code") in EXPECTED_CODES, (status, reply)
    assert gui.call("version") == 6
