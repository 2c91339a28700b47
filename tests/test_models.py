"""Model (note type) actions against real Anki."""
import json

import pytest

from harness import ApiError

BASIC_CSS_START = ".card {"


def add_note(anki, model, fields, deck="Default"):
    """Add a note straight through Anki; returns (note id, card ids)."""
    return anki.driver(f"""
import json
col = mw.col
n = col.new_note(col.models.by_name({model!r}))
for k, v in json.loads({json.dumps(json.dumps(fields))}).items():
    n[k] = v
col.add_note(n, col.decks.id({deck!r}))
result = [n.id, [c.id for c in n.cards()]]
""")


def note_fields(anki, nid):
    return anki.driver(f"result = dict(mw.col.get_note({nid}).items())")


def card_ords(anki, nid):
    return anki.driver(f"result = sorted(c.ord for c in mw.col.get_note({nid}).cards())")


def undo_name(anki):
    return anki.driver("result = mw.col.undo_status().undo")


def error_of(api, action, **params):
    with pytest.raises(ApiError) as e:
        api.call(action, **params)
    return str(e.value)


def make_model(api, name="Custom", fields=("Question", "Answer"), templates=None, **extra):
    templates = templates or [{"Name": "Card 1", "Front": "{{Question}}",
                               "Back": "{{FrontSide}}<hr id=answer>{{Answer}}"}]
    return api.call("createModel", modelName=name, inOrderFields=list(fields),
                    cardTemplates=templates, **extra)


# -- reading ----------------------------------------------------------------------


def test_model_names_and_ids(api):
    names = api.call("modelNames")
    assert {"Basic", "Basic (and reversed card)", "Cloze"} <= set(names)
    ids = api.call("modelNamesAndIds")
    assert set(ids) == set(names) and all(isinstance(v, int) for v in ids.values())
    assert api.call("modelNameFromId", modelId=ids["Cloze"]) == "Cloze"
    assert error_of(api, "modelNameFromId", modelId=7) == "model was not found: 7"


def test_find_models_by_id_and_name(api):
    ids = api.call("modelNamesAndIds")
    by_id = api.call("findModelsById", modelIds=[ids["Basic"], ids["Cloze"]])
    by_name = api.call("findModelsByName", modelNames=["Basic", "Cloze"])
    assert by_id == by_name
    basic, cloze = by_id
    assert basic["id"] == ids["Basic"] and basic["name"] == "Basic" and basic["type"] == 0
    assert [f["name"] for f in basic["flds"]] == ["Front", "Back"]
    assert [t["name"] for t in basic["tmpls"]] == ["Card 1"]
    assert basic["css"].startswith(BASIC_CSS_START)
    assert cloze["type"] == 1
    assert error_of(api, "findModelsById", modelIds=[ids["Basic"], 5]) == "model was not found: 5"
    assert error_of(api, "findModelsByName", modelNames=["Foo"]) == "model was not found: Foo"


def test_model_field_names_descriptions_fonts(api):
    assert api.call("modelFieldNames", modelName="Basic") == ["Front", "Back"]
    assert api.call("modelFieldDescriptions", modelName="Basic") == ["", ""]
    fonts = api.call("modelFieldFonts", modelName="Basic")
    assert list(fonts) == ["Front", "Back"]
    assert fonts["Front"] == {"font": "Arial", "size": 20}
    for action in ("modelFieldNames", "modelFieldDescriptions", "modelFieldFonts",
                   "modelFieldsOnTemplates", "modelTemplates", "modelStyling"):
        assert error_of(api, action, modelName="Foo") == "model was not found: Foo"


def test_model_fields_on_templates_sample(api):
    assert api.call("modelFieldsOnTemplates", modelName="Basic (and reversed card)") == {
        "Card 1": [["Front"], ["Back"]],
        "Card 2": [["Back"], ["Front"]],
    }
    assert api.call("modelFieldsOnTemplates", modelName="Cloze") == {
        "Cloze": [["Text"], ["Back Extra"]]}


def test_model_fields_on_templates_skips_conditionals_and_specials(api):
    make_model(api, fields=("A", "B", "C"), templates=[{
        "Front": "{{#B}}shown when B{{/B}} {{A}} {{Tags}} {{type:C}}",
        "Back": "{{FrontSide}} {{A}} {{text:B}} {{^C}}x{{/C}}"}])
    assert api.call("modelFieldsOnTemplates", modelName="Custom") == {
        "Card 1": [["A", "C"], ["B"]]}


