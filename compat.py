# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Anki's API differs between the supported versions (2.1.66 to the
newest), the difference is absorbed here, so action code never branches on
Anki's version.  Keep each shim small and say which versions need it.
This module must not import aqt at module level.
"""
from __future__ import annotations

import inspect
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

# -- scheduling ---------------------------------------------------------------


def answer_card(col: Any, card: Any, ease: int, millis: int) -> None:
    """Answer `card` with `ease` (1 Again .. 4 Easy) through Anki's scheduler,
    recording `millis` as the time taken.

    The v3 scheduler (the only one from 23.10; optional in 2.1.66) answers in
    the backend, which writes the review log and the undo entry.  A 2.1.66
    collection still on the v2 scheduler answers through its `answerCard`.
    """
    sched = col.sched
    card.timer_started = time.time() - millis / 1000.0
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


def next_review_labels(col: Any, card_id: int) -> List[str]:
    """The answer buttons' intervals of a card (e.g. ["<1m", "<10m", "1d", "4d"]),
    as Anki's reviewer shows them, without Unicode isolation marks."""
    # Anki has no public call for a card's scheduling states; describing
    # them is public on the v3 scheduler (2.1.66 may still run v2)
    describe = getattr(col.sched, "describe_next_states", col._backend.describe_next_states)
    try:
        labels = describe(col._backend.get_scheduling_states(card_id))
    except Exception:  # e.g. a card the state machine cannot describe
        return []
    return [label.replace("\u2068", "").replace("\u2069", "") for label in labels]


def fsrs_enabled(col: Any) -> bool:
    """Whether the collection uses FSRS (Anki 23.10+; older versions never do).

    The key is looked up in the config table first: `get_config` of a key
    that was never set fails in Anki's backend, and in Anki desktop every
    such failure captures a backtrace, tens of ms each time."""
    if not col.db.scalar("select count() from config where key = 'fsrs'"):
        return False
    return bool(col.get_config("fsrs", False))


def fsrs_memory(col: Any, card_id: int) -> Optional[Tuple[float, float, Optional[float]]]:
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
    the first-field checksum and duplicate checks).  anki.utils has it too,
    but only once a language is set up for the process, which the headless
    server does not do."""
    from anki.collection import StripHtmlMode

    return col._backend.strip_html(text=text, mode=StripHtmlMode.PRESERVE_MEDIA_FILENAMES)


# -- sync -------------------------------------------------------------------



def _takes(method: Any, name: str) -> bool:
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def sync_login(col: Any, username: str, password: str, endpoint: Any) -> Any:
    """Log in to AnkiWeb or the sync server at `endpoint`; the SyncAuth.
    (In 2.1.66 the SyncAuth it returns does not carry the endpoint, so it is
    set here; much older Anki had no custom endpoint at all.)"""
    if not _takes(col.sync_login, "endpoint"):
        return col.sync_login(username=username, password=password)
    auth = col.sync_login(username=username, password=password, endpoint=endpoint)
    if endpoint and not auth.endpoint:
        auth.endpoint = endpoint
    return auth


def legacy_transaction(col: Any) -> bool:
    """Anki before 23.10 keeps a DB transaction open on the Python side,
    committed by `col.autosave()`/`col.save()` (Anki's GUI autosaves after
    every operation); newer Anki commits each operation itself."""
    return hasattr(col.db, "begin")


def autosave(col: Any) -> None:
    """Commit what the last action changed, where Anki leaves that to us."""
    if col.db is not None and legacy_transaction(col):
        col.autosave()


def sync_collection(col: Any, auth: Any) -> Any:
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


def full_sync(col: Any, auth: Any, upload: bool) -> None:
    """Replace the server's collection (upload) or this one (download); the
    caller closes the collection for it and reopens it afterwards.
    (`full_upload_or_download` since Anki 23.10; 2.1.66 has two methods.)"""
    if hasattr(col, "full_upload_or_download"):
        col.full_upload_or_download(auth=auth, server_usn=None, upload=upload)
    elif upload:
        col.full_upload(auth)
    else:
        col.full_download(auth)


def media_sync_in_background(col: Any) -> bool:
    """True where `col.sync_media` starts the media sync and returns, to be
    followed with `media_sync_active`; before Anki 23.10 it syncs and returns
    when done (Anki ran it on a background thread)."""
    return hasattr(col, "media_sync_status")


def media_sync_active(col: Any) -> bool:
    """Whether a media sync started by `col.sync_media` is still running;
    raises if it failed."""
    return bool(col.media_sync_status().active)

# ---------------------------------------------------------------------------
# Anki's windows (aqt imported inside each function)



def dialog_instance(name: str) -> Any:
    """The open instance of the aqt.dialogs window `name`, or None.

    `aqt.dialogs.getInstance` exists only since 23.10; 2.1.66 has just the
    registry itself.
    """
    import aqt

    entry = aqt.dialogs._dialogs.get(name)
    return entry[1] if entry else None


def open_dialog_names() -> List[str]:
    """The names of the aqt.dialogs windows that are open (2.1.66 has no
    public way to list them either)."""
    import aqt

    return [name for name, entry in list(aqt.dialogs._dialogs.items()) if entry and entry[1]]


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
