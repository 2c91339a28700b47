# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Model actions: note types, their fields, templates and styling."""
from __future__ import annotations

import copy
import re
from typing import Annotated, Any, Dict, List, Optional, TypedDict, Union

from anki.consts import MODEL_CLOZE
from anki.stdmodels import get_stock_notetypes

from ..util import ActionError, action, open_shape

#: `{{...}}` references in a card template
_TEMPLATE_REF = re.compile(r"{{(.*?)}}", re.S)
#: characters Anki strips from field names
_BAD_FIELD_CHARS = set(':{}"')


# -- shapes (the JSON Schemas of params and results; see schema.py) -------------------


class _NoteTypeFieldRequired(TypedDict):
    name: str
    ord: int
    sticky: bool
    rtl: bool
    font: str
    size: int
    description: str
    plainText: bool
    collapsed: bool
    excludeFromSearch: bool


@open_shape
class NoteTypeField(_NoteTypeFieldRequired, total=False):
    """A field of a note type, as Anki stores it (newer Anki versions add keys).

    name: the field's name.
    ord: its position (0 is first).
    sticky: the editor keeps its content for the next note.
    rtl: the editor shows it right to left.
    font: the editor's font for it.
    size: the editor's font size for it.
    description: shown in the editor while the field is empty.
    plainText: the editor shows it as plain text (HTML source).
    collapsed: the editor shows it collapsed.
    excludeFromSearch: unqualified searches leave it out.
    id: Anki's id of the field (Anki 23.10+).
    tag: for Image Occlusion's fields, which one it is (Anki 23.10+); else `null`.
    preventDeletion: the field cannot be removed (Anki 23.10+, Image Occlusion).
    """

    id: int
    tag: Optional[int]
    preventDeletion: bool


class _NoteTypeTemplateRequired(TypedDict):
    name: str
    ord: int
    qfmt: str
    afmt: str
    bqfmt: str
    bafmt: str
    did: Optional[int]
    bfont: str
    bsize: int


@open_shape
class NoteTypeTemplate(_NoteTypeTemplateRequired, total=False):
    """A card template of a note type, as Anki stores it (newer Anki versions add keys).

    name: the template's name.
    ord: its position (0 is first).
    qfmt: the front (question) HTML.
    afmt: the back (answer) HTML.
    bqfmt: the front as the Browser shows it (`""`: as qfmt).
    bafmt: the back as the Browser shows it (`""`: as afmt).
    did: the deck its cards go to (deck override), or `null`.
    bfont: the Browser's font for it (`""`: the default).
    bsize: the Browser's font size for it (0: the default).
    id: Anki's id of the template (Anki 23.10+).
    """

    id: int


class _NoteTypeRequired(TypedDict):
    id: int
    name: str
    type: int
    mod: int
    usn: int
    sortf: int
    did: Optional[int]
    tmpls: List[NoteTypeTemplate]
    flds: List[NoteTypeField]
    css: str
    latexPre: str
    latexPost: str
    latexsvg: bool
    req: List[List[Union[int, str, List[int]]]]


@open_shape
class NoteType(_NoteTypeRequired, total=False):
    """A note type (model) as Anki stores it: Anki's own JSON, with the keys below (newer Anki versions add keys).

    id: the note type's id.
    name: its name.
    type: 0 standard, 1 cloze.
    mod: when it was last changed (seconds since 1970).
    usn: the update sequence number, for sync (-1: changed since the last sync).
    sortf: the index of the field the Browser sorts by.
    did: the deck last used with it, or `null`.
    tmpls: the card templates, in order.
    flds: the fields, in order.
    css: the styling shared by the card templates.
    latexPre: the LaTeX put before each LaTeX snippet.
    latexPost: the LaTeX put after it.
    latexsvg: LaTeX is rendered as SVG (else PNG).
    req: which fields each template needs to make a card (old Anki's use): `[template ord, "any" or "all" or "none", [field ords]]` each.
    originalStockKind: which of Anki's stock note types it was made from (0: none).
    originalId: the id of the note type it was copied from, when imported.
    """

    originalStockKind: int
    originalId: Optional[int]


class FieldFont(TypedDict):
    """The editor's font of a field.

    font: the font family's name.
    size: the font size.
    """

    font: str
    size: int


