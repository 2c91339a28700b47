# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graphical actions: Anki's Add window, filled in by a client.

The client's note object is the one `addNote` takes (`deckName`,
`modelName`, `fields`, `tags`, `audio`/`video`/`picture`); the small helpers
at the bottom turn it into Anki's note and media files.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
from concurrent.futures import Future
from typing import Any, Dict, List, Optional, Tuple

from ..compat import dialog_instance
from ..util import ActionError, action
from .gui_util import bring_to_front, fail, resolve, start_and_wait

#: guiAddNoteSetData's result when there is no Add window to fill.
ADD_DIALOG_CLOSED = {"error": "Add Note dialog is not open", "code": 1}

MEDIA_KINDS = ("audio", "video", "picture")

#: One media file of a note: (kind, filename, data, fields to reference it in).
Media = Tuple[str, str, bytes, List[str]]

_serial = itertools.count(1)


class AddCardsGui:
    @action(gui=True, main_thread=False)
    def guiAddCards(self, note: Optional[Dict[str, Any]] = None) -> Optional[int]:
        """Open Anki's Add window filled in with `note`; the new note's id once the user adds it.

        The window shows the note's type, deck, fields and tags (media files
        are stored first and referenced in their fields), for the user to
        check, edit and add.  The reply comes when the user adds the note:
        its id; or `null` when the window is closed without adding, or
        another guiAddCards call fills the window anew.  Calling again while
        the Add window is open refills that window; with
        `note.options.closeAfterAdding` each call opens a window of its own
        that closes once its note is added.  Without `note`, the Add window
        opens as Anki's Add button opens it.

        note: `{"deckName", "modelName", "fields": {name: value}, "tags": [...], "audio"|"video"|"picture": [{"filename", "data"|"path"|"url", "fields", "skipHash"?}], "options": {"closeAfterAdding": bool}}`; field names match case-insensitively.

        Example: {"note": {"deckName": "Default", "modelName": "Cloze", "fields": {"Text": "The capital of Romania is {{c1::Bucharest}}", "Extra": "Romania is a country in Europe"}, "options": {"closeAfterAdding": true}, "tags": ["countries"]}} -> 1496198395707
        """
        media = fetch_media(self, "guiAddCards", note) if note else []

        def start() -> Future:
            mw = self.window("guiAddCards")
            import aqt

            if note is None:
                window = aqt.dialogs.open("AddCards", mw)
                bring_to_front(window)
                return _watch_adding(window, close_after=False)
            col = self.col
            model = find_model(col, "guiAddCards", note.get("modelName"))
            deck_id = find_deck(col, "guiAddCards", note.get("deckName"))
            plan = plan_note("guiAddCards", model, note, media)
            anki_note = col.new_note(model)
            fill_note(col, anki_note, plan, media, append=False)
            options = note.get("options") or {}
            close_after = isinstance(options, dict) and bool(options.get("closeAfterAdding"))
            if close_after:
                window = _open_add_and_close(mw)
            else:
                window = aqt.dialogs.open("AddCards", mw)
            window.set_note(anki_note, deck_id)
            bring_to_front(window)
            return _watch_adding(window, close_after)

        # waits for the user, as long as the window is open
        return start_and_wait(self, "guiAddCards", start, timeout=None)

    @action(gui=True, main_thread=False)
    def guiAddNoteSetData(self, note: Dict[str, Any], append: bool = False) -> Any:
        """Fill in the open Add window: its note type, deck, fields, tags and media; `true`, or `{"error": "Add Note dialog is not open", "code": 1}`.

        Only what `note` names changes: `modelName` switches the note type
        (Anki carries the fields over), `deckName` the deck, each field in
        `fields` is replaced (or, with `append`, added to), `tags` replace
        the tags (or, with `append`, are added).  What the user typed so far
        is kept unless a field is replaced.

        note: `{"deckName"?, "modelName"?, "fields"?: {name: value}, "tags"?: [...], "audio"|"video"|"picture"?: [...]}` as in guiAddCards.
        append: add to the fields and tags instead of replacing them.

        Example: {"note": {"fields": {"Back": "more text"}, "tags": ["extra"]}, "append": true} -> true
        """
        media = fetch_media(self, "guiAddNoteSetData", note)

        def start() -> Any:
            self.window("guiAddNoteSetData")
            window = dialog_instance("AddCards")
            if window is None or not hasattr(window, "editor"):
                return dict(ADD_DIALOG_CLOSED)
            col = self.col
            model = None
            if note.get("modelName") is not None:
                model = find_model(col, "guiAddNoteSetData", note["modelName"])
            deck_id = find_deck(col, "guiAddNoteSetData", note.get("deckName"))
            plan = plan_note(
                "guiAddNoteSetData", model or window.editor.note.note_type(), note, media
            )
            done: Future = Future()

            def apply() -> None:
                # the editor has handed what the user typed to its note
                try:
                    if dialog_instance("AddCards") is not window:
                        resolve(done, dict(ADD_DIALOG_CLOSED))
                        return
                    if model is not None:
                        window.notetype_chooser.selected_notetype_id = model["id"]
                    if deck_id is not None:
                        window.deck_chooser.selected_deck_id = deck_id
                    editor = window.editor
                    fill_note(col, editor.note, plan, media, append)
                    editor.loadNote()
                    bring_to_front(window)
                    # replied once the editor shows it and has reported back
                    # (a late report from before would undo the change)
                    editor.call_after_note_saved(lambda: resolve(done, True))
                except Exception as e:
                    fail(done, e)

            window.editor.call_after_note_saved(apply)
            return done

        return start_and_wait(self, "guiAddNoteSetData", start)


