# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Anki's API differs between the supported versions (2.1.66 to the
newest), the difference is absorbed here, so action code never branches on
Anki's version.  Keep each shim small and say which versions need it.
This module must not import aqt at module level.
"""
from __future__ import annotations


# -- scheduling ---------------------------------------------------------------

import time as _time
from typing import Any as _Any, Callable as _Callable, List as _List
from typing import Optional as _Optional, Tuple as _Tuple


def answer_card(col: _Any, card: _Any, ease: int, millis: int) -> None:
    """Answer `card` with `ease` (1 Again .. 4 Easy) through Anki's scheduler,
    recording `millis` as the time taken.

    The v3 scheduler (the only one from 23.10; optional in 2.1.66) answers in
    the backend, which writes the review log and the undo entry.  A 2.1.66
    collection still on the v2 scheduler answers through its `answerCard`.
    """
    sched = col.sched
    card.timer_started = _time.time() - millis / 1000.0
    build = getattr(sched, "build_answer", None)
    if build is None:
        sched.reset()  # the v2 scheduler answers from its queues
        sched.answerCard(card, ease)
        return
    from anki.scheduler_pb2 import CardAnswer

    rating = (CardAnswer.AGAIN, CardAnswer.HARD, CardAnswer.GOOD, CardAnswer.EASY)[ease - 1]
    states = col._backend.get_scheduling_states(card.id)
    answer = build(card=card, states=states, rating=rating)
    answer.milliseconds_taken = millis
    sched.answer_card(answer)


def next_review_labels(col: _Any, card_id: int) -> _List[str]:
    """The answer buttons' intervals of a card (e.g. ["<1m", "<10m", "1d", "4d"]),
    as Anki's reviewer shows them, without Unicode isolation marks."""
    try:
        states = col._backend.get_scheduling_states(card_id)
        labels = col._backend.describe_next_states(states)
    except Exception:  # e.g. a card the state machine cannot describe
        return []
    return [label.replace("\u2068", "").replace("\u2069", "") for label in labels]


def fsrs_enabled(col: _Any) -> bool:
    """FSRS exists from Anki 23.10; older versions never use it."""
    try:
        return bool(col.get_config("fsrs", False))
    except Exception:
        return False


def fsrs_memory(col: _Any, card_id: int) -> _Optional[_Tuple[float, float, _Optional[float]]]:
    """(stability, difficulty, retrievability) of a card that has an FSRS
    memory state (Anki 23.10+), as Anki's card info shows them; else None."""
    try:
        stats = col.card_stats_data(card_id)
        if not stats.HasField("memory_state"):
            return None
        retrievability = (
            stats.fsrs_retrievability if stats.HasField("fsrs_retrievability") else None
        )
    except Exception:
        return None
    memory = stats.memory_state
    return memory.stability, memory.difficulty, retrievability

# ---------------------------------------------------------------------------
# Deck options groups (presets)
#
# Anki's legacy calls for options groups (decks.update_config, add_config,
# remove_config) cannot be undone, and remove_config asks the user about a
# full sync in a modal dialog.  The deck options screen's own call,
# update_deck_configs, is one undoable step; its request grew fields over the
# versions (2.1.66: apply_to_children; 23.10+: fsrs, mode, ...), so it is
# built here from what the running Anki reports.

from typing import Any, Dict, List, Sequence  # noqa: E402


def deck_config_protos(col: Any) -> Dict[int, Any]:
    """Every options group as Anki's DeckConfig message, by id."""
    current = col.decks.get_deck_configs_for_update(1)
    return {c.config.id: c.config for c in current.all_config}


def update_deck_configs(
    col: Any, target_deck_id: int, configs: List[Any], removed_ids: Sequence[int] = ()
) -> Any:
    """Save `configs` (DeckConfig messages; id 0 adds one) and remove the
    groups `removed_ids`, as Anki's deck options screen does, in one undoable
    step.  `target_deck_id` (a normal deck) is given the last of `configs`,
    as are the decks whose group is removed; the collection-wide settings and
    the target deck's own limits are kept as they are."""
    from anki.decks import UpdateDeckConfigs

    current = col.decks.get_deck_configs_for_update(target_deck_id)
    request = UpdateDeckConfigs(
        target_deck_id=target_deck_id, configs=configs, removed_config_ids=list(removed_ids)
    )
    wanted = {f.name for f in request.DESCRIPTOR.fields}
    for f in current.DESCRIPTOR.fields:
        # settings the screen sends back unchanged: card_state_customizer,
        # new_cards_ignore_review_limit and, where they exist, fsrs,
        # apply_all_parent_limits, fsrs_health_check
        value = getattr(current, f.name)
        if f.name in wanted and isinstance(value, (bool, int, float, str)):
            setattr(request, f.name, value)
    limits = request.limits
    limits.CopyFrom(current.current_deck.limits)
    # a "today only" limit that is not active now must stay inactive
    if not limits.review_today_active:
        limits.ClearField("review_today")
    if not limits.new_today_active:
        limits.ClearField("new_today")
    return col.decks.update_deck_configs(request)


