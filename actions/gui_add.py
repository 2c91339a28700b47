# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graphical actions: Anki's Add window, filled in by a client.

The client's note object is the one `addNote` takes (`deckName`,
`modelName`, `fields`, `tags`, `audio`/`video`/`picture`): `build_note`
checks it, `media_fetched` fetches its media (on the HTTP worker), and
`attach_media` stores the media before the window shows the note.
"""
from __future__ import annotations

import itertools
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Annotated, Any, Dict, List, Literal, Optional, TypedDict, Union

from ..compat import dialog_instance
from ..util import ActionError, Offload, action, open_shape, wait_for
from .gui_util import bring_to_front, fail, resolve
from .note_builder import (
    MediaEntries,
    NoteBuilder,
    SkippedNames,
    attach_media,
    build_note,
    media_fetched,
)

#: How long guiAddCards waits for the Add window to show the note, in seconds.
EDITOR_LOAD_TIMEOUT = 10
#: guiAddNoteSetData's result when there is no Add window to fill.
ADD_DIALOG_CLOSED = {"error": "Add Note dialog is not open", "code": 1}

_serial = itertools.count(1)


@open_shape
class AddCardsOptions(TypedDict, total=False):
    """How guiAddCards' Add window behaves.

    closeAfterAdding: open an Add window of its own for this note, closed once the note is added (default false: Anki's shared Add window).
    waitForAdding: reply when the user adds the note (its id), or `null` when the window closes first or is filled in anew (default false: reply as soon as the window shows the note).
    """

    closeAfterAdding: bool
    waitForAdding: bool


class _AddCardsNoteRequired(TypedDict):
    modelName: str
    fields: Dict[str, str]


@open_shape
class AddCardsNote(_AddCardsNoteRequired, total=False):
    """The note the Add window opens with (guiAddCards), for the user to check and add.

    deckName: the deck (left out: the Add window's own choice).
    modelName: the note type.
    fields: field name -> content (HTML); names match exactly (others are skipped).
    tags: the note's tags: an array, or one space-separated string.
    options: how the window behaves.
    audio: a file (or an array of files) stored first and referred to as `[sound:name]` in its `fields`, as for addNote.
    video: a file (or an array of files) stored first and referred to as `[sound:name]` in its `fields`, as for addNote.
    picture: a file (or an array of files) stored first and referred to as `<img src="name">` in its `fields`, as for addNote.
    """

    deckName: str
    tags: Union[List[str], str]
    options: Optional[AddCardsOptions]
    audio: MediaEntries
    video: MediaEntries
    picture: MediaEntries


@open_shape
class AddWindowData(TypedDict, total=False):
    """What guiAddNoteSetData changes in the open Add window: only what it names.

    deckName: the deck to choose.
    modelName: the note type to switch to (Anki carries the fields over).
    fields: field name -> content (HTML), replacing the field (or appended with `append`); names match exactly, and a name the note type does not have is an error.
    tags: the tags, replacing the window's (or added with `append`): an array, or one space-separated string.
    audio: a file (or an array of files) stored first and referred to as `[sound:name]` in its `fields`, as for addNote.
    video: a file (or an array of files) stored first and referred to as `[sound:name]` in its `fields`, as for addNote.
    picture: a file (or an array of files) stored first and referred to as `<img src="name">` in its `fields`, as for addNote.
    """

    deckName: str
    modelName: str
    fields: Dict[str, str]
    tags: Union[List[str], str]
    audio: MediaEntries
    video: MediaEntries
    picture: MediaEntries


class AddWindowClosed(TypedDict):
    """guiAddNoteSetData's answer when no Add window is open (a result, not an error, as in the reference).

    error: `Add Note dialog is not open`.
    code: 1.
    """

    error: str
    code: Literal[1]


class AddCardsGui:
    @action(gui=True)
    def guiAddCards(self, note: Optional[Annotated[Dict[str, Any], AddCardsNote]] = None
                    ) -> Optional[int]:
        """Open Anki's Add window filled in with `note`, for the user to check and add.

        The window shows the note's type, deck, fields and tags (media files
        are stored first and referenced in their fields).  The reply, `null`
        as in the reference, comes as soon as the window shows the note, so
        clients never hang on the user.
        With `note.options.waitForAdding: true` the reply instead comes when
        the user adds the note: its id, or `null` when the window is closed
        without adding or another guiAddCards call fills it anew.  Calling
        again while the Add window is open refills that window; with
        `note.options.closeAfterAdding` each call opens a window of its own
        that closes once its note is added.  Without `note`, the Add window
        opens as Anki's Add button opens it.

        note: `{"deckName", "modelName", "fields": {name: value}, "tags": [...], "audio"|"video"|"picture": [{"filename", "data"|"path"|"url", "fields", "skipHash"?, "deleteExisting"?}], "options": {"closeAfterAdding": bool, "waitForAdding": bool}}`; media as for `addNote`. Field names must match exactly, as in the reference: a name the note type does not have, or has in another case, is skipped (and logged), not an error.

        Example: {"note": {"deckName": "Default", "modelName": "Cloze", "fields": {"Text": "The capital of Romania is {{c1::Bucharest}}", "Back Extra": "Romania is a country in Europe"}, "options": {"closeAfterAdding": true}, "tags": ["countries"]}} -> null
        Example: {"note": {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "front", "Back": "back"}, "options": {"waitForAdding": true}}} -> 1496198395707
        """
        self.window("guiAddCards")
        options = (note or {}).get("options") or {}
        options = options if isinstance(options, dict) else {}
        wait = bool(options.get("waitForAdding"))
        import aqt

        def show(prepared: Any) -> Any:
            mw = self.window("guiAddCards")
            if prepared is None:
                window = aqt.dialogs.open("AddCards", mw)
                bring_to_front(window)
                watched = _watch_adding(window, close_after=False) if wait else None
            else:
                attach_media(self.col, prepared)
                close_after = bool(options.get("closeAfterAdding"))
                if close_after:
                    window = _open_add_and_close(mw)
                else:
                    window = aqt.dialogs.open("AddCards", mw)
                loaded = _note_loaded(window.editor)
                window.set_note(prepared.note, prepared.deck_id)
                bring_to_front(window)
                watched = _watch_adding(window, close_after)
                if not wait:  # replied once the window shows the note, so that
                    # what the client does next (e.g. guiAddNoteSetData,
                    # loadProfile) meets a ready editor
                    return Offload(lambda: _settled(loaded, EDITOR_LOAD_TIMEOUT))
            # with waitForAdding: waits for the user, as long as the window is open
            return wait_for(watched, "guiAddCards", timeout=None) if wait else None

        if not note:
            return show(None)
        config = self.config()
        prepared = build_note(self.col, note, config, require_deck=False, exact_names=True,
                              skipped=SkippedNames(self.host.log, "guiAddCards"))
        return media_fetched(prepared, config, show)

    @action(gui=True)
    def guiAddNoteSetData(self, note: Annotated[Dict[str, Any], AddWindowData],
                          append: bool = False) -> Union[Literal[True], AddWindowClosed]:
        """Fill in the open Add window: its note type, deck, fields, tags and media; `true`, or `{"error": "Add Note dialog is not open", "code": 1}`.

        Only what `note` names changes: `modelName` switches the note type
        (Anki carries the fields over), `deckName` the deck, each field in
        `fields` is replaced (or, with `append`, added to), `tags` replace
        the tags (or, with `append`, are added).  What the user typed so far
        is kept unless a field is replaced.

        note: `{"deckName"?, "modelName"?, "fields"?: {name: value}, "tags"?: [...], "audio"|"video"|"picture"?: [...]}` as in guiAddCards, except that a field name the note type does not have (names match exactly) is an error, `Field "NAME" not found in current note`, as in the reference; in media `fields` it is skipped.
        append: add to the fields and tags instead of replacing them.

        Example: {"note": {"fields": {"Back": "more text"}, "tags": ["extra"]}, "append": true} -> true
        """

        self.window("guiAddNoteSetData")
        window = dialog_instance("AddCards")
        if window is None or getattr(window, "editor", None) is None:
            return dict(ADD_DIALOG_CLOSED)
        # what the client names, as a whole note of the window's note type
        # (or the one it switches to), checked and with its media fetched
        spec = dict(note)
        spec.setdefault("modelName", window.editor.note.note_type()["name"])
        if spec.get("fields") is None:
            spec["fields"] = {}
        config = self.config()
        builder = NoteBuilder(self.col, config, exact_names=True,
                              skipped=SkippedNames(self.host.log, "guiAddNoteSetData"))
        if isinstance(spec["modelName"], str) and isinstance(spec["fields"], dict):
            # unlike the other note actions, an unknown name is an error here
            info = builder.notetype(spec["modelName"])
            for name in spec["fields"]:
                if info.field_index(name, exact=True) is None:
                    raise ActionError(f'Field "{name}" not found in current note', "not_found")
        prepared = builder.build(spec, require_deck=False)
        info = prepared.info
        named = {info.field_index(name, exact=True) for name in spec["fields"]}  # all known

        def start(prepared: Any) -> Any:
            self.window("guiAddNoteSetData")
            window = dialog_instance("AddCards")
            if window is None:
                return dict(ADD_DIALOG_CLOSED)
            done: Future = Future()

            def apply() -> None:
                # the editor has handed what the user typed to its note
                try:
                    if dialog_instance("AddCards") is not window:
                        resolve(done, dict(ADD_DIALOG_CLOSED))
                        return
                    if "modelName" in note:
                        window.notetype_chooser.selected_notetype_id = info.id
                    if prepared.deck_id is not None:
                        window.deck_chooser.selected_deck_id = prepared.deck_id
                    editor = window.editor
                    attach_media(self.col, prepared)
                    _fill(editor.note, prepared, named, append, "tags" in note)
                    editor.loadNote()
                    bring_to_front(window)
                    # replied once the editor shows it and has reported back
                    # (a late report from before would undo the change)
                    editor.call_after_note_saved(lambda: resolve(done, True))
                except Exception as e:
                    fail(done, e)

            window.editor.call_after_note_saved(apply)
            return wait_for(done, "guiAddNoteSetData")

        return media_fetched(prepared, config, start)


def _note_loaded(editor: Any) -> Future:
    """A Future resolved once `editor` has loaded its next note (Anki's
    editor_did_load_note hook)."""
    from aqt import gui_hooks

    done: Future = Future()

    def loaded(which: Any) -> None:
        if which is editor:
            gui_hooks.editor_did_load_note.remove(loaded)
            resolve(done, None)

    gui_hooks.editor_did_load_note.append(loaded)
    return done


def _settled(future: Future, timeout: float) -> None:
    """Wait for `future` at most `timeout` seconds; the reply is null either way."""
    try:
        future.result(timeout)
    except FutureTimeout:
        pass


def _fill(target: Any, prepared: Any, named: Any, append: bool, tags: bool) -> None:
    """Put into the Add window's note `target` the fields the client named
    (replaced, or appended to), the media references and the tags."""
    source = prepared.note
    changed = set(named)
    for item in prepared.media:
        if not item.skipped:
            changed.update(item.fields)
    names = prepared.info.field_names
    for index in sorted(changed):
        name = names[index]
        if append or index not in named:
            target[name] = target[name] + source.fields[index]
        else:
            target[name] = source.fields[index]
    if tags:
        if append:
            target.tags = target.tags + [t for t in source.tags if t not in target.tags]
        else:
            target.tags = list(source.tags)


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