def test_model_templates_and_styling_sample(api):
    templates = api.call("modelTemplates", modelName="Basic (and reversed card)")
    assert list(templates) == ["Card 1", "Card 2"]
    assert templates["Card 1"]["Front"] == "{{Front}}"
    assert templates["Card 2"]["Front"] == "{{Back}}"
    assert "{{FrontSide}}" in templates["Card 1"]["Back"] and "{{Back}}" in templates["Card 1"]["Back"]
    styling = api.call("modelStyling", modelName="Basic (and reversed card)")
    assert list(styling) == ["css"] and styling["css"].startswith(BASIC_CSS_START)


# -- createModel -----------------------------------------------------------------------


def test_create_model_sample(api):
    model = api.call("createModel", modelName="newModelName",
                     inOrderFields=["Field1", "Field2", "Field3"],
                     css="Optional CSS with default to builtin css",
                     cardTemplates=[{"Name": "My Card 1", "Front": "Front html {{Field1}}",
                                     "Back": "Back html  {{Field2}}"}])
    assert model["name"] == "newModelName" and model["type"] == 0
    assert [f["name"] for f in model["flds"]] == ["Field1", "Field2", "Field3"]
    assert [f["ord"] for f in model["flds"]] == [0, 1, 2]
    assert model["tmpls"][0]["name"] == "My Card 1"
    assert model["tmpls"][0]["qfmt"] == "Front html {{Field1}}"
    assert model["tmpls"][0]["afmt"] == "Back html  {{Field2}}"
    assert model["css"] == "Optional CSS with default to builtin css"
    for key in ("id", "sortf", "latexPre", "latexPost", "mod", "usn", "req"):
        assert key in model
    assert api.call("modelNamesAndIds")["newModelName"] == model["id"]
    assert api.call("findModelsById", modelIds=[model["id"]]) == [model]
    assert api.call("modelFieldNames", modelName="newModelName") == ["Field1", "Field2", "Field3"]


def test_create_model_defaults(api):
    model = api.call("createModel", modelName="Plain", inOrderFields=["A", "B"], cardTemplates=[
        {"Front": "{{A}}", "Back": "{{B}}"}, {"Front": "{{B}}", "Back": "{{A}}"}])
    assert [t["name"] for t in model["tmpls"]] == ["Card 1", "Card 2"]
    assert model["css"] == api.call("modelStyling", modelName="Basic")["css"]


def test_create_cloze_model(anki, api):
    model = make_model(api, name="MyCloze", fields=("Text", "Extra"), isCloze=True, templates=[
        {"Front": "{{cloze:Text}}", "Back": "{{cloze:Text}}<br>{{Extra}}"}])
    assert model["type"] == 1
    assert ".cloze" in model["css"]  # Anki's cloze styling
    nid, cids = add_note(anki, "MyCloze", {"Text": "{{c1::a}} {{c2::b}}"})
    assert len(cids) == 2


def test_create_model_errors(api):
    make_model(api, name="Taken")
    assert error_of(api, "createModel", modelName="Taken", inOrderFields=["A"],
                    cardTemplates=[{"Front": "{{A}}", "Back": ""}]) == "Model name already exists: Taken"
    assert "inOrderFields" in error_of(api, "createModel", modelName="N", inOrderFields=[],
                                       cardTemplates=[{"Front": "{{A}}", "Back": ""}])
    assert "cardTemplates" in error_of(api, "createModel", modelName="N", inOrderFields=["A"],
                                       cardTemplates=[])
    assert "cloze" in error_of(api, "createModel", modelName="N", inOrderFields=["A"], isCloze=True,
                               cardTemplates=[{"Front": "{{cloze:A}}", "Back": ""}] * 2)
    message = error_of(api, "createModel", modelName="N", inOrderFields=["A"],
                       cardTemplates=[{"Front": "{{A}}"}])
    assert message == "createModel: cardTemplates[0] needs 'Back'"
    assert "field already exists" in error_of(api, "createModel", modelName="N", inOrderFields=["A", "a"],
                                              cardTemplates=[{"Front": "{{A}}", "Back": ""}])
    message = error_of(api, "createModel", modelName="N", inOrderFields="A",
                       cardTemplates=[{"Front": "{{A}}", "Back": ""}])
    assert message.startswith("createModel: parameter 'inOrderFields' must be an array")
    assert "N" not in api.call("modelNames")


