# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""From a client's `note` object to an Anki note: validation, duplicate
checks and the media to attach.

A client note looks like

    {"deckName": "Default", "modelName": "Basic",
     "fields": {"Front": "...", "Back": "..."},
     "tags": ["yomitan"],
     "options": {"allowDuplicate": false, "duplicateScope": "deck",
                 "duplicateScopeOptions": {"deckName": "Default",
                                           "checkChildren": false,
                                           "checkAllModels": false}},
     "audio": [{"url": "...", "filename": "x.mp3", "skipHash": "...",
                "deleteExisting": false,
                "fields": ["Front"]}],                  # also "video", "picture"
    }

(declared for the JSON Schemas as the shapes NoteToAdd, NoteOptions,
DuplicateScopeOptions and NoteMedia below; the update and Add window
actions declare theirs beside them).

Field names are looked up as the reference add-on looks them up, through
NotetypeInfo.field_index in one of two modes: in `fields`, in any case
where a note is created (addNote, canAddNote*, updateNoteModel), exactly
where a note or the Add window is filled in (updateNoteFields, updateNote,
guiAddCards, guiAddNoteSetData); in a media entry's `fields`, always
exactly.  A name the note type does not have is skipped and logged, not
an error (guiAddNoteSetData alone refuses it, as the reference does).