# ---------------------------------------------------------------------------
# Notes

from typing import Any, Callable, Iterable, Optional, Tuple  # noqa: E402


def add_notes(col: Any, requests: Iterable[Tuple[Any, int]]) -> None:
    """Add (note, deck_id) pairs; each note gets its id.

    Anki 23.10+ adds them all in one backend call (`col.add_notes`); 2.1.66
    lacks it, so there they are added one by one (`add_each`).
    """
    requests = list(requests)
    add_many = getattr(col, "add_notes", None)
    if add_many is not None:
        from anki.collection import AddNoteRequest

        add_many([AddNoteRequest(note=note, deck_id=did) for note, did in requests])
        return
    add_each(col, requests)


def add_each(col: Any, requests: Iterable[Tuple[Any, int]],
             on_error: Optional[Callable[[Any, Exception], None]] = None) -> None:
    """Add notes one by one, each an Anki operation of its own.

    Anki keeps only its last 30 undo entries, so the operations are folded
    into one entry as they go (the caller's undo step then takes that one
    in).  `on_error(note, error)`: a note that fails is reported there and
    the others are still added; without it the first failure raises.
    """
    step = col.add_custom_undo_entry("AnkiConnect: adding notes")
    for count, (note, did) in enumerate(requests, 1):
        try:
            col.add_note(note, did)
        except Exception as e:
            if on_error is None:
                raise
            on_error(note, e)
        if count % 20 == 0:
            col.merge_undo_entries(step)
    try:
        col.merge_undo_entries(step)
    except Exception:  # nothing was added after the step
        pass


def strip_html_media(col: Any, text: str) -> str:
    """Anki's own HTML stripping that keeps media file names (as used for
    the first-field checksum and duplicate checks)."""
    from anki.collection import StripHtmlMode

    return col._backend.strip_html(text=text, mode=StripHtmlMode.PRESERVE_MEDIA_FILENAMES)


# -- sync -------------------------------------------------------------------

import inspect as _inspect


def _takes(method: _Any, name: str) -> bool:
    try:
        return name in _inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def sync_login(col: _Any, username: str, password: str, endpoint: _Any) -> _Any:
    """Log in to AnkiWeb or the sync server at `endpoint`; the SyncAuth.
    (In 2.1.66 the SyncAuth it returns does not carry the endpoint, so it is
    set here; much older Anki had no custom endpoint at all.)"""
    if not _takes(col.sync_login, "endpoint"):
        return col.sync_login(username=username, password=password)
    auth = col.sync_login(username=username, password=password, endpoint=endpoint)
    if endpoint and not auth.endpoint:
        auth.endpoint = endpoint
    return auth


def legacy_transaction(col: _Any) -> bool:
    """Anki before 23.10 keeps a DB transaction open on the Python side,
    committed by `col.autosave()`/`col.save()` (Anki's GUI autosaves after
    every operation); newer Anki commits each operation itself."""
    return hasattr(col.db, "begin")


def autosave(col: _Any) -> None:
    """Commit what the last action changed, where Anki leaves that to us."""
    if col.db is not None and legacy_transaction(col):
        col.autosave()


def sync_collection(col: _Any, auth: _Any) -> _Any:
    """A normal sync of the collection only; media is synced on its own
    afterwards (`sync_media` is a parameter since Anki 23.10)."""
    if _takes(col.sync_collection, "sync_media"):
        return col.sync_collection(auth, False)
    legacy = legacy_transaction(col)
    if legacy:  # the sync runs outside the Python side's transaction
        col.save(trx=False)
    try:
        return col.sync_collection(auth)
    finally:
        if legacy:
            col.db.begin()


def full_sync(col: _Any, auth: _Any, upload: bool) -> None:
    """Replace the server's collection (upload) or this one (download); the
    caller closes the collection for it and reopens it afterwards.
    (`full_upload_or_download` since Anki 23.10; 2.1.66 has two methods.)"""
    if hasattr(col, "full_upload_or_download"):
        col.full_upload_or_download(auth=auth, server_usn=None, upload=upload)
    elif upload:
        col.full_upload(auth)
    else:
        col.full_download(auth)


def media_sync_in_background(col: _Any) -> bool:
    """True where `col.sync_media` starts the media sync and returns, to be
    followed with `media_sync_active`; before Anki 23.10 it syncs and returns
    when done (Anki ran it on a background thread)."""
    return hasattr(col, "media_sync_status")


def media_sync_active(col: _Any) -> bool:
    """Whether a media sync started by `col.sync_media` is still running;
    raises if it failed."""
    return bool(col.media_sync_status().active)

# ---------------------------------------------------------------------------
# Anki's windows (aqt imported inside each function)

from typing import Any, List  # noqa: E402


def dialog_instance(name: str) -> Any:
    """The open instance of the aqt.dialogs window `name`, or None.

    `aqt.dialogs.getInstance` exists only since 23.10; 2.1.66 has just the
    registry itself.
    """
    import aqt

    entry = aqt.dialogs._dialogs.get(name)
    return entry[1] if entry else None