class TemplateHtml(TypedDict):
    """The two sides of a card template.

    Front: the front (question) HTML.
    Back: the back (answer) HTML.
    """

    Front: str
    Back: str


class ModelCss(TypedDict):
    """A note type's styling.

    css: the CSS shared by its card templates.
    """

    css: str


class _NewTemplateRequired(TypedDict):
    Front: str
    Back: str


@open_shape
class NewTemplate(_NewTemplateRequired, total=False):
    """A card template of createModel (a key other than these is refused).

    Name: its name (default: "Card 1", "Card 2", ... by position); no two may have the same name.
    Front: the front (question) HTML.
    Back: the back (answer) HTML.
    """

    Name: str


@open_shape
class TemplateToAdd(TypedDict):
    """The card template modelTemplateAdd adds (a key other than these is refused).

    Name: its name, unused in the note type.
    Front: the front (question) HTML.
    Back: the back (answer) HTML.
    """

    Name: str
    Front: str
    Back: str


@open_shape
class TemplateChange(TypedDict, total=False):
    """New sides of one card template; a side not given stays (a key other than these is refused).

    Front: the new front (question) HTML.
    Back: the new back (answer) HTML.
    """

    Front: str
    Back: str


@open_shape
class ModelTemplatesChange(TypedDict):
    """updateModelTemplates' `model` (other keys are ignored).

    name: the note type's name.
    templates: the templates to change, by name, each `{"Front"?, "Back"?}`.
    """

    name: str
    templates: Dict[str, TemplateChange]


@open_shape
class ModelStylingChange(TypedDict):
    """updateModelStyling's `model` (other keys are ignored).

    name: the note type's name.
    css: the new CSS (may be `""`).
    """

    name: str
    css: str


@open_shape
class FindAndReplace(TypedDict, total=False):
    """findAndReplaceInModels' parameters as one object, as the reference documents them; a key not given takes the value of the parameter of that name (a key other than these is refused).

    modelName: the note type's name; `""`, `null` or absent: every note type.
    findText: the text to find (plain text, case-sensitive).
    fieldText: another spelling of findText, which some clients send.
    replaceText: what replaces it.
    front: replace in the front templates.
    back: replace in the back templates.
    css: replace in the styling.
    """

    modelName: Optional[str]
    findText: str
    fieldText: str
    replaceText: str
    front: bool
    back: bool
    css: bool


