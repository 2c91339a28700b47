# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Note actions: adding, finding, updating notes and their tags.

Turning a client's `note` object into an Anki note (validation, duplicate
checks, media) lives in `note_builder.py`; reading notes in bulk for
`notesInfo` in `note_reader.py`.  Actions with media validate the notes,
hand reading and downloading the media to the HTTP worker (an `Offload`),
then do all the writing back on the collection's thread, in one undo step.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Dict, List, Optional, TypedDict, Union

from .. import compat
from ..util import ActionError, Emits, Offload, Partial, Refusal, action, and_then, open_shape
from .field_search import find_notes
from .note_builder import (
    MediaEntries,
    NoteBuilder,
    NoteToAdd,
    NotetypeInfo,
    PreparedNote,
    SkippedNames,
    attach_media,
    fetch_media,
    find_problems,
    needs_fetch,
    only_base64_to_fetch,
    parse_media,
    parse_tags,
    set_fields,
)
from .note_reader import NoNote, NoteInfo, NoteModTime, note_mod_times, notes_info
from .sql_ids import unique

#: updateNote's error without "fields" and "tags", word for word the reference's.
MUST_PROVIDE = 'Must provide a "fields" or "tags" property.'
#: A field Anki counts as empty: only whitespace, <br> and empty <div>s.
_EMPTY_FIELD = re.compile(r"^(?:\s|</?(?:br|div)\s*/?>)*$", re.I)
#: Characters Rust's regex syntax treats as special (escaped for tag matching).
_RUST_REGEX_META = set("\\.+*?()|[]{}^$#&-~")

#: a client's note to add, as the actions take it (see NoteToAdd)
NewNote = Annotated[Dict[str, Any], NoteToAdd]


class _CanAddRequired(TypedDict):
    canAdd: bool


class CanAddDetail(_CanAddRequired, total=False):
    """Whether a note could be added, and why not.

    canAdd: whether it could be added now.
    error: why not (only when `canAdd` is false), e.g. `cannot create note because it is a duplicate`.
    """

    error: str


class _NoteId(TypedDict):
    id: int


class _NoteFieldsRequired(_NoteId):
    fields: Dict[str, str]


@open_shape
class NoteFieldsUpdate(_NoteFieldsRequired, total=False):
    """New contents for fields of an existing note (updateNoteFields).

    id: the note's id.
    fields: field name -> new content (HTML); names match exactly (others are skipped); fields not named keep their content.
    audio: a file (or an array of files) referred to as `[sound:name]` in its `fields`, as for addNote.
    video: a file (or an array of files) referred to as `[sound:name]` in its `fields`, as for addNote.
    picture: a file (or an array of files) referred to as `<img src="name">` in its `fields`, as for addNote.
    """

    audio: MediaEntries
    video: MediaEntries
    picture: MediaEntries


@open_shape
class NoteUpdate(_NoteId, total=False):
    """Changes to an existing note (updateNote): `fields`, `tags` or both.

    id: the note's id.
    fields: field name -> new content (HTML); names match exactly (others are skipped); fields not named keep their content.
    tags: the note's new tags, replacing all of them: an array, or one space-separated string.
    audio: a file (or an array of files) referred to as `[sound:name]` in its `fields`, as for addNote.
    video: a file (or an array of files) referred to as `[sound:name]` in its `fields`, as for addNote.
    picture: a file (or an array of files) referred to as `<img src="name">` in its `fields`, as for addNote.
    """

    fields: Dict[str, str]
    tags: Union[List[str], str]
    audio: MediaEntries
    video: MediaEntries
    picture: MediaEntries


class _NoteModelChangeRequired(_NoteId):
    modelName: str