def browser_column_sorts(column: Any, notes_mode: bool) -> bool:
    """Whether the browser can sort its table by `column` (a BrowserColumns
    column) in cards or notes mode.  23.10+ tell per mode (sorting_cards,
    sorting_notes); 2.1.66 has one `sorting` for both."""
    from anki.collection import BrowserColumns

    if hasattr(column, "sorting_cards"):
        sorting = column.sorting_notes if notes_mode else column.sorting_cards
    else:
        sorting = column.sorting
    return sorting != BrowserColumns.SORTING_NONE


def reviewer_button_labels(col: Any, reviewer: Any, eases: List[int]) -> List[str]:
    """What the reviewer's answer buttons show as the next interval, per ease
    (from the states the reviewer holds, which a custom scheduling script may
    have changed).

    The v3 scheduler (every scheduler in 23.10+) describes the states the
    reviewer already holds; 2.1.66's v1/v2 schedulers compute each interval.
    """
    v3 = getattr(reviewer, "_v3", None)
    if v3 is not None and hasattr(col.sched, "describe_next_states"):
        labels = list(col.sched.describe_next_states(v3.states))
        labels = [labels[ease - 1] if 0 < ease <= len(labels) else "" for ease in eases]
    else:
        labels = [col.sched.nextIvlStr(reviewer.card, ease, True) or "" for ease in eases]
    # without Unicode isolation marks, as next_review_labels gives them
    return [label.replace("\u2068", "").replace("\u2069", "") for label in labels]


# ---------------------------------------------------------------------------
# .apkg packages


def export_deck_package(col: Any, path: str, deck_id: int, with_scheduling: bool) -> int:
    """Write deck `deck_id` (and its subdecks, with media) to the .apkg `path`.

    In the legacy format older Ankis read too.  23.10+ take an options
    message (and can leave out deck options); 2.1.66 takes keyword flags.
    Returns the number of notes written.
    """
    from anki.collection import DeckIdLimit

    limit = DeckIdLimit(deck_id=deck_id)
    try:
        from anki.collection import ExportAnkiPackageOptions
    except ImportError:  # 2.1.66
        return col.export_anki_package(
            out_path=path, limit=limit, with_scheduling=with_scheduling,
            with_media=True, legacy_support=True,
        )
    options = ExportAnkiPackageOptions(
        with_scheduling=with_scheduling, with_deck_configs=with_scheduling,
        with_media=True, legacy=True,
    )
    return col.export_anki_package(out_path=path, options=options, limit=limit)


def import_package(col: Any, path: str) -> Any:
    """Import the .apkg `path` with its scheduling and deck options, as
    Anki's import dialog does by default; returns Anki's import log.

    23.10+ take a request with options; 2.1.66 imports scheduling as the
    package has it and takes just the path.
    """
    try:
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError:  # 2.1.66
        return col.import_anki_package(path)
    options = ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True)
    return col.import_anki_package(ImportAnkiPackageRequest(package_path=path, options=options))


# -- media ------------------------------------------------------------------


def add_media_file(col: _Any, name: str, pieces: _List[bytes],
                   copied: _Optional[_Callable[[], None]] = None) -> str:
    """`col.media.write_data(name, b"".join(pieces))`, copying a large file
    once instead of three times with the interpreter lock held.  The list
    `pieces` is emptied once they are copied, and then `copied()` called
    (e.g. to give their memory back before Anki makes its own copy).

    write_data copies the data into a protobuf message and serialises that
    (two more copies, ~50 ms for 20 MB during which no other thread of Anki
    runs).  Here the serialised message, the same bytes the generated code
    would send, is built around the pieces directly and passed to the same
    backend method.  Anki 2.1.66 to 26.x have this method and message; any
    other Anki goes through write_data.
    """
    raw_call = getattr(col._backend, "add_media_file_raw", None)
    try:
        from anki import generic_pb2, media_pb2

        fields = media_pb2.AddMediaFileRequest.DESCRIPTOR.fields_by_name
        name_field, data_field = fields["desired_name"].number, fields["data"].number
    except (ImportError, AttributeError, KeyError):
        raw_call = None
    if raw_call is None:
        data = b"".join(pieces)
        pieces.clear()
        if copied:
            copied()
        return col.media.write_data(name, data)
    size = sum(len(p) for p in pieces)
    encoded_name = name.encode("utf-8")
    head = b""
    if encoded_name:  # proto3 leaves out empty fields
        head += _proto_key(name_field) + _varint(len(encoded_name)) + encoded_name
    if size:
        head += _proto_key(data_field) + _varint(size)
    message = b"".join([head, *pieces])  # (CPython lets other threads run meanwhile)
    pieces.clear()
    if copied:
        copied()
    out = generic_pb2.String()
    out.ParseFromString(raw_call(message))
    return out.val


def _proto_key(field_number: int) -> bytes:
    return _varint(field_number << 3 | 2)  # wire type 2: length-delimited


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