# -- templates and styling -----------------------------------------------------------------


def test_update_model_templates_changes_only_given_sides(api):
    make_model(api, templates=[
        {"Name": "Card 1", "Front": "{{Question}}", "Back": "{{Answer}}"},
        {"Name": "Card 2", "Front": "{{Answer}}", "Back": "{{Question}}"}])
    assert api.call("updateModelTemplates", model={"name": "Custom", "templates": {
        "Card 1": {"Front": "{{Question}}?"}}}) is None
    assert api.call("modelTemplates", modelName="Custom") == {
        "Card 1": {"Front": "{{Question}}?", "Back": "{{Answer}}"},
        "Card 2": {"Front": "{{Answer}}", "Back": "{{Question}}"}}
    api.call("updateModelTemplates", model={"name": "Custom", "templates": {
        "Card 1": {"Front": "{{Question}}?", "Back": "{{Answer}}!"}}})
    assert api.call("modelTemplates", modelName="Custom")["Card 1"]["Back"] == "{{Answer}}!"


def test_update_model_templates_errors(api):
    make_model(api)
    assert error_of(api, "updateModelTemplates", model={"name": "Foo", "templates": {}}) == \
        "model was not found: Foo"
    assert error_of(api, "updateModelTemplates", model={"name": "Custom", "templates": {
        "Card 9": {"Front": "x"}}}) == "template was not found in Custom: Card 9"
    assert "unknown key 'front'" in error_of(api, "updateModelTemplates", model={
        "name": "Custom", "templates": {"Card 1": {"front": "x"}}})


def test_update_model_styling(api):
    make_model(api)
    assert api.call("updateModelStyling", model={"name": "Custom", "css": "p { color: blue; }"}) is None
    assert api.call("modelStyling", modelName="Custom") == {"css": "p { color: blue; }"}
    assert "model.css" in error_of(api, "updateModelStyling", model={"name": "Custom"})


def test_find_and_replace_in_models(api):
    # a token no stock note type contains, so "every note type" touches only ours
    make_model(api, name="One", templates=[{"Front": "{{Question}} zqred", "Back": "zqred {{Answer}}"}],
               css=".card { color: zqred; }")
    make_model(api, name="Two", templates=[{"Front": "{{Question}}", "Back": "zqred"}], css="")
    count = api.call("findAndReplaceInModels", model={
        "modelName": "One", "findText": "zqred", "replaceText": "zqblue",
        "front": True, "back": False, "css": True})
    assert count == 1
    assert api.call("modelTemplates", modelName="One")["Card 1"] == {
        "Front": "{{Question}} zqblue", "Back": "zqred {{Answer}}"}
    assert api.call("modelStyling", modelName="One")["css"] == ".card { color: zqblue; }"
    # every note type, flat params
    assert api.call("findAndReplaceInModels", modelName="", findText="zqred", replaceText="zqgreen") == 2
    assert api.call("modelTemplates", modelName="One")["Card 1"]["Back"] == "zqgreen {{Answer}}"
    assert api.call("modelTemplates", modelName="Two")["Card 1"]["Back"] == "zqgreen"
    assert api.call("findAndReplaceInModels", modelName="", findText="zqnothing", replaceText="x") == 0
    assert "findText" in error_of(api, "findAndReplaceInModels", modelName="One", findText="", replaceText="x")
    assert error_of(api, "findAndReplaceInModels", model={
        "modelName": "Foo", "findText": "a", "replaceText": "b"}) == "model was not found: Foo"


def test_model_template_add_generates_cards(anki, api):
    make_model(api)
    nid, cids = add_note(anki, "Custom", {"Question": "q", "Answer": "a"})
    assert api.call("modelTemplateAdd", modelName="Custom", template={
        "Name": "Reverse", "Front": "{{Answer}}", "Back": "{{Question}}"}) is None
    assert api.call("modelTemplates", modelName="Custom")["Reverse"] == {
        "Front": "{{Answer}}", "Back": "{{Question}}"}
    assert card_ords(anki, nid) == [0, 1]