@open_shape
class NoteModelChange(_NoteModelChangeRequired, total=False):
    """A new note type for an existing note, and its fields and tags (updateNoteModel).

    id: the note's id.
    modelName: the new note type.
    fields: field name -> content (HTML), set after the old fields moved over; names match in any case (others are skipped).
    tags: when given, the note's new tags, replacing all of them: an array, or one space-separated string.
    """

    fields: Dict[str, str]
    tags: Union[List[str], str]


class NoteActions:
    # -- adding ------------------------------------------------------------------
    @action(write=True, emits=Emits("notes.added", "result"))
    def addNote(self, note: NewNote) -> int:
        """Create a note; returns its id.

        note: `{deckName, modelName, fields, tags?, options?, audio?, video?, picture?}`. `fields` names match in any case (of two names for one field, the later one wins); a name the note type does not have is skipped, not an error. `options`: `allowDuplicate` (default false), `duplicateScope` (`"collection"`, the default, or `"deck"`), `duplicateScopeOptions` `{deckName, checkChildren, checkAllModels}`. `audio`/`video`/`picture`: one object or an array, each `{url | path | data (base64), filename, skipHash?, deleteExisting?, fields?}`: the file is stored in the media folder and `[sound:name]` (audio, video) or `<img src="name">` (picture) is appended to each listed field (none: only stored; these names must match exactly, others are skipped); a file whose MD5 is `skipHash` is skipped. `deleteExisting` true replaces a file of that name; by default both are kept, and different content is stored under a name Anki changes (the one the field refers to).

        A duplicate is a note of the same note type (any type with
        `checkAllModels`) whose first field is the same once HTML is stripped,
        within the scope: the collection, or the scope's deck (and its
        children with `checkChildren`).  Errors: `cannot create note because
        it is empty` (empty first field), `cannot create note because it is a
        duplicate`, `deck was not found: NAME`, `model was not found: NAME`,
        and a download that failed.  If every given name is skipped, the first
        field is empty: `cannot create note because it is empty`.  Skipped
        names are logged.  The note and its media are one undo step.

        Example: {"note": {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front content", "Back": "back content"}, "options": {"allowDuplicate": false, "duplicateScope": "deck", "duplicateScopeOptions": {"deckName": "Default", "checkChildren": false, "checkAllModels": false}}, "tags": ["yomichan"], "audio": [{"url": "https://assets.languagepod101.com/dictionary/japanese/audiomp3.php?kanji=猫&kana=ねこ", "filename": "yomichan_ねこ_猫.mp3", "skipHash": "7e2c2f954ef6051373ba916f000168dc", "fields": ["Front"]}]}} -> 1496198395707
        """
        def first(results: List[Union[int, Refusal]]) -> int:
            if isinstance(results[0], Refusal):
                raise results[0].error()
            return results[0]

        return and_then(self._add_notes([note], "addNote"), first)

    @action(write=True, emits=Emits("notes.added", "result"))
    def addNotes(self, notes: List[NewNote]) -> List[Optional[int]]:
        """Create several notes; returns their ids, `null` for each that could not be added.

        notes: note objects as for `addNote`.

        The others are added, all in one undo step, with one duplicate check
        for the whole batch (a note is also a duplicate of an earlier note of
        the same batch).

        Example: {"notes": [{"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front content", "Back": "back content"}, "tags": ["yomichan"]}, {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front content", "Back": "twin"}}]} -> [1496198395707, null]
        """
        def ids(results: List[Union[int, Refusal]]) -> Partial:
            failed = [(i, r) for i, r in enumerate(results) if isinstance(r, Refusal)]
            if failed:
                self.host.log.info("addNotes: %d of %d notes not added (note %d: %s)",
                                   len(failed), len(results), *failed[0])
            return Partial([None if isinstance(r, Refusal) else r for r in results],
                           [dict({"index": i, "code": r.code, "message": str(r)}, **r.detail)
                            for i, r in failed])

        return and_then(self._add_notes(notes, "addNotes"), ids)

    def _add_notes(self, objs: List[Any], name: str) -> Any:
        """Add client notes; per note its id or why it was not added (an
        Offload of that list when media must be read or downloaded first).

        Notes are checked before their media is fetched (nothing is fetched
        for a note that cannot be added), and checked again when adding.
        """
        config = self.config()
        prepared = self._prepare(objs, config, name)
        if not any(needs_fetch(p) for p in prepared):
            return self._add_prepared(name, prepared)
        valid = [p if isinstance(p, PreparedNote) else None for p in prepared]
        for i, problem in enumerate(find_problems(self.col, valid, within_batch=True)):
            if problem:
                prepared[i] = problem

        def fetch() -> List[Any]:
            for i, p in enumerate(prepared):
                if needs_fetch(p):
                    try:
                        fetch_media(p, config)
                    except ActionError as e:
                        prepared[i] = Refusal.of(e)
            return prepared

        return Offload(fetch, lambda fetched: self._add_prepared(name, fetched),
                       large=only_base64_to_fetch(prepared))

    def _prepare(self, objs: List[Any], config: dict, name: str) -> List[Any]:
        """Build each client note: a PreparedNote, or the error why it is invalid."""
        builder = NoteBuilder(self.col, config, skipped=SkippedNames(self.host.log, name))
        out: List[Any] = []
        for obj in objs:
            try:
                out.append(builder.build(obj))
            except ActionError as e:
                out.append(Refusal.of(e))
        return out

    def _add_prepared(self, name: str, prepared: List[Any]) -> List[Union[int, Refusal]]:
        """Check duplicates again, store media, add in one call."""
        col = self.col
        results: List[Union[int, Refusal]] = [
            p if isinstance(p, Refusal) else 0 for p in prepared]
        valid = [p if isinstance(p, PreparedNote) else None for p in prepared]
        for i, problem in enumerate(find_problems(col, valid, within_batch=True)):
            if problem:
                results[i] = problem
                valid[i] = None
        adding = []
        for i, p in enumerate(valid):
            if p is None:
                continue
            if p.media:
                try:  # stores all of the note's media or none
                    attach_media(col, p)
                except ActionError as e:
                    results[i] = Refusal.of(e)
                    continue
            adding.append((i, p))
        try:
            compat.add_notes(col, [(p.note, p.deck_id) for _, p in adding])
        except Exception:  # find the culprit(s): add one by one
            self.host.log.exception("%s: adding in one call failed", name)
            failed: Dict[int, Refusal] = {}

            def note_failed(note: Any, error: Exception) -> None:
                failed[id(note)] = Refusal(f"cannot create note: {error}")
                note.id = 0

            compat.add_each(col, [(p.note, p.deck_id) for _, p in adding], note_failed)
            for i, p in adding:
                if id(p.note) in failed:
                    results[i] = failed[id(p.note)]
        for i, p in adding:
            if p.note.id:
                results[i] = p.note.id
        return results

    # -- checking ----------------------------------------------------------------
    def _can_add(self, notes: List[Dict[str, Any]], name: str) -> List[Optional[str]]:
        """Why each note could not be added (None: it can); no side effect."""
        builder = NoteBuilder(self.col, self.config(), skipped=SkippedNames(self.host.log, name))
        prepared: List[Optional[PreparedNote]] = []
        errors: List[Optional[str]] = []
        for obj in notes:
            try:
                prepared.append(builder.build(obj))
                errors.append(None)
            except ActionError as e:
                prepared.append(None)
                errors.append(str(e))
        problems = find_problems(self.col, prepared)
        return [e or p for e, p in zip(errors, problems)]

    @action()
    def canAddNote(self, note: NewNote) -> bool:
        """Whether `note` could be added now (nothing is added, stored or downloaded).

        note: a note object as for `addNote`.

        Example: {"note": {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front content", "Back": "back content"}}} -> true
        """
        return self._can_add([note], "canAddNote")[0] is None

    @action()
    def canAddNotes(self, notes: List[NewNote]) -> List[bool]:
        """For each note, whether it could be added now (nothing is added, stored or downloaded).

        notes: note objects as for `addNote`.

        Each note is checked against the collection on its own, as if it were
        the only one.

        Example: {"notes": [{"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front content", "Back": "back content"}, "tags": ["yomichan"]}]} -> [true]
        """
        return [p is None for p in self._can_add(notes, "canAddNotes")]

    @action()
    def canAddNoteWithErrorDetail(self, note: NewNote) -> CanAddDetail:
        """Whether `note` could be added, and why not: `{"canAdd": true}` or `{"canAdd": false, "error": "..."}`.

        note: a note object as for `addNote`.

        Example: {"note": {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "", "Back": "back content"}}} -> {"canAdd": false, "error": "cannot create note because it is empty"}
        """
        return _detail(self._can_add([note], "canAddNoteWithErrorDetail")[0])

    @action()
    def canAddNotesWithErrorDetail(self, notes: List[NewNote]) -> List[CanAddDetail]:
        """For each note, `{"canAdd": true}` or `{"canAdd": false, "error": "..."}`.

        notes: note objects as for `addNote`.

        Example: {"notes": [{"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front content", "Back": "back content"}}, {"deckName": "Nope", "modelName": "Basic", "fields": {"Front": "x"}}]} -> [{"canAdd": true}, {"canAdd": false, "error": "deck was not found: Nope"}]
        """
        return [_detail(p) for p in self._can_add(notes, "canAddNotesWithErrorDetail")]

    # -- updating ----------------------------------------------------------------
    @action(write=True, idempotent=True, emits=Emits("notes.updated", "note.id"))
    def updateNoteFields(self, note: Annotated[Dict[str, Any], NoteFieldsUpdate]) -> None:
        """Change fields of an existing note; the result is always `null`.

        note: `{id, fields, audio?, video?, picture?}`: media as for `addNote`.

        Field names must match exactly, as in the reference: a name the note
        type does not have, or has in another case, is skipped, not an error
        (and logged); `{}` changes nothing.  One undo step; a browser or
        editor showing the note reloads it.

        Example: {"note": {"id": 1514547547030, "fields": {"Front": "new front content", "Back": "new back content"}}} -> null
        """
        if not isinstance(note, dict) or not isinstance(note.get("fields"), dict):
            raise ActionError("updateNoteFields: note.fields is required (an object)")
        return self._update_note(note, "updateNoteFields", tags=False)

    @action(write=True, idempotent=True, emits=Emits("notes.updated", "note.id"))
    def updateNote(self, note: Annotated[Dict[str, Any], NoteUpdate]) -> None:
        """Change the fields and/or the tags of an existing note.

        note: `{id, fields?, tags?, audio?, video?, picture?}`: `fields` as for `updateNoteFields` (names match exactly; others are skipped), `tags` replace all of the note's tags; media as for `addNote`.

        Without `fields` and `tags` the error is `Must provide a "fields" or
        "tags" property.`; `"fields": {}` counts as given (and changes nothing).
        `tags` that are not an array of strings (or one string), `null`
        included: `Must provide tags as a list of strings`, and nothing changes.

        Example: {"note": {"id": 1514547547030, "fields": {"Front": "new front content"}, "tags": ["new", "tags"]}} -> null
        """
        if not isinstance(note, dict) or ("fields" not in note and "tags" not in note):
            raise ActionError(MUST_PROVIDE)
        return self._update_note(note, "updateNote", tags=True)

    def _update_note(self, obj: Dict[str, Any], name: str, tags: bool) -> Any:
        config = self.config()
        skipped = SkippedNames(self.host.log, name)
        nid = _note_id(obj)
        fields = obj.get("fields")
        if "fields" in obj and not isinstance(fields, dict):
            raise ActionError(f"{name}: note.fields must be an object")
        if tags and "tags" in obj:
            new_tags: Optional[List[str]] = _update_tags(obj["tags"])
        else:
            new_tags = None

        def load(media: Optional[List[Any]] = None) -> PreparedNote:
            col = self.col
            anki_note = _get_note(col, nid)
            info = NotetypeInfo(col, anki_note.note_type())
            if media is None:
                media = parse_media(obj, info, config, skipped=skipped)
            return PreparedNote(note=anki_note, deck_id=None, info=info, media=media)

        def apply(p: PreparedNote) -> None:
            set_fields(p.note, p.info, fields or {}, exact=True, skipped=skipped)
            if new_tags is not None:
                p.note.tags = new_tags
            attach_media(self.col, p)
            self.col.update_note(p.note)

        checked = load()
        if not needs_fetch(checked):
            return apply(checked)

        def fetch() -> List[Any]:
            fetch_media(checked, config)
            return checked.media

        def reload_and_apply(media: List[Any]) -> None:
            apply(load(media))  # the note as it is now, after the media was fetched

        return Offload(fetch, reload_and_apply, large=only_base64_to_fetch([checked]))

    @action(destructive=True, emits=Emits("notes.updated", "note.id"))
    def updateNoteModel(self, note: Annotated[Dict[str, Any], NoteModelChange]) -> None:
        """Change the note type of a note, then set its fields and tags.

        note: `{id, modelName, fields?, tags?}`.

        Fields of the old note type move to the new type's fields of the same
        name (any case); the given `fields` then overwrite (names match in
        any case, the later of two names for one field wins; a name the new
        type does not have is skipped, not an error, and logged), and
        `tags`, when given, replace the note's tags.  Changing the note type
        of notes needs a one-way sync, as it does in Anki.

        Example: {"note": {"id": 1514547547030, "modelName": "Basic (and reversed card)", "fields": {"Front": "new front"}, "tags": ["changed"]}} -> null
        """
        col = self.col
        nid = _note_id(note)
        model_name = note.get("modelName")
        if not isinstance(model_name, str):
            raise ActionError("updateNoteModel: note.modelName is required (a string)")
        fields = note.get("fields") or {}
        if not isinstance(fields, dict):
            raise ActionError("updateNoteModel: note.fields must be an object")
        anki_note = _get_note(col, nid)
        builder = NoteBuilder(col, self.config())
        new = builder.notetype(model_name)
        if new.id != anki_note.mid:
            old = builder.notetype_by_id(anki_note.mid)
            info = col.models.change_notetype_info(
                old_notetype_id=anki_note.mid, new_notetype_id=new.id)
            request = info.input
            folded = {n.casefold(): i for i, n in reversed(list(enumerate(old.field_names)))}
            del request.new_fields[:]
            request.new_fields.extend(folded.get(n.casefold(), -1) for n in new.field_names)
            request.note_ids.append(nid)
            col.models.change_notetype_of_notes(request)
            anki_note = _get_note(col, nid)
        set_fields(anki_note, new, fields, exact=False,
                   skipped=SkippedNames(self.host.log, "updateNoteModel"))
        if note.get("tags") is not None:
            anki_note.tags = parse_tags(note.get("tags"))
        col.update_note(anki_note)

    # -- tags ----------------------------------------------------------------------
    @action(write=True, idempotent=True, emits=Emits("notes.updated", "note"))
    def updateNoteTags(self, note: int, tags: Union[str, List[str]]) -> None:
        """Replace all tags of a note.

        note: the note id.
        tags: the new tags (an array, or one space-separated string).

        Example: {"note": 1483959289817, "tags": ["european-languages"]} -> null
        """
        anki_note = _get_note(self.col, note)
        anki_note.tags = parse_tags(tags)
        self.col.update_note(anki_note)

    @action()
    def getNoteTags(self, note: int) -> List[str]:
        """The tags of a note.

        note: the note id.

        Example: {"note": 1483959289817} -> ["european-languages"]
        """
        return list(_get_note(self.col, note).tags)

    @action(write=True, idempotent=True, emits=Emits("notes.updated", "notes"))
    def addTags(self, notes: List[int], tags: Union[str, List[str]], add: bool = True) -> None:
        """Add tags to notes.

        notes: note ids.
        tags: space-separated tags (or an array).
        add: false removes the tags instead (an old undocumented switch).

        Example: {"notes": [1483959289817, 1483959291695], "tags": "european-languages"} -> null
        """
        text = " ".join(parse_tags(tags))
        if add:
            self.col.tags.bulk_add(unique(notes), text)
        else:
            self.col.tags.bulk_remove(unique(notes), text)

    @action(write=True, idempotent=True, emits=Emits("notes.updated", "notes"))
    def removeTags(self, notes: List[int], tags: Union[str, List[str]]) -> None:
        """Remove tags from notes.

        notes: note ids.
        tags: space-separated tags (or an array).

        Example: {"notes": [1483959289817, 1483959291695], "tags": "european-languages"} -> null
        """
        self.col.tags.bulk_remove(unique(notes), " ".join(parse_tags(tags)))

    @action()
    def getTags(self) -> List[str]:
        """Every tag of the collection.

        Example: {} -> ["european-languages", "idioms"]
        """
        return list(self.col.tags.all())

    @action(destructive=True, idempotent=True)
    def clearUnusedTags(self) -> None:
        """Forget tags that no note uses any more (as Anki's Check Database does).

        Example: {} -> null
        """
        self.col.tags.clear_unused_tags()

    @action(write=True, idempotent=True, emits=Emits("notes.updated", "notes"))
    def replaceTags(self, notes: List[int], tag_to_replace: str, replace_with_tag: str) -> None:
        """Replace one tag by another on the given notes (the tag matches in any case).

        notes: note ids.
        tag_to_replace: the tag to replace (the whole tag, not part of one).
        replace_with_tag: its replacement.

        Example: {"notes": [1483959289817, 1483959291695], "tag_to_replace": "european-languages", "replace_with_tag": "french-languages"} -> null
        """
        if notes:
            _replace_tag(self.col, unique(notes), tag_to_replace, replace_with_tag)

    @action(write=True, idempotent=True)
    def replaceTagsInAllNotes(self, tag_to_replace: str, replace_with_tag: str) -> None:
        """Replace one tag by another on every note (the tag matches in any case).

        tag_to_replace: the tag to replace (the whole tag, not part of one).
        replace_with_tag: its replacement.

        Example: {"tag_to_replace": "european-languages", "replace_with_tag": "french-languages"} -> null
        """
        nids = self.col.db.list("select id from notes")
        if nids:
            _replace_tag(self.col, nids, tag_to_replace, replace_with_tag)

    # -- finding and reading -----------------------------------------------------
    @action()
    def findNotes(self, query: Optional[str] = None) -> List[int]:
        """The ids of the notes matching an Anki search; `""` finds every note.

        query: Anki search syntax, as in the browser (left out: no notes).

        Example: {"query": "deck:current"} -> [1483959289817, 1483959291695]
        """
        if query is None:
            return []
        return _search(lambda q: find_notes(self.col, q), query, "findNotes")

    @action()
    def notesInfo(self, notes: Optional[List[int]] = None,
                  query: Optional[str] = None) -> List[Union[NoteInfo, NoNote]]:
        """Fields, tags, note type, modification time and cards of notes; `{}` for ids that do not exist.

        notes: note ids.
        query: instead of `notes`, an Anki search.

        Each entry: `{noteId, profile, tags, fields: {name: {value, order}}, modelName, mod, cards}`.

        Example: {"notes": [1502298033753]} -> [{"noteId": 1502298033753, "profile": "User 1", "tags": ["tag", "another_tag"], "fields": {"Front": {"value": "front content", "order": 0}, "Back": {"value": "back content", "order": 1}}, "modelName": "Basic", "mod": 1718377864, "cards": [1498938915662]}]
        """
        if (notes is None) == (query is None):
            raise ActionError("notesInfo: give either notes or query")
        ids = notes if notes is not None else _search(
            lambda q: find_notes(self.col, q), query, "notesInfo")
        return notes_info(self.col, ids, self.host.active_profile())

    @action()
    def notesModTime(self, notes: List[int]) -> List[Union[NoteModTime, NoNote]]:
        """When each note was last modified (seconds); `{}` for ids that do not exist.

        notes: note ids.

        Example: {"notes": [1502298033753]} -> [{"noteId": 1502298033753, "mod": 1718377864}]
        """
        return note_mod_times(self.col, notes)

    # -- deleting ------------------------------------------------------------------
    @action(destructive=True, idempotent=True, emits=Emits("notes.deleted", "notes"))
    def deleteNotes(self, notes: List[int]) -> None:
        """Delete notes and all their cards.

        notes: note ids (ids that do not exist are ignored).

        Example: {"notes": [1502298033753]} -> null
        """
        if notes:
            self.col.remove_notes(notes)

    @action(destructive=True, idempotent=True)
    def removeEmptyNotes(self) -> None:
        """Delete the notes whose fields are all empty (note types are kept).

        A field counts as empty when it holds only whitespace, `<br>` or empty `<div>`s.

        Example: {} -> null
        """
        empty = [
            nid for nid, flds in self.col.db.all("select id, flds from notes")
            if all(_EMPTY_FIELD.match(f) for f in flds.split("\x1f"))
        ]
        if empty:
            self.col.remove_notes(empty)