class ModelActions:
    # -- looking up ------------------------------------------------------------
    def _model(self, name: str) -> Dict[str, Any]:
        """The note type `name` (Anki's cached dict: read only), or a clear error."""
        mid = self.col.models.id_for_name(name)
        notetype = self.col.models.get(mid) if mid else None
        if notetype is None:
            raise ActionError(f"model was not found: {name}", "not_found")
        return notetype

    def _editable_model(self, name: str) -> Dict[str, Any]:
        """A copy of the note type `name`, to change and `_save`."""
        return copy.deepcopy(self._model(name))

    def _model_by_id(self, mid: int) -> Dict[str, Any]:
        notetype = self.col.models.get(mid)
        if notetype is None:
            raise ActionError(f"model was not found: {mid}", "not_found")
        return notetype

    def _save(self, notetype: Dict[str, Any]) -> None:
        try:
            self.col.models.update_dict(notetype)
        except Exception as e:
            raise _template_error(notetype, e) from None

    # -- reading -----------------------------------------------------------------
    @action()
    def modelNames(self) -> List[str]:
        """The names of all note types (models).

        Example: {} -> ["Basic", "Basic (and reversed card)", "Cloze"]
        """
        return [m.name for m in self.col.models.all_names_and_ids()]

    @action()
    def modelNamesAndIds(self) -> Dict[str, int]:
        """Every note type's name and id.

        Example: {} -> {"Basic": 1483883011648, "Basic (and reversed card)": 1483883011644, "Cloze": 1483883011630}
        """
        return {m.name: m.id for m in self.col.models.all_names_and_ids()}

    @action()
    def modelNameFromId(self, modelId: int) -> str:
        """The name of the note type with id `modelId`.

        modelId: the note type's id.

        Example: {"modelId": 1483883011648} -> "Basic"
        """
        return self._model_by_id(modelId)["name"]

    @action()
    def findModelsById(self, modelIds: List[int]) -> List[NoteType]:
        """Note types as Anki stores them (fields, templates, CSS, ...), by id.

        modelIds: note type ids; one that is no note type is an error.

        Example: {"modelIds": [1483883011648]} -> [{"id": 1483883011648, "name": "Basic", "type": 0, "mod": 1704387367, "usn": -1, "sortf": 0, "did": null, "tmpls": [{"name": "Card 1", "ord": 0, "qfmt": "{{Front}}", "afmt": "{{FrontSide}}\\n\\n<hr id=answer>\\n\\n{{Back}}", "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0}], "flds": [{"name": "Front", "ord": 0, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}, {"name": "Back", "ord": 1, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}], "css": ".card {\\n    font-family: arial;\\n}\\n", "latexPre": "", "latexPost": "", "latexsvg": false, "req": [[0, "any", [0]]], "originalStockKind": 1}]
        """
        return [self._model_by_id(mid) for mid in modelIds]

    @action()
    def findModelsByName(self, modelNames: List[str]) -> List[NoteType]:
        """Note types as Anki stores them (fields, templates, CSS, ...), by name.

        modelNames: note type names; one that is no note type is an error.

        Example: {"modelNames": ["Basic"]} -> [{"id": 1483883011648, "name": "Basic", "type": 0, "mod": 1704387367, "usn": -1, "sortf": 0, "did": null, "tmpls": [{"name": "Card 1", "ord": 0, "qfmt": "{{Front}}", "afmt": "{{FrontSide}}\\n\\n<hr id=answer>\\n\\n{{Back}}", "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0}], "flds": [{"name": "Front", "ord": 0, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}, {"name": "Back", "ord": 1, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}], "css": ".card {\\n    font-family: arial;\\n}\\n", "latexPre": "", "latexPost": "", "latexsvg": false, "req": [[0, "any", [0]]], "originalStockKind": 1}]
        """
        return [self._model(name) for name in modelNames]

    @action()
    def modelFieldNames(self, modelName: str) -> List[str]:
        """The names of a note type's fields, in order.

        modelName: the note type's name.

        Example: {"modelName": "Basic"} -> ["Front", "Back"]
        """
        return [f["name"] for f in self._model(modelName)["flds"]]

    @action()
    def modelFieldDescriptions(self, modelName: str) -> List[str]:
        """The descriptions of a note type's fields (shown in empty fields of the editor), in order.

        modelName: the note type's name.

        Example: {"modelName": "Basic"} -> ["", ""]
        """
        return [f.get("description", "") for f in self._model(modelName)["flds"]]

    @action()
    def modelFieldFonts(self, modelName: str) -> Dict[str, FieldFont]:
        """The editor font and font size of each field of a note type.

        modelName: the note type's name.

        Example: {"modelName": "Basic"} -> {"Front": {"font": "Arial", "size": 20}, "Back": {"font": "Arial", "size": 20}}
        """
        return {
            f["name"]: {"font": f["font"], "size": f["size"]}
            for f in self._model(modelName)["flds"]
        }

    @action()
    def modelFieldsOnTemplates(self, modelName: str) -> Dict[str, List[List[str]]]:
        """Which fields each card template shows: `[question side, answer side]`.

        modelName: the note type's name.

        Fields inside conditionals (`{{#Field}}`) only are not counted; the
        answer side leaves out fields the question side already shows.

        Example: {"modelName": "Basic (and reversed card)"} -> {"Card 1": [["Front"], ["Back"]], "Card 2": [["Back"], ["Front"]]}
        """
        notetype = self._model(modelName)
        names = {f["name"] for f in notetype["flds"]}
        result: Dict[str, List[List[str]]] = {}
        for tmpl in notetype["tmpls"]:
            front = _fields_shown(tmpl["qfmt"], names)
            back = [f for f in _fields_shown(tmpl["afmt"], names) if f not in front]
            result[tmpl["name"]] = [front, back]
        return result

    @action()
    def modelTemplates(self, modelName: str) -> Dict[str, TemplateHtml]:
        """The front and back HTML of each card template of a note type.

        modelName: the note type's name.

        Example: {"modelName": "Basic (and reversed card)"} -> {"Card 1": {"Front": "{{Front}}", "Back": "{{FrontSide}}\\n\\n<hr id=answer>\\n\\n{{Back}}"}, "Card 2": {"Front": "{{Back}}", "Back": "{{FrontSide}}\\n\\n<hr id=answer>\\n\\n{{Front}}"}}
        """
        return {
            t["name"]: {"Front": t["qfmt"], "Back": t["afmt"]}
            for t in self._model(modelName)["tmpls"]
        }

    @action()
    def modelStyling(self, modelName: str) -> ModelCss:
        """The CSS shared by a note type's card templates.

        modelName: the note type's name.

        Example: {"modelName": "Basic (and reversed card)"} -> {"css": ".card {\\n font-family: arial;\\n font-size: 20px;\\n text-align: center;\\n color: black;\\n background-color: white;\\n}\\n"}
        """
        return {"css": self._model(modelName)["css"]}

    # -- creating and changing note types ---------------------------------------
    @action(write=True)
    def createModel(
        self,
        modelName: str,
        inOrderFields: List[str],
        cardTemplates: List[Annotated[Dict[str, str], NewTemplate]],
        css: Optional[str] = None,
        isCloze: bool = False,
    ) -> NoteType:
        """Create a note type; returns it as Anki stores it.

        modelName: the new note type's name (no note type may have it yet).
        inOrderFields: the field names, in order.
        cardTemplates: the card templates, each `{"Name"?, "Front", "Back"}`; `Name` defaults to "Card 1", "Card 2", ...
        css: the styling (default: Anki's own for new note types).
        isCloze: make it a cloze note type (exactly one template, using `{{cloze:Field}}`).

        Example: {"modelName": "newModelName", "inOrderFields": ["Field1", "Field2", "Field3"], "css": "Optional CSS with default to builtin css", "isCloze": false, "cardTemplates": [{"Name": "My Card 1", "Front": "Front html {{Field1}}", "Back": "Back html  {{Field2}}"}]} -> {"id": 1551462107104, "name": "newModelName", "type": 0, "mod": 1551462107, "usn": -1, "sortf": 0, "did": null, "tmpls": [{"name": "My Card 1", "ord": 0, "qfmt": "Front html {{Field1}}", "afmt": "Back html  {{Field2}}", "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0}], "flds": [{"name": "Field1", "ord": 0, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}, {"name": "Field2", "ord": 1, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}, {"name": "Field3", "ord": 2, "sticky": false, "rtl": false, "font": "Arial", "size": 20, "description": "", "plainText": false, "collapsed": false, "excludeFromSearch": false}], "css": "Optional CSS with default to builtin css", "latexPre": "", "latexPost": "", "latexsvg": false, "req": [[0, "any", [0]]], "originalStockKind": 1}
        """
        if not modelName.strip():
            raise ActionError("createModel: modelName must not be empty")
        if self.col.models.id_for_name(modelName):
            raise ActionError(f"Model name already exists: {modelName}")
        if not inOrderFields:
            raise ActionError("createModel: inOrderFields must name at least one field")
        if not cardTemplates:
            raise ActionError("createModel: cardTemplates must hold at least one template")
        if isCloze and len(cardTemplates) != 1:
            raise ActionError("createModel: a cloze note type has exactly one card template")
        models = self.col.models
        notetype = _stock_notetype(self.col, cloze=isCloze)
        notetype["name"] = modelName
        if css is not None:
            notetype["css"] = css
        for name in inOrderFields:
            _check_field_name(name, "createModel", [f["name"] for f in notetype["flds"]])
            models.add_field(notetype, models.new_field(name))
        for i, spec in enumerate(cardTemplates):
            where = f"createModel: cardTemplates[{i}]"
            _check_template_keys(spec, where, required=("Front", "Back"))
            name = spec.get("Name", f"Card {i + 1}")
            _check_template_name(name, where, [t["name"] for t in notetype["tmpls"]])
            tmpl = models.new_template(name)
            tmpl["qfmt"], tmpl["afmt"] = spec["Front"], spec["Back"]
            models.add_template(notetype, tmpl)
        try:
            mid = models.add_dict(notetype).id
        except Exception as e:
            raise _template_error(notetype, e) from None
        return models.get(mid)

    @action(write=True, idempotent=True)
    def updateModelTemplates(self, model: Annotated[Dict[str, Any], ModelTemplatesChange]) -> None:
        """Change card templates of a note type; only the given templates and sides change.

        model: `{"name": note type name, "templates": {template name: {"Front"?: html, "Back"?: html}}}`.

        Example: {"model": {"name": "Custom", "templates": {"Card 1": {"Front": "{{Question}}?", "Back": "{{Answer}}!"}}}} -> null
        """
        name = _model_key(model, "name", "updateModelTemplates")
        templates = model.get("templates")
        if not isinstance(templates, dict):
            raise ActionError("updateModelTemplates: model.templates must be an object")
        notetype = self._editable_model(name)
        by_name = {t["name"]: t for t in notetype["tmpls"]}
        for tname, sides in templates.items():
            where = f"updateModelTemplates: model.templates.{tname}"
            if tname not in by_name:
                raise ActionError(f"template was not found in {name}: {tname}", "not_found")
            if not isinstance(sides, dict):
                raise ActionError(f"{where} must be an object")
            _check_template_keys(sides, where, required=(), allowed=("Front", "Back"))
            if "Front" in sides:
                by_name[tname]["qfmt"] = sides["Front"]
            if "Back" in sides:
                by_name[tname]["afmt"] = sides["Back"]
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def updateModelStyling(self, model: Annotated[Dict[str, Any], ModelStylingChange]) -> None:
        """Set the CSS of a note type.

        model: `{"name": note type name, "css": the new CSS}`.

        Example: {"model": {"name": "Custom", "css": "p { color: blue; }"}} -> null
        """
        name = _model_key(model, "name", "updateModelStyling")
        css = _model_key(model, "css", "updateModelStyling", allow_empty=True)
        notetype = self._editable_model(name)
        notetype["css"] = css
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def findAndReplaceInModels(
        self,
        model: Optional[Annotated[Dict[str, Any], FindAndReplace]] = None,
        modelName: Optional[str] = None,
        findText: Optional[str] = None,
        replaceText: Optional[str] = None,
        front: bool = True,
        back: bool = True,
        css: bool = True,
    ) -> int:
        """Replace text in the templates and CSS of one or all note types; returns how many note types changed.

        model: the parameters below as one object, as the reference documents them (`{"modelName", "findText", "replaceText", "front", "back", "css"}`); they may also be given directly.
        modelName: the note type's name; `""` or absent: every note type.
        findText: the text to find (plain text, case-sensitive).
        replaceText: what replaces it.
        front: replace in the front templates.
        back: replace in the back templates.
        css: replace in the styling.

        Example: {"model": {"modelName": "", "findText": "text_to_replace", "replaceText": "replace_with_text", "front": true, "back": true, "css": true}} -> 1
        """
        if model is not None:
            modelName, findText, replaceText, front, back, css = _find_replace_params(
                model, modelName, findText, replaceText, front, back, css
            )
        if not findText:
            raise ActionError("findAndReplaceInModels: findText must not be empty")
        if replaceText is None:
            raise ActionError("findAndReplaceInModels: missing required parameter 'replaceText'")
        if modelName:
            notetypes = [self._editable_model(modelName)]
        else:
            notetypes = [
                copy.deepcopy(self.col.models.get(m.id))
                for m in self.col.models.all_names_and_ids()
            ]
        changed = 0
        for notetype in notetypes:
            before = copy.deepcopy(notetype)
            if css:
                notetype["css"] = notetype["css"].replace(findText, replaceText)
            for tmpl in notetype["tmpls"]:
                if front:
                    tmpl["qfmt"] = tmpl["qfmt"].replace(findText, replaceText)
                if back:
                    tmpl["afmt"] = tmpl["afmt"].replace(findText, replaceText)
            if notetype != before:
                self._save(notetype)
                changed += 1
        return changed

    # -- templates -----------------------------------------------------------------
    def _template(self, notetype: Dict[str, Any], name: str) -> Dict[str, Any]:
        for tmpl in notetype["tmpls"]:
            if tmpl["name"] == name:
                return tmpl
        raise ActionError(f"template was not found in {notetype['name']}: {name}", "not_found")

    @action(write=True)
    def modelTemplateAdd(
        self, modelName: str, template: Annotated[Dict[str, str], TemplateToAdd]
    ) -> None:
        """Add a card template to a note type (cards are generated for its notes).

        modelName: the note type's name.
        template: `{"Name", "Front", "Back"}`; no template of the note type may have that name yet.

        Example: {"modelName": "Basic", "template": {"Name": "Card 2", "Front": "{{Back}}", "Back": "{{FrontSide}}<hr id=answer>{{Front}}"}} -> null
        """
        where = "modelTemplateAdd: template"
        _check_template_keys(template, where, required=("Name", "Front", "Back"))
        notetype = self._editable_model(modelName)
        if notetype["type"] == MODEL_CLOZE:
            raise ActionError("modelTemplateAdd: a cloze note type has exactly one card template")
        _check_template_name(
            template["Name"], where, [t["name"] for t in notetype["tmpls"]], model=modelName
        )
        tmpl = self.col.models.new_template(template["Name"])
        tmpl["qfmt"], tmpl["afmt"] = template["Front"], template["Back"]
        self.col.models.add_template(notetype, tmpl)
        self._save(notetype)
        return None

    @action(write=True)
    def modelTemplateRename(self, modelName: str, oldTemplateName: str, newTemplateName: str) -> None:
        """Rename a card template of a note type.

        modelName: the note type's name.
        oldTemplateName: the template's name now.
        newTemplateName: its new name (unused in this note type).

        Example: {"modelName": "Basic", "oldTemplateName": "Card 1", "newTemplateName": "Recognition"} -> null
        """
        notetype = self._editable_model(modelName)
        tmpl = self._template(notetype, oldTemplateName)
        others = [t["name"] for t in notetype["tmpls"] if t is not tmpl]
        _check_template_name(newTemplateName, "modelTemplateRename: newTemplateName", others, model=modelName)
        tmpl["name"] = newTemplateName
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def modelTemplateReposition(self, modelName: str, templateName: str, index: int) -> None:
        """Move a card template of a note type to position `index` (0 is first).

        modelName: the note type's name.
        templateName: the template's name.
        index: its new position, as Python's `list.insert` takes it once the template is taken out of the list: 0 is first; the number of templates or more puts it last; a negative index counts from the end of the other templates (-1: before the last of them).

        Example: {"modelName": "Basic (and reversed card)", "templateName": "Card 2", "index": 0} -> null
        """
        notetype = self._editable_model(modelName)
        tmpl = self._template(notetype, templateName)
        self.col.models.reposition_template(notetype, tmpl, index)
        self._save(notetype)
        return None

    @action(destructive=True)
    def modelTemplateRemove(self, modelName: str, templateName: str) -> None:
        """Remove a card template from a note type, and the cards made from it.

        modelName: the note type's name.
        templateName: the template's name; a note type's only template cannot be removed.

        Example: {"modelName": "Basic (and reversed card)", "templateName": "Card 2"} -> null
        """
        notetype = self._editable_model(modelName)
        tmpl = self._template(notetype, templateName)
        if len(notetype["tmpls"]) == 1:
            raise ActionError(
                f"modelTemplateRemove: {templateName} is the only template of {modelName} and cannot be removed"
            )
        notetype["tmpls"].remove(tmpl)
        self._save(notetype)
        return None

    # -- fields ----------------------------------------------------------------------
    def _field(self, notetype: Dict[str, Any], name: str) -> Dict[str, Any]:
        for fld in notetype["flds"]:
            if fld["name"] == name:
                return fld
        raise ActionError(f"field was not found in {notetype['name']}: {name}", "not_found")

    @action(write=True)
    def modelFieldAdd(self, modelName: str, fieldName: str, index: Optional[int] = None) -> None:
        """Add a field to a note type (empty in its notes).

        modelName: the note type's name.
        fieldName: the new field's name (unused in this note type).
        index: its position, as Python's `list.insert` takes it: 0 is first; the number of fields or more (or no index) puts it last; a negative index counts from the end (-1: before the last field).

        Example: {"modelName": "Basic", "fieldName": "Notes", "index": 2} -> null
        """
        notetype = self._editable_model(modelName)
        _check_field_name(
            fieldName, "modelFieldAdd: fieldName", [f["name"] for f in notetype["flds"]], model=modelName
        )
        field = self.col.models.new_field(fieldName)
        fields = notetype["flds"]
        fields.insert(len(fields) if index is None else index, field)
        self._save(notetype)
        return None

    @action(write=True)
    def modelFieldRename(self, modelName: str, oldFieldName: str, newFieldName: str) -> None:
        """Rename a field of a note type; its templates are updated to the new name.

        modelName: the note type's name.
        oldFieldName: the field's name now.
        newFieldName: its new name (unused in this note type).

        Example: {"modelName": "Basic", "oldFieldName": "Front", "newFieldName": "Question"} -> null
        """
        notetype = self._editable_model(modelName)
        field = self._field(notetype, oldFieldName)
        others = [f["name"] for f in notetype["flds"] if f is not field]
        _check_field_name(newFieldName, "modelFieldRename: newFieldName", others, model=modelName)
        self.col.models.rename_field(notetype, field, newFieldName)
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def modelFieldReposition(self, modelName: str, fieldName: str, index: int) -> None:
        """Move a field of a note type to position `index` (0 is first).

        modelName: the note type's name.
        fieldName: the field's name.
        index: its new position, as Python's `list.insert` takes it once the field is taken out of the list: 0 is first; the number of fields or more puts it last (so index 2 moves the first of two fields to the end); a negative index counts from the end of the other fields (-1: before the last of them).

        Example: {"modelName": "Basic", "fieldName": "Back", "index": 0} -> null
        Example: {"modelName": "Basic", "fieldName": "Front", "index": 2} -> null
        """
        notetype = self._editable_model(modelName)
        field = self._field(notetype, fieldName)
        self.col.models.reposition_field(notetype, field, index)
        self._save(notetype)
        return None

    @action(destructive=True)
    def modelFieldRemove(self, modelName: str, fieldName: str) -> None:
        """Remove a field from a note type, and its content from every note.

        modelName: the note type's name.
        fieldName: the field's name; a note type's only field cannot be removed.

        Example: {"modelName": "Basic", "fieldName": "Back"} -> null
        """
        notetype = self._editable_model(modelName)
        field = self._field(notetype, fieldName)
        if len(notetype["flds"]) == 1:
            raise ActionError(
                f"modelFieldRemove: {fieldName} is the only field of {modelName} and cannot be removed"
            )
        self.col.models.remove_field(notetype, field)
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def modelFieldSetFont(self, modelName: str, fieldName: str, font: str) -> None:
        """Set the font the editor shows a field in.

        modelName: the note type's name.
        fieldName: the field's name.
        font: the font family's name.

        Example: {"modelName": "Basic", "fieldName": "Front", "font": "Courier"} -> null
        """
        if not font.strip():
            raise ActionError("modelFieldSetFont: font must not be empty")
        notetype = self._editable_model(modelName)
        self._field(notetype, fieldName)["font"] = font
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def modelFieldSetFontSize(self, modelName: str, fieldName: str, fontSize: int) -> None:
        """Set the font size the editor shows a field in.

        modelName: the note type's name.
        fieldName: the field's name.
        fontSize: the size in points (1 to 65535).

        Example: {"modelName": "Basic", "fieldName": "Front", "fontSize": 10} -> null
        """
        if not 1 <= fontSize <= 65535:  # Anki stores it in 16 bits (2.1.66)
            raise ActionError(f"modelFieldSetFontSize: fontSize must be a positive integer up to 65535, got {fontSize}")
        notetype = self._editable_model(modelName)
        self._field(notetype, fieldName)["size"] = fontSize
        self._save(notetype)
        return None

    @action(write=True, idempotent=True)
    def modelFieldSetDescription(self, modelName: str, fieldName: str, description: str) -> bool:
        """Set a field's description (shown in the editor while the field is empty).

        modelName: the note type's name.
        fieldName: the field's name.
        description: the new description.

        Example: {"modelName": "Basic", "fieldName": "Front", "description": "the word in Japanese"} -> true
        """
        notetype = self._editable_model(modelName)
        self._field(notetype, fieldName)["description"] = description
        self._save(notetype)
        return True