def test_model_template_add_existing_name_is_an_error(api):
    make_model(api)
    message = error_of(api, "modelTemplateAdd", modelName="Custom", template={
        "Name": "Card 1", "Front": "{{Answer}}", "Back": "x"})
    assert "template already exists" in message and "Card 1" in message
    assert list(api.call("modelTemplates", modelName="Custom")) == ["Card 1"]
    assert "needs 'Name'" in error_of(api, "modelTemplateAdd", modelName="Custom",
                                       template={"Front": "{{Answer}}", "Back": "x"})
    assert "cloze" in error_of(api, "modelTemplateAdd", modelName="Cloze",
                               template={"Name": "Two", "Front": "{{cloze:Text}}", "Back": "x"})


def test_model_template_rename_reposition_remove(anki, api):
    make_model(api, templates=[
        {"Name": "Card 1", "Front": "{{Question}}", "Back": "{{Answer}}"},
        {"Name": "Card 2", "Front": "{{Answer}}", "Back": "{{Question}}"}])
    nid, cids = add_note(anki, "Custom", {"Question": "q", "Answer": "a"})
    assert api.call("modelTemplateRename", modelName="Custom", oldTemplateName="Card 2",
                    newTemplateName="Reverse") is None
    assert list(api.call("modelTemplates", modelName="Custom")) == ["Card 1", "Reverse"]
    assert api.call("modelTemplateReposition", modelName="Custom", templateName="Reverse",
                    index=0) is None
    assert list(api.call("modelTemplates", modelName="Custom")) == ["Reverse", "Card 1"]
    # the note's cards follow their templates
    reverse_card = anki.driver(f"result = [c.id for c in mw.col.get_note({nid}).cards() if c.template()['name'] == 'Reverse']")
    assert reverse_card == [cids[1]]
    assert api.call("modelTemplateRemove", modelName="Custom", templateName="Card 1") is None
    assert list(api.call("modelTemplates", modelName="Custom")) == ["Reverse"]
    assert anki.driver(f"result = [c.id for c in mw.col.get_note({nid}).cards()]") == [cids[1]]
    message = error_of(api, "modelTemplateRemove", modelName="Custom", templateName="Reverse")
    assert message.startswith("modelTemplateRemove:") and "only template" in message


def test_model_template_errors_name_the_template(api):
    make_model(api)
    expected = "template was not found in Custom: Nope"
    assert error_of(api, "modelTemplateRename", modelName="Custom", oldTemplateName="Nope",
                    newTemplateName="X") == expected
    assert error_of(api, "modelTemplateReposition", modelName="Custom", templateName="Nope",
                    index=0) == expected
    assert error_of(api, "modelTemplateRemove", modelName="Custom", templateName="Nope") == expected
    assert error_of(api, "modelTemplateRename", modelName="Foo", oldTemplateName="Card 1",
                    newTemplateName="X") == "model was not found: Foo"


# -- fields ------------------------------------------------------------------------------


def test_model_field_rename_updates_templates_and_notes(anki, api):
    make_model(api)
    nid, _ = add_note(anki, "Custom", {"Question": "q", "Answer": "a"})
    assert api.call("modelFieldRename", modelName="Custom", oldFieldName="Question",
                    newFieldName="Prompt") is None
    assert api.call("modelFieldNames", modelName="Custom") == ["Prompt", "Answer"]
    assert api.call("modelTemplates", modelName="Custom")["Card 1"]["Front"] == "{{Prompt}}"
    assert api.call("modelFieldsOnTemplates", modelName="Custom") == {"Card 1": [["Prompt"], ["Answer"]]}
    assert note_fields(anki, nid) == {"Prompt": "q", "Answer": "a"}
    message = error_of(api, "modelFieldRename", modelName="Custom", oldFieldName="Prompt",
                       newFieldName="answer")
    assert "field already exists" in message


def test_model_field_add_reposition_remove(anki, api):
    make_model(api)
    nid, _ = add_note(anki, "Custom", {"Question": "q", "Answer": "a"})
    assert api.call("modelFieldAdd", modelName="Custom", fieldName="Notes") is None
    assert api.call("modelFieldNames", modelName="Custom") == ["Question", "Answer", "Notes"]
    api.call("modelFieldAdd", modelName="Custom", fieldName="Hint", index=0)
    assert api.call("modelFieldNames", modelName="Custom") == ["Hint", "Question", "Answer", "Notes"]
    assert note_fields(anki, nid) == {"Hint": "", "Question": "q", "Answer": "a", "Notes": ""}
    assert api.call("modelFieldReposition", modelName="Custom", fieldName="Answer", index=0) is None
    assert api.call("modelFieldNames", modelName="Custom") == ["Answer", "Hint", "Question", "Notes"]
    assert anki.driver(f"result = mw.col.get_note({nid}).fields") == ["a", "", "q", ""]
    assert api.call("modelFieldRemove", modelName="Custom", fieldName="Hint") is None
    assert api.call("modelFieldNames", modelName="Custom") == ["Answer", "Question", "Notes"]
    assert note_fields(anki, nid) == {"Answer": "a", "Question": "q", "Notes": ""}