# ---------------------------------------------------------------------------
# Helpers


def _detail(problem: Optional[str]) -> CanAddDetail:
    return {"canAdd": True} if problem is None else {"canAdd": False, "error": problem}


def _update_tags(tags: Any) -> List[str]:
    """updateNote's `tags`: a list of strings or one string, as the reference
    takes them; anything else (null too) gets the reference's error."""
    if isinstance(tags, str) or (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        return parse_tags(tags)
    raise ActionError("Must provide tags as a list of strings")


def _note_id(obj: Any) -> int:
    nid = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(nid, float) and nid.is_integer():
        nid = int(nid)
    if not isinstance(nid, int) or isinstance(nid, bool):
        raise ActionError("note.id is required (the note id, an integer)")
    return nid


def _get_note(col: Any, nid: int) -> Any:
    try:
        return col.get_note(nid)
    except Exception:
        raise ActionError(f"Note was not found: {nid}", "not_found") from None


def _search(find: Any, query: str, name: str) -> List[int]:
    try:
        return list(find(query))
    except Exception as e:
        if type(e).__name__ == "SearchError":
            raise ActionError(f"{name}: invalid search {query!r}: {e}") from None
        if type(e).__name__ == "DBError":  # e.g. SQLite: "LIKE or GLOB pattern too complex"
            raise ActionError(f"{name}: Anki cannot run the search {_short(query)!r}: "
                              "it is too long or too complex") from None
        raise


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."



def _rust_regex_escape(text: str) -> str:
    return "".join("\\" + c if c in _RUST_REGEX_META else c for c in text)


def _replace_tag(col: Any, nids: List[int], old: str, new: str) -> None:
    """Replace the whole tag `old` (any case) by `new` on notes `nids`."""
    old, new = old.strip(), new.strip()
    if not old:
        raise ActionError("tag_to_replace must not be empty")
    if len(new.split()) > 1:
        raise ActionError(f"replace_with_tag must be one tag, without spaces: {new!r}")
    col.tags.find_and_replace(
        note_ids=nids,
        search=f"^{_rust_regex_escape(old)}$",
        replacement=new.replace("$", "$$"),
        regex=True,
        match_case=False,
    )


__all__ = ["NoteActions"]