# ---------------------------------------------------------------------------
# Add windows


def _watch_adding(window: Any, close_after: bool) -> Future:
    """A Future for the id of the next note added from `window` (None if the
    window closes first or is filled in anew)."""
    from aqt import gui_hooks

    superseded = getattr(window, "_ankiconnect_finish", None)
    if superseded is not None:
        superseded(None)
    done: Future = Future()

    def added(note: Any) -> None:
        history = getattr(window, "history", None) or []
        if history and history[0] == note.id:
            finish(note.id)

    def finish(value: Optional[int]) -> None:
        if done.done():
            return
        try:
            gui_hooks.add_cards_did_add_note.remove(added)
        except ValueError:
            pass
        resolve(done, value)
        if close_after and value is not None:
            window.close()

    gui_hooks.add_cards_did_add_note.append(added)
    window.destroyed.connect(lambda *_: finish(None))
    window._ankiconnect_finish = finish
    return done


_add_and_close_class: Any = None


def _open_add_and_close(mw: Any) -> Any:
    """A new Add window of its own (not Anki's shared one), known to Anki's
    dialog manager so that closing the profile closes it too."""
    global _add_and_close_class
    import aqt

    if _add_and_close_class is None:
        from aqt.addcards import AddCards

        class AddCardsAndClose(AddCards):
            """An Add window that guiAddCards closes once its note is added."""

            def __init__(self, mw: Any, dialog_name: str) -> None:
                self.dialog_name = dialog_name
                super().__init__(mw)

            def _close(self) -> None:
                # Anki's Add window marks the shared "AddCards" closed when it
                # closes; this one is not that window, so keep its entry.
                creator, shared = aqt.dialogs._dialogs["AddCards"]
                super()._close()
                aqt.dialogs._dialogs["AddCards"] = [creator, shared]
                aqt.dialogs.markClosed(self.dialog_name)

        _add_and_close_class = AddCardsAndClose

    name = f"AnkiConnectAddCards{next(_serial)}"
    window = _add_and_close_class(mw, name)
    aqt.dialogs.register_dialog(name, _add_and_close_class, window)
    return window


# ---------------------------------------------------------------------------
# The client's note object -> Anki's note and media
# (a local helper until the notes actions' own one is shared)


def find_model(col: Any, action_name: str, name: Any) -> Any:
    """The note type called `name` (Anki's default for adding if None)."""
    if name is None:
        defaults = col.defaults_for_adding(current_review_card=None)
        return col.models.get(defaults.notetype_id)
    model = col.models.by_name(name) if isinstance(name, str) else None
    if model is None:
        raise ActionError(f"{action_name}: model was not found: {name}")
    return model


def find_deck(col: Any, action_name: str, name: Any) -> Optional[int]:
    """The id of the deck called `name` (None if `name` is None)."""
    if name is None:
        return None
    deck_id = col.decks.id_for_name(name) if isinstance(name, str) else None
    if deck_id is None:
        raise ActionError(f"{action_name}: deck was not found: {name}")
    return deck_id


def field_name(names: List[str], name: str) -> Optional[str]:
    """The note type's field `name` is meant for: exact, else ignoring case."""
    if name in names:
        return name
    lowered = name.lower()
    return next((n for n in names if n.lower() == lowered), None)


#: What to put into a note: (field values, tags or None, media target fields).
Plan = Tuple[Dict[str, str], Optional[List[str]], List[List[str]]]