Use it in three steps (the first and last on the collection's thread):

    builder = NoteBuilder(col, config)
    prepared = builder.build(note_object)     # ActionError if it is invalid
    errors = find_problems(col, [prepared])   # empty / duplicate / cloze
    fetch_media(prepared, config)             # slow: on the HTTP worker
    attach_media(col, prepared)               # stores files, inserts [sound:..]
    ... then add prepared.note to prepared.deck_id

`build` and `find_problems` have no side effect (nothing downloaded,
stored or added), which is what `canAddNotes` relies on.
"""
from __future__ import annotations

import hashlib
import html
import logging
import random
import re
import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, TypedDict, Union

from .. import compat
from ..util import ActionError, Offload, Refusal, open_shape
from .media_names import checked_media_name, refuse_links_out
from .media_paths import PrivateFiles
from .sql_ids import chunks, id_list
from .media_store import check_source, md5_matches, pick_source, read_source, store_media

#: Errors clients compare word for word.
EMPTY = "cannot create note because it is empty"
DUPLICATE = "cannot create note because it is a duplicate"

MEDIA_KINDS = ("audio", "video", "picture")

#: Where skipped field names are logged when the caller gives no logger.
_LOG = logging.getLogger("ankiconnect")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # Anki drops these from fields
_CLOZE = re.compile(r"\{\{c\d+::", re.S)
_CLOZE_FIELD = re.compile(r"\{\{[^}]*?cloze:([^}]+?)\}\}")
#: Notes by first-field checksum.  Only `csum` in the WHERE, so SQLite uses
#: the notes.csum index (with `mid = ?` too it would pick the mid index).
TWINS_SQL = "select id, mid, flds from notes where csum in {}"
#: The characters of Anki's note guids (base 91), in Anki's order.
_GUID_CHARS = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_`{|}~"
_GUID_PAIRS = [a + b for a in _GUID_CHARS for b in _GUID_CHARS]  # two digits at a time


def new_guid() -> str:
    """A random note guid in Anki's format (64 random bits in base 91)."""
    n = random.getrandbits(64) or 1
    out = []
    while n:
        n, r = divmod(n, 8281)
        out.append(_GUID_PAIRS[r])
    return "".join(reversed(out)).lstrip(_GUID_CHARS[0])


# ---------------------------------------------------------------------------
# What a client sends: the shapes of note objects (for the JSON Schemas;
# an action declares its `note` as `Annotated[Dict[str, Any], Shape]`, so
# validation checks only that it is an object and the checks below report
# the rest in the reference's words).  Open: keys they do not name are ignored.


class _NoteMediaRequired(TypedDict):
    filename: str


@open_shape
class NoteMedia(_NoteMediaRequired, total=False):
    """A media file for a note: stored in the media folder and referred to in the note's fields. Give exactly one of `data`, `path` and `url`.

    filename: the file's name in the media folder (a plain name, no folders).
    data: the file's content, base64-encoded.
    path: the path of a file on this computer to copy (refused for Anki's own files, and when the config's `mediaFromPath` is false).
    url: an http(s) URL to download the file from (at most the config's `mediaMaxDownloadBytes`).
    skipHash: an MD5 (hex): a file whose content has it is neither stored nor referred to.
    fields: the fields that get a reference to the file, `[sound:name]` (audio, video) or `<img src="name">` (picture), appended: names matched exactly (others are skipped); one name as a string, or an array; none: the file is only stored.
    deleteExisting: true replaces a file of that name; false (the default) keeps both, storing different content under a name Anki changes (the one the fields refer to).
    """

    data: str
    path: str
    url: str
    skipHash: Optional[str]
    fields: Union[List[str], str]
    deleteExisting: bool


@open_shape
class DuplicateScopeOptions(TypedDict, total=False):
    """Where duplicates are looked for.

    deckName: with `duplicateScope` "deck", the deck to look in (left out or null: the note's deck).
    checkChildren: also look in that deck's subdecks (default false).
    checkAllModels: a note of any note type can be a duplicate, not only one of the note's own type (default false).
    """

    deckName: Optional[str]
    checkChildren: bool
    checkAllModels: bool


@open_shape
class NoteOptions(TypedDict, total=False):
    """How a note is checked before it is added.

    allowDuplicate: add the note even if it is a duplicate (default false).
    duplicateScope: `"deck"` looks for duplicates in one deck (see duplicateScopeOptions); any other value, like `"collection"` (the default), in the whole collection.
    duplicateScopeOptions: the deck to look in and how.
    """

    allowDuplicate: bool
    duplicateScope: str
    duplicateScopeOptions: Optional[DuplicateScopeOptions]


#: a media key of a note: one entry or an array of them (null: none)
MediaEntries = Optional[Union[NoteMedia, List[NoteMedia]]]


class _NoteToAddRequired(TypedDict):
    deckName: str
    modelName: str
    fields: Dict[str, str]


@open_shape
class NoteToAdd(_NoteToAddRequired, total=False):
    """A note to add (addNote, addNotes, canAddNote and the like).

    deckName: the deck the note's cards go to.
    modelName: the note type.
    fields: field name -> content (HTML); names match in any case (of two names for one field, the later one wins); a name the note type does not have is skipped.
    tags: the note's tags: an array, or one space-separated string.
    options: how duplicates are checked.
    audio: a file (or an array of files) referred to as `[sound:name]` in its `fields`.
    video: a file (or an array of files) referred to as `[sound:name]` in its `fields`.
    picture: a file (or an array of files) referred to as `<img src="name">` in its `fields`.
    """

    tags: Union[List[str], str]
    options: Optional[NoteOptions]
    audio: MediaEntries
    video: MediaEntries
    picture: MediaEntries


# ---------------------------------------------------------------------------
# What a client note becomes


@dataclass
class MediaItem:
    """One audio/video/picture entry of a client note."""

    kind: str  # "audio", "video" or "picture"
    filename: str
    source: str  # "data", "path" or "url"
    location: str  # the base64 text, the file path or the URL
    skip_hash: Optional[str]
    fields: List[int]  # indexes of the fields that get a reference to it
    delete_existing: bool = False  # replace a file of that name (default: keep both)
    content: Optional[bytes] = None  # set by fetch_media
    skipped: bool = False  # its MD5 was skip_hash: neither stored nor referenced
    private: Any = None  # for a path: Anki's own files, never read (media_paths.PrivateFiles)

    @property
    def what(self) -> str:
        return f"{self.kind} {self.filename}"

    def reference(self, stored_name: str) -> str:
        """How a field refers to the stored file."""
        if self.kind == "picture":
            return f'<img src="{html.escape(stored_name)}">'
        return f"[sound:{stored_name}]"


@dataclass
class DuplicateScope:
    """Where a note must not have a twin."""

    deck_ids: Optional[Set[int]] = None  # None: the whole collection
    all_note_types: bool = False  # compare with notes of every note type


@dataclass
class PreparedNote:
    """A validated client note: an unsaved Anki note and what goes with it."""

    note: Any  # anki.notes.Note, not yet in the collection
    deck_id: Optional[int]
    info: "NotetypeInfo"
    media: List[MediaItem] = field(default_factory=list)
    allow_duplicate: bool = False
    scope: DuplicateScope = field(default_factory=DuplicateScope)

    @property
    def notetype(self) -> Dict[str, Any]:
        return self.info.notetype

    @property
    def notetype_id(self) -> int:
        return self.info.id


class NotetypeInfo:
    """What building notes needs from one note type (cached per batch)."""

    def __init__(self, col: Any, notetype: Dict[str, Any]) -> None:
        self.notetype = notetype
        self.id = notetype["id"]
        self.name = notetype["name"]
        self.field_names = [f["name"] for f in notetype["flds"]]
        self._by_name = {name: i for i, name in enumerate(self.field_names)}
        self._by_lower: Dict[str, int] = {}
        for i, name in enumerate(self.field_names):
            self._by_lower.setdefault(name.lower(), i)
        self.is_cloze = notetype.get("type") == 1
        self.cloze_fields = sorted({
            self._by_lower[m.lower()]
            for t in notetype.get("tmpls", [])
            for m in _CLOZE_FIELD.findall(t.get("qfmt", ""))
            if m.lower() in self._by_lower
        }) or [0]
        self._col = col
        self._template: Any = None

    def field_index(self, name: Any, exact: bool) -> Optional[int]:
        """The index of the field called `name`, or None when this note type
        has no such field (callers skip it).

        exact: True, the name must match exactly; False, in any case (as
        `str.lower()` compares: the first field whose lower case is the same).
        """
        if not isinstance(name, str):
            return None
        if exact:
            return self._by_name.get(name)
        return self._by_lower.get(name.lower())

    def new_note(self) -> Any:
        """A fresh unsaved note of this type (cheaper than col.new_note)."""
        if self._template is None:
            self._template = self._col.new_note(self.notetype)
        template = self._template
        note = type(template).__new__(type(template))
        note.__dict__.update(template.__dict__)
        note.guid = new_guid()
        note.fields = [""] * len(self.field_names)
        note.tags = []
        return note


class SkippedNames:
    """Says in the log which field names a request skipped (never in the
    reply): once per note type and name, however many notes name it."""

    def __init__(self, log: Any = None, action: str = "") -> None:
        self.log = log or _LOG
        self.action = action or "note"
        self._seen: Set[Tuple[Any, ...]] = set()

    def __call__(self, info: NotetypeInfo, name: Any, exact: bool, media: str = "") -> None:
        """Field `name` was skipped: `info`'s note type has no such field
        (media: the media entry whose `fields` named it)."""
        key = (info.id, repr(name), exact, bool(media))
        if key in self._seen:
            return
        self._seen.add(key)
        shown = repr(name)
        if len(shown) > 80:
            shown = shown[:80] + "..."
        self.log.info("%s: %sfield %s skipped: note type %r has no field of that name "
                      "(%sits fields: %s)", self.action, f"{media}: " if media else "",
                      shown, info.name, "names match exactly here; " if exact else "",
                      ", ".join(info.field_names))


# ---------------------------------------------------------------------------
# Building


class NoteBuilder:
    """Turns client note objects into PreparedNotes; caches decks and note
    types, so build one builder per batch (on the collection's thread)."""

    def __init__(self, col: Any, config: Optional[Dict[str, Any]] = None, *,
                 exact_names: bool = False, skipped: Optional[SkippedNames] = None) -> None:
        """exact_names: `fields` names must match exactly (else in any case);
        skipped: logs the names skipped (default: the "ankiconnect" logger)."""
        self.col = col
        self.config = config or {}
        self.exact_names = exact_names
        self.skipped = skipped or SkippedNames()
        self._decks: Dict[str, Optional[int]] = {}
        self._children: Dict[int, Set[int]] = {}
        self._notetypes: Dict[str, Optional[NotetypeInfo]] = {}

    # -- lookups ---------------------------------------------------------------
    def deck_id(self, name: str) -> Optional[int]:
        if name not in self._decks:
            self._decks[name] = self.col.decks.id_for_name(name)
        return self._decks[name]

    def notetype(self, name: str) -> NotetypeInfo:
        if name not in self._notetypes:
            nt = self.col.models.by_name(name)
            self._notetypes[name] = NotetypeInfo(self.col, nt) if nt else None
        info = self._notetypes[name]
        if info is None:
            raise ActionError(f"model was not found: {name}", "not_found")
        return info

    def notetype_by_id(self, notetype_id: int) -> NotetypeInfo:
        key = f"\0{notetype_id}"
        if key not in self._notetypes:
            nt = self.col.models.get(notetype_id)
            self._notetypes[key] = NotetypeInfo(self.col, nt) if nt else None
        info = self._notetypes[key]
        if info is None:
            raise ActionError(f"model was not found: {notetype_id}", "not_found")
        return info

    def _deck_and_children(self, deck_id: int) -> Set[int]:
        if deck_id not in self._children:
            self._children[deck_id] = set(self.col.decks.deck_and_child_ids(deck_id))
        return self._children[deck_id]

    # -- the note ------------------------------------------------------------------
    def build(self, obj: Any, *, require_deck: bool = True) -> PreparedNote:
        """Validate client note `obj`; the result is not added anywhere yet.

        require_deck: False lets `deckName` be left out (deck_id is then None),
        e.g. for a GUI dialog that picks its own deck.
        """
        if not isinstance(obj, dict):
            raise ActionError("note must be an object")
        model_name = obj.get("modelName")
        if not isinstance(model_name, str):
            raise ActionError("note: modelName is required (a string)")
        deck_name = obj.get("deckName")
        deck_id = None
        if deck_name is not None or require_deck:
            if not isinstance(deck_name, str):
                raise ActionError("note: deckName is required (a string)")
            deck_id = self.deck_id(deck_name)
            if deck_id is None:
                raise ActionError(f"deck was not found: {deck_name}", "not_found")
        info = self.notetype(model_name)
        fields = obj.get("fields")
        if not isinstance(fields, dict):
            raise ActionError("note: fields is required (an object of field name: value)")
        note = info.new_note()
        set_fields(note, info, fields, exact=self.exact_names, skipped=self.skipped)
        note.tags = parse_tags(obj.get("tags"))
        prepared = PreparedNote(note=note, deck_id=deck_id, info=info)
        self._options(prepared, obj.get("options"), deck_name)
        prepared.media = parse_media(obj, info, self.config, skipped=self.skipped)
        return prepared

    def _options(self, prepared: PreparedNote, options: Any, deck_name: Optional[str]) -> None:
        if options is None:
            return
        if not isinstance(options, dict):
            raise ActionError("note: options must be an object")
        prepared.allow_duplicate = bool(options.get("allowDuplicate", False))
        scope_options = options.get("duplicateScopeOptions") or {}
        if not isinstance(scope_options, dict):
            raise ActionError("note: options.duplicateScopeOptions must be an object")
        scope = DuplicateScope(all_note_types=bool(scope_options.get("checkAllModels", False)))
        if options.get("duplicateScope") == "deck":
            name = scope_options.get("deckName") or deck_name
            deck_id = self.deck_id(name) if isinstance(name, str) else None
            if deck_id is None:
                scope.deck_ids = set()  # a deck that does not exist holds no twin
            elif scope_options.get("checkChildren", False):
                scope.deck_ids = self._deck_and_children(deck_id)
            else:
                scope.deck_ids = {deck_id}
        prepared.scope = scope


def build_note(col: Any, obj: Any, config: Optional[Dict[str, Any]] = None,
               *, require_deck: bool = True, exact_names: bool = False,
               skipped: Optional[SkippedNames] = None) -> PreparedNote:
    """Validate one client note (see NoteBuilder and its build); no side effect."""
    builder = NoteBuilder(col, config, exact_names=exact_names, skipped=skipped)
    return builder.build(obj, require_deck=require_deck)


def field_value(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ActionError(f"field {name} must be a string")


def set_fields(note: Any, info: NotetypeInfo, fields: Dict[str, Any], *, exact: bool,
               skipped: Optional[SkippedNames] = None) -> None:
    """Put client `fields` into `note`.

    exact: names must match exactly, else in any case (two names for one
    field: the later one wins).  Names the note type does not have are
    skipped and logged.
    """
    for name, value in fields.items():
        index = info.field_index(name, exact)
        if index is None:
            (skipped or SkippedNames())(info, name, exact)
        else:
            note.fields[index] = field_value(name, value)


def parse_tags(tags: Any) -> List[str]:
    """A client's tags: an array of strings (or one space-separated string)."""
    if tags is None:
        return []
    if isinstance(tags, str):
        return tags.split()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ActionError("note: tags must be an array of strings")
    out: List[str] = []
    for tag in tags:
        out.extend(tag.split())
    return out


def has_media(obj: Any) -> bool:
    """Whether a client note object carries audio, video or picture entries."""
    return isinstance(obj, dict) and any(obj.get(kind) for kind in MEDIA_KINDS)


def parse_media(obj: Dict[str, Any], info: NotetypeInfo, config: Dict[str, Any], *,
                skipped: Optional[SkippedNames] = None) -> List[MediaItem]:
    """The audio/video/picture entries of a client note (nothing is read yet).

    The names in an entry's `fields` must match exactly; the others are
    skipped and logged (the file is stored all the same).  `deleteExisting`
    (default false, as the reference passes it on): replace a file of that
    name instead of keeping both.
    """
    items: List[MediaItem] = []
    for kind in MEDIA_KINDS:
        entries = obj.get(kind)
        if not entries:
            continue
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, list):
            raise ActionError(f"note: {kind} must be an object or an array of objects")
        for entry in entries:
            if not isinstance(entry, dict):
                raise ActionError(f"note: {kind} must be an object or an array of objects")
            filename = checked_media_name(entry.get("filename"), f"{kind} filename")
            what = f"{kind} {filename}"
            source, location = pick_source(entry, what)
            check_source(source, location, config, what)
            skip_hash = entry.get("skipHash")
            if skip_hash is not None and not isinstance(skip_hash, str):
                raise ActionError(f"{what}: skipHash must be a string (an MD5 in hex)")
            targets = entry.get("fields") or []
            if isinstance(targets, str):
                targets = [targets]
            if not isinstance(targets, list):
                raise ActionError(f"{what}: fields must be an array of field names")
            indexes = []
            for name in targets:
                index = info.field_index(name, exact=True)
                if index is None:
                    (skipped or SkippedNames())(info, name, True, what)
                elif index not in indexes:
                    indexes.append(index)
            private = PrivateFiles(info._col) if source == "path" else None
            items.append(MediaItem(kind, filename, source, location, skip_hash, indexes,
                                   delete_existing=bool(entry.get("deleteExisting")),
                                   private=private))
    return items


# ---------------------------------------------------------------------------
# Checks: empty, cloze, duplicates (in bulk)


def first_field_key(col: Any, text: str, normalize: bool) -> str:
    """The first field as Anki compares it for duplicates: control characters
    dropped, NFC (unless the collection turned that off), HTML stripped but
    media file names kept."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if normalize and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return strip_html_media(col, text)


def strip_html_media(col: Any, text: str) -> str:
    if "<" not in text and "&" not in text:
        return text  # nothing Anki would strip or decode
    return compat.strip_html_media(col, text)


def checksum(key: str) -> int:
    """Anki's notes.csum of a first field key."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:4], "big")


def normalizes_text(col: Any) -> bool:
    try:
        from anki.collection import Config

        return col.get_config_bool(Config.Bool.NORMALIZE_NOTE_TEXT)
    except Exception:
        return True


def cloze_problem(prepared: PreparedNote) -> Optional[str]:
    """Why a note of a cloze note type has no card to make, if it has none."""
    info, fields = prepared.info, prepared.note.fields
    if any(_CLOZE.search(fields[i]) for i in info.cloze_fields if i < len(fields)):
        return None
    where = " or ".join(info.field_names[i] for i in info.cloze_fields)
    return (f"cannot create note because it has no cloze deletion: note type "
            f"{info.name} needs one like {{{{c1::text}}}} in {where}")


def find_problems(col: Any, notes: Sequence[Optional[PreparedNote]],
                  within_batch: bool = False) -> List[Optional[Refusal]]:
    """Why each note could not be added (None: it can), checked in bulk.

    A note is refused when its first field is empty, when a cloze note type
    has no cloze, or (unless it allows duplicates) when a note of the same
    note type (any note type with checkAllModels) in its scope has the same
    first field.  `within_batch`: a note is also a duplicate of an earlier
    note of `notes` that can be added, as when they are added one by one.
    Entries that are None stay None.
    """
    normalize = normalizes_text(col)
    problems: List[Optional[Refusal]] = [None] * len(notes)
    keys: List[Optional[str]] = [None] * len(notes)
    for i, p in enumerate(notes):
        if p is None:
            continue
        key = first_field_key(col, p.note.fields[0] if p.note.fields else "", normalize)
        if not key.strip():
            problems[i] = Refusal(EMPTY, "empty_note")
            continue
        if p.info.is_cloze:
            problem = cloze_problem(p)
            if problem:
                problems[i] = Refusal(problem, "empty_note")
                continue
        keys[i] = key
    checked = [i for i, p in enumerate(notes)
               if p is not None and keys[i] is not None and not p.allow_duplicate]
    existing = _existing_twins(col, {checksum(keys[i]) for i in checked},
                               any(notes[i].scope.deck_ids is not None for i in checked))
    batch: Dict[str, List[Tuple[int, Optional[int], Optional[int]]]] = {}
    for i, p in enumerate(notes):
        key = keys[i]
        if p is None or key is None or problems[i]:
            continue
        if not p.allow_duplicate:
            twins = existing.get(key, []) + batch.get(key, [])
            twin = next((t for t in twins if _is_twin(p, t[0], t[1])), None)
            if twin is not None:  # (a twin earlier in the batch has no id yet)
                detail = {"existingNoteId": twin[2]} if twin[2] else {}
                problems[i] = Refusal(DUPLICATE, "duplicate", **detail)
                continue
        if within_batch:
            batch.setdefault(key, []).append((p.notetype_id, p.deck_id, None))
    return problems


def _is_twin(p: PreparedNote, mid: int, decks: Any) -> bool:
    if mid != p.notetype_id and not p.scope.all_note_types:
        return False
    if p.scope.deck_ids is None:
        return True
    if isinstance(decks, int) or decks is None:  # a note of this batch: its deck
        return decks in p.scope.deck_ids
    return not decks.isdisjoint(p.scope.deck_ids)


def _existing_twins(col: Any, checksums: Set[int], need_decks: bool) -> Dict[str, list]:
    """Notes whose first field has one of `checksums`: key -> [(mid, deck ids, id)].

    One query (TWINS_SQL) per sql_ids.CHUNK checksums, and one for their cards'
    decks when a deck scope needs them.
    """
    rows: List[Any] = []
    ordered = sorted(checksums)
    for chunk in chunks(ordered):
        rows.extend(col.db.all(TWINS_SQL.format(id_list(chunk))))
    decks: Dict[int, Set[int]] = {}
    if need_decks and rows:
        ids = [r[0] for r in rows]
        for chunk in chunks(ids):
            for nid, did, odid in col.db.all(
                f"select nid, did, odid from cards where nid in {id_list(chunk)}"
            ):
                s = decks.setdefault(nid, set())
                s.add(did)
                if odid:
                    s.add(odid)
    out: Dict[str, list] = {}
    for nid, mid, flds in rows:
        key = strip_html_media(col, flds.split("\x1f", 1)[0])
        out.setdefault(key, []).append((mid, decks.get(nid, set()), nid))
    return out


# ---------------------------------------------------------------------------
# Media: fetching (worker thread) and attaching (collection thread)


def fetch_media(prepared: PreparedNote, config: Dict[str, Any]) -> None:
    """Read or download each media item of `prepared` (slow: not on the main
    thread); items whose MD5 is their skipHash are marked skipped.  A failure
    raises an ActionError naming the item."""
    for item in prepared.media:
        if item.content is not None or item.skipped:
            continue
        content = read_source(item.source, item.location, config, item.what, item.private)
        if md5_matches(content, item.skip_hash):
            item.skipped = True
        else:
            item.content = content


def needs_fetch(prepared: Any) -> bool:
    """Whether a prepared note has media to read, download or decode."""
    return isinstance(prepared, PreparedNote) and any(
        m.content is None and not m.skipped for m in prepared.media)


def only_base64_to_fetch(notes: Sequence[Any]) -> bool:
    """Whether the media still to fetch for `notes` is all base64 data
    (decoded on the large-data thread; paths and URLs are read on a worker)."""
    return all(m.source == "data" for p in notes if isinstance(p, PreparedNote)
               for m in p.media if m.content is None and not m.skipped)


def media_fetched(prepared: PreparedNote, config: Dict[str, Any],
                  then: Callable[[PreparedNote], Any]) -> Any:
    """`then(prepared)` once its media is fetched: at once when there is
    nothing to fetch, else an Offload that fetches off the collection's
    thread first."""
    if not needs_fetch(prepared):
        return then(prepared)
    return Offload(lambda: fetch_media(prepared, config), lambda _: then(prepared),
                   large=only_base64_to_fetch([prepared]))


def attach_media(col: Any, prepared: PreparedNote) -> None:
    """Store the fetched media of `prepared` and add references to its fields
    (each item replaces a file of its name, or keeps both, as it says).

    Items with no content yet are read here (data only; paths and URLs must
    have been fetched with fetch_media first).  Everything that can fail
    (bad base64, a link out of the media folder) is checked for every item
    before the first file is stored, so a failing note stores nothing.
    """
    media_dir = col.media.dir()
    ready = []
    for item in prepared.media:
        if item.skipped:
            continue
        refuse_links_out(media_dir, item.filename)
        if item.content is None:
            if item.source != "data":
                raise ActionError(f"{item.what}: not fetched")
            item.content = read_source(item.source, item.location, {}, item.what)
            if md5_matches(item.content, item.skip_hash):
                item.skipped = True
                continue
        ready.append(item)
    for item in ready:
        stored = store_media(col, item.filename, item.content or b"", item.delete_existing)
        for index in item.fields:
            prepared.note.fields[index] += item.reference(stored)


__all__ = [
    "NoteMedia", "DuplicateScopeOptions", "NoteOptions", "MediaEntries", "NoteToAdd",
    "EMPTY", "DUPLICATE", "MediaItem", "DuplicateScope", "PreparedNote", "NotetypeInfo",
    "SkippedNames", "NoteBuilder", "build_note", "set_fields", "parse_tags", "parse_media",
    "has_media", "find_problems", "fetch_media", "needs_fetch", "only_base64_to_fetch",
    "media_fetched", "attach_media", "checksum", "first_field_key",
]