# ---------------------------------------------------------------------------
# Helpers


def _stock_notetype(col: Any, cloze: bool) -> Dict[str, Any]:
    """A new, empty note type dict with Anki's stock settings and CSS (the
    stock Cloze's for a cloze note type)."""
    if cloze:  # the stock note types come before any an add-on registers
        stock = (make(col) for _, make in get_stock_notetypes(col))
        notetype = next(nt for nt in stock if nt["type"] == MODEL_CLOZE)
    else:
        notetype = col.models.new("")
    notetype["flds"] = []
    notetype["tmpls"] = []
    notetype["id"] = 0
    return notetype


def _fields_shown(template: str, names: set) -> List[str]:
    """The fields a template shows (not those it only tests), in order."""
    found: List[str] = []
    for match in _TEMPLATE_REF.finditer(template):
        ref = match.group(1).strip()
        if not ref or ref[0] in "#^/!":
            continue
        name = ref.split(":")[-1].strip()  # filters: {{cloze:Text}}, {{type:Back}}
        if name in names and name not in found:
            found.append(name)
    return found


def _check_field_name(name: str, where: str, existing: List[str], model: str = "") -> None:
    if not name.strip():
        raise ActionError(f"{where}: a field name must not be empty")
    if _BAD_FIELD_CHARS & set(name) or name.lstrip()[0] in "#/^":
        raise ActionError(
            f'{where}: a field name cannot contain : {{ }} " or start with # / ^, got {name!r}'
        )
    if name.casefold() in {n.casefold() for n in existing}:
        owner = f" in model {model}" if model else ""
        raise ActionError(f"{where}: field already exists{owner}: {name}")