def plan_note(
    action_name: str, model: Any, spec: Dict[str, Any], media: List[Media]
) -> Plan:
    """Check the client's note against note type `model`: every field it
    names exists (names match ignoring case), values are strings, tags a
    list of strings.  Nothing changes yet."""
    names = [f["name"] for f in model["flds"]]

    def target(name: Any) -> str:
        found = field_name(names, name) if isinstance(name, str) else None
        if found is None:
            raise ActionError(
                f"{action_name}: note type {model['name']!r} has no field {name!r}"
            )
        return found

    fields = spec.get("fields") or {}
    if not isinstance(fields, dict):
        raise ActionError(f"{action_name}: note fields must be an object of strings")
    values: Dict[str, str] = {}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise ActionError(f"{action_name}: field {name!r} must be a string")
        values[target(name)] = value
    tags = spec.get("tags")
    if isinstance(tags, str):
        tags = tags.split()
    if tags is not None and not (
        isinstance(tags, list) and all(isinstance(t, str) for t in tags)
    ):
        raise ActionError(f"{action_name}: note tags must be an array of strings")
    media_targets = [[target(f) for f in fields_] for _, _, _, fields_ in media]
    return values, tags, media_targets


def fill_note(col: Any, anki_note: Any, plan: Plan, media: List[Media], append: bool) -> None:
    """Put a checked plan's fields, tags and media into `anki_note`, storing
    the media files in the collection's media folder."""
    values, tags, media_targets = plan
    for name, value in values.items():
        anki_note[name] = anki_note[name] + value if append else value
    if tags is not None:
        if append:
            anki_note.tags = anki_note.tags + [t for t in tags if t not in anki_note.tags]
        else:
            anki_note.tags = list(tags)
    for (kind, filename, data, _), targets in zip(media, media_targets):
        stored = col.media.write_data(filename, data)
        reference = f'<img src="{stored}">' if kind == "picture" else f"[sound:{stored}]"
        for name in targets:
            anki_note[name] = anki_note[name] + reference


def fetch_media(conn: Any, action_name: str, spec: Any) -> List[Media]:
    """The media files the client's note names, read or downloaded (on the
    HTTP thread: a download never holds up Anki)."""
    if not isinstance(spec, dict):
        return []
    out: List[Media] = []
    for kind in MEDIA_KINDS:
        items = spec.get(kind)
        if items is None:
            continue
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise ActionError(f"{action_name}: note {kind} must be an object or an array")
        for item in items:
            got = _media_file(conn, action_name, kind, item)
            if got is not None:
                out.append(got)
    return out


def _media_file(conn: Any, action_name: str, kind: str, item: Any) -> Optional[Media]:
    if not isinstance(item, dict):
        raise ActionError(f"{action_name}: each {kind} entry must be an object")
    filename = item.get("filename")
    if not isinstance(filename, str) or not filename:
        raise ActionError(f"{action_name}: {kind} entry needs a filename")
    fields = item.get("fields") or []
    if isinstance(fields, str):
        fields = [fields]
    if not (isinstance(fields, list) and all(isinstance(f, str) for f in fields)):
        raise ActionError(f"{action_name}: {kind} fields must be an array of field names")
    config = conn.config()
    if isinstance(item.get("data"), str):
        try:
            data = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, ValueError):
            raise ActionError(f"{action_name}: {kind} {filename!r}: data is not valid base64") from None
    elif isinstance(item.get("path"), str):
        if not config.get("mediaFromPath", True):
            raise ActionError(
                f"{action_name}: reading media from a path is turned off (mediaFromPath)"
            )
        try:
            with open(item["path"], "rb") as f:
                data = f.read()
        except OSError as e:
            raise ActionError(f"{action_name}: cannot read {item['path']!r}: {e.strerror or e}") from None
    elif isinstance(item.get("url"), str):
        data = _download(action_name, item["url"], config)
    else:
        raise ActionError(f"{action_name}: {kind} {filename!r} needs data, path or url")
    skip = item.get("skipHash")
    if isinstance(skip, str) and hashlib.md5(data).hexdigest() == skip.lower():
        return None
    return kind, filename, data, list(fields)


def _download(action_name: str, url: str, config: dict) -> bytes:
    import urllib.error
    import urllib.request

    timeout = float(config.get("webTimeout") or 10000) / 1000
    limit = int(config.get("mediaMaxDownloadBytes") or 0)
    request = urllib.request.Request(url, headers={"User-Agent": "AnkiConnect"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            data = reply.read(limit + 1 if limit else -1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise ActionError(f"{action_name}: cannot download {url!r}: {reason}") from None
    if limit and len(data) > limit:
        raise ActionError(f"{action_name}: {url!r} is larger than mediaMaxDownloadBytes")
    return data