def test_model_field_errors(api):
    make_model(api, fields=("Only",), templates=[{"Front": "{{Only}}", "Back": ""}])
    expected = "field was not found in Custom: Nope"
    assert error_of(api, "modelFieldRename", modelName="Custom", oldFieldName="Nope", newFieldName="X") == expected
    assert error_of(api, "modelFieldReposition", modelName="Custom", fieldName="Nope", index=0) == expected
    assert error_of(api, "modelFieldRemove", modelName="Custom", fieldName="Nope") == expected
    assert error_of(api, "modelFieldSetFont", modelName="Custom", fieldName="Nope", font="X") == expected
    assert error_of(api, "modelFieldSetFontSize", modelName="Custom", fieldName="Nope", fontSize=3) == expected
    assert error_of(api, "modelFieldSetDescription", modelName="Custom", fieldName="Nope",
                    description="") == expected
    message = error_of(api, "modelFieldRemove", modelName="Custom", fieldName="Only")
    assert message.startswith("modelFieldRemove:") and "only field" in message
    assert "field already exists" in error_of(api, "modelFieldAdd", modelName="Custom", fieldName="only")
    assert "cannot contain" in error_of(api, "modelFieldAdd", modelName="Custom", fieldName="a:b")
    message = error_of(api, "modelFieldSetFontSize", modelName="Custom", fieldName="Only", fontSize="big")
    assert message.startswith("modelFieldSetFontSize: parameter 'fontSize' must be an integer")
    assert "positive" in error_of(api, "modelFieldSetFontSize", modelName="Custom", fieldName="Only", fontSize=0)
    assert api.call("modelFieldNames", modelName="Custom") == ["Only"]


def test_model_field_reposition_takes_indexes_as_list_insert(api):
    """As in the reference (Anki's reposition_field is Python's list.insert
    after taking the field out): the number of fields or more moves the
    field last, a negative index counts from the end; the notes' contents
    move with their fields."""
    make_model(api)
    nid = api.call("addNote", note={"deckName": "Default", "modelName": "Custom",
                                    "fields": {"Question": "q", "Answer": "a"}})

    def move(field, index):
        assert api.call("modelFieldReposition", modelName="Custom", fieldName=field,
                        index=index) is None
        names = api.call("modelFieldNames", modelName="Custom")
        [note] = api.call("notesInfo", notes=[nid])
        assert {n: note["fields"][n] for n in names} == {
            n: {"value": {"Question": "q", "Answer": "a"}.get(n, ""), "order": i}
            for i, n in enumerate(names)}
        return names

    # the reference's own test: index 2 of a 2-field type moves the field last
    assert move("Question", 2) == ["Answer", "Question"]
    assert move("Question", 0) == ["Question", "Answer"]
    assert move("Question", 10) == ["Answer", "Question"]
    assert move("Question", 1) == ["Answer", "Question"]  # where it is: unchanged
    api.call("modelFieldAdd", modelName="Custom", fieldName="Hint")
    assert api.call("modelFieldNames", modelName="Custom") == ["Answer", "Question", "Hint"]
    assert move("Answer", 3) == ["Question", "Hint", "Answer"]
    assert move("Answer", -1) == ["Question", "Answer", "Hint"]  # before the last of the others
    assert move("Hint", -2) == ["Hint", "Question", "Answer"]
    assert move("Answer", -10) == ["Answer", "Hint", "Question"]
    assert move("Question", -1) == ["Answer", "Question", "Hint"]