def _check_template_name(name: Any, where: str, existing: List[str], model: str = "") -> None:
    if not isinstance(name, str) or not name.strip():
        raise ActionError(f"{where}: a template name must be a non-empty string")
    if name.casefold() in {n.casefold() for n in existing}:
        owner = f" in model {model}" if model else ""
        raise ActionError(f"{where}: template already exists{owner}: {name}")


def _check_template_keys(
    spec: Dict[str, Any], where: str, required: tuple, allowed: tuple = ("Name", "Front", "Back")
) -> None:
    for key in required:
        if key not in spec:
            raise ActionError(f"{where} needs {key!r}")
    for key, value in spec.items():
        if key not in allowed:
            raise ActionError(f"{where} has an unknown key {key!r} (expected {', '.join(allowed)})")
        if not isinstance(value, str):
            raise ActionError(f"{where}.{key} must be a string")


def _model_key(model: Dict[str, Any], key: str, action_name: str, allow_empty: bool = False) -> str:
    value = model.get(key)
    if not isinstance(value, str) or (not allow_empty and not value):
        raise ActionError(f"{action_name}: model.{key} must be a string")
    return value


def _find_replace_params(model: Dict[str, Any], *flat: Any) -> tuple:
    """findAndReplaceInModels' params from its `model` object (flat ones are defaults)."""
    names = ("modelName", "findText", "replaceText", "front", "back", "css")
    values = dict(zip(names, flat))
    for key, value in model.items():
        key = "findText" if key == "fieldText" else key  # a spelling some clients send
        if key not in values:
            raise ActionError(f"findAndReplaceInModels: model has an unknown key {key!r}")
        wanted = bool if key in ("front", "back", "css") else str
        if not isinstance(value, wanted) and not (key == "modelName" and value is None):
            kind = "a boolean" if wanted is bool else "a string"
            raise ActionError(f"findAndReplaceInModels: model.{key} must be {kind}")
        values[key] = value
    return tuple(values[n] for n in names)


def _template_error(notetype: Dict[str, Any], error: Exception) -> Exception:
    """Anki's refusal of a note type (e.g. a card template with no field on
    its front) as a clear error; anything else as it is."""
    if type(error).__name__ not in ("CardTypeError", "TemplateError", "InvalidInput"):
        return error
    text = re.sub(r"<[^>]+>", " ", str(error)).replace("\u2068", "").replace("\u2069", "")
    return ActionError(f"note type {notetype.get('name')!r} cannot be saved: {' '.join(text.split())}")