def test_model_field_add_index_as_list_insert(api):
    make_model(api, fields=("One",), templates=[{"Front": "{{One}}", "Back": ""}])

    def add(field, **index):
        assert api.call("modelFieldAdd", modelName="Custom", fieldName=field, **index) is None
        return api.call("modelFieldNames", modelName="Custom")

    assert add("Two", index=1) == ["One", "Two"]  # index = the number of fields: last
    assert add("Three", index=5) == ["One", "Two", "Three"]
    assert add("Four", index=-1) == ["One", "Two", "Four", "Three"]  # before the last field
    assert add("Five", index=-10) == ["Five", "One", "Two", "Four", "Three"]
    assert add("Six", index=0) == ["Six", "Five", "One", "Two", "Four", "Three"]
    assert add("Seven") == ["Six", "Five", "One", "Two", "Four", "Three", "Seven"]
    assert "must be an integer" in error_of(api, "modelFieldAdd", modelName="Custom",
                                            fieldName="Eight", index=1.5)
    assert "Eight" not in api.call("modelFieldNames", modelName="Custom")


def test_model_template_reposition_index_as_list_insert(api):
    make_model(api, templates=[
        {"Name": "A", "Front": "{{Question}}", "Back": "1"},
        {"Name": "B", "Front": "{{Answer}}", "Back": "2"},
        {"Name": "C", "Front": "{{Question}}{{Answer}}", "Back": "3"}])

    def move(name, index):
        assert api.call("modelTemplateReposition", modelName="Custom", templateName=name,
                        index=index) is None
        templates = api.call("modelTemplates", modelName="Custom")
        assert templates[name]["Back"] == {"A": "1", "B": "2", "C": "3"}[name]
        return list(templates)

    assert move("A", 3) == ["B", "C", "A"]  # index = the number of templates: last
    assert move("A", 0) == ["A", "B", "C"]
    assert move("A", 99) == ["B", "C", "A"]
    assert move("B", -1) == ["C", "B", "A"]
    assert move("A", -5) == ["A", "C", "B"]
    assert move("B", 2) == ["A", "C", "B"]  # where it is: unchanged
    assert "must be an integer" in error_of(api, "modelTemplateReposition", modelName="Custom",
                                            templateName="A", index="1")


def test_model_field_font_size_description(api):
    make_model(api)
    assert api.call("modelFieldSetFont", modelName="Custom", fieldName="Question", font="Courier") is None
    assert api.call("modelFieldSetFontSize", modelName="Custom", fieldName="Question", fontSize=10) is None
    assert api.call("modelFieldFonts", modelName="Custom") == {
        "Question": {"font": "Courier", "size": 10}, "Answer": {"font": "Arial", "size": 20}}
    assert api.call("modelFieldSetDescription", modelName="Custom", fieldName="Answer",
                    description="example field description") is True
    assert api.call("modelFieldDescriptions", modelName="Custom") == ["", "example field description"]


# -- undo -------------------------------------------------------------------------------------


def test_create_model_is_one_undo_step(anki, api):
    make_model(api)
    assert undo_name(anki) == "AnkiConnect: createModel"
    anki.driver("mw.col.undo()")
    assert "Custom" not in api.call("modelNames")


def test_model_edits_undo(anki, api):
    make_model(api)
    api.call("modelFieldRename", modelName="Custom", oldFieldName="Question", newFieldName="Prompt")
    assert undo_name(anki) == "AnkiConnect: modelFieldRename"
    api.call("modelTemplateAdd", modelName="Custom", template={"Name": "R", "Front": "{{Answer}}", "Back": ""})
    assert undo_name(anki) == "AnkiConnect: modelTemplateAdd"
    api.call("updateModelStyling", model={"name": "Custom", "css": "x"})
    assert undo_name(anki) == "AnkiConnect: updateModelStyling"
    anki.driver("mw.col.undo()")
    assert api.call("modelStyling", modelName="Custom")["css"] != "x"
    anki.driver("mw.col.undo()")
    assert list(api.call("modelTemplates", modelName="Custom")) == ["Card 1"]
    anki.driver("mw.col.undo()")
    assert api.call("modelFieldNames", modelName="Custom") == ["Question", "Answer"]
    assert api.call("modelTemplates", modelName="Custom")["Card 1"]["Front"] == "{{Question}}"


def test_find_and_replace_across_models_is_one_undo_step(anki, api):
    make_model(api, name="One", css="zq1")
    make_model(api, name="Two", css="zq1")
    assert api.call("findAndReplaceInModels", modelName="", findText="zq1", replaceText="zq2",
                    front=False, back=False) == 2
    assert undo_name(anki) == "AnkiConnect: findAndReplaceInModels"
    anki.driver("mw.col.undo()")
    assert api.call("modelStyling", modelName="One")["css"] == "zq1"
    assert api.call("modelStyling", modelName="Two")["css"] == "zq1"
