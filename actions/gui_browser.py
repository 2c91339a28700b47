# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graphical actions: Anki's card browser."""
from __future__ import annotations

from concurrent.futures import Future
from typing import Annotated, Any, Dict, List, Literal, Optional, Tuple, TypedDict

from ..compat import browser_column_sorts, dialog_instance
from ..util import ActionError, action, open_shape, wait_for
from .gui_util import bring_to_front, fail, resolve

SORT_ORDERS = ("ascending", "descending")


@open_shape
class BrowserSort(TypedDict):
    """How guiBrowse sorts the browser's table, as a click on a column header does.

    columnId: a browser column key, such as `noteCrt`, `noteFld`, `cardDue`, `cardMod`, `cardEase`, `cardIvl`, `cardReps`, `cardLapses`, `deck`, `note`, `template`, `noteTags` (one the browser can sort by in its current mode, cards or notes).
    order: `"ascending"` or `"descending"`.
    """

    columnId: str
    order: Literal["ascending", "descending"]


class BrowserGui:
    @action(gui=True)
    def guiBrowse(
        self, query: Optional[str] = None,
        reorderCards: Optional[Annotated[Dict[str, Any], BrowserSort]] = None,
    ) -> List[int]:
        """Open Anki's browser (or bring it to the front) and search for `query`; the ids of the cards it shows.

        The search is Anki's search syntax, exactly as typed into the
        browser's search bar; an invalid one is an error and leaves the
        browser as it was.  Without `query` the browser keeps (or, newly
        opened, starts with) its own search.  `reorderCards` sorts the table
        by a column, as clicking its header does.  The result lists the
        cards in the order the browser shows them (in notes mode, each
        note's cards in turn).

        query: the search, e.g. `deck:current is:due`.
        reorderCards: `{"columnId": ..., "order": "ascending"|"descending"}`; columnId is a browser column key such as `noteCrt`, `noteFld`, `cardDue`, `cardMod`, `cardEase`, `cardIvl`, `cardReps`, `cardLapses`, `deck`, `note`, `template`, `noteTags`.

        Example: {"query": "deck:current"} -> [1494723142483, 1494703460437, 1494703479525]
        Example: {"query": "deck:Default", "reorderCards": {"columnId": "noteCrt", "order": "descending"}} -> [1494723142483, 1494703460437]
        """
        mw = self.window("guiBrowse")
        col = self.col
        search = None
        if query is not None:
            try:
                search = col.build_search_string(query)
            except Exception as e:
                raise ActionError(f"guiBrowse: invalid search {query!r}: {e}") from None
        sort = _sort_request(col, reorderCards) if reorderCards is not None else None
        import aqt

        browser = aqt.dialogs.open("Browser", mw)
        bring_to_front(browser)
        done: Future = Future()

        def show() -> None:
            # the browser's editor has saved the note it shows (as
            # Anki does before every search the user starts)
            try:
                if search is not None:
                    browser.search_for(search)
                    browser.update_history()
                if sort is not None:
                    _sort_table(browser, *sort)
                resolve(done, shown_card_ids(col, browser))
            except Exception as e:
                fail(done, e)

        browser.editor.call_after_note_saved(show)
        return wait_for(done, "guiBrowse")

    @action(gui=True)
    def guiSelectCard(self, card: int) -> bool:
        """Select the card `card` in the open browser; `false` if the browser is closed or does not show that card.

        The browser's search is kept; only its selection (and the card shown
        in its editor) changes.  In notes mode, the card's note is selected.

        card: the card id.

        Example: {"card": 1494723142483} -> true
        """
        self.window("guiSelectCard")
        return _select_card(card)

    @action(gui=True)
    def guiSelectNote(self, note: int) -> bool:
        """Deprecated alias of guiSelectCard: `note` is a card id.

        Kept for clients of older AnkiConnect versions, where this action
        took a card id despite its name.  Use guiSelectCard.

        note: the card id (not a note id).

        Example: {"note": 1494723142483} -> true
        """
        self.window("guiSelectNote")
        return _select_card(note)

    @action(gui=True)
    def guiSelectedNotes(self) -> List[int]:
        """The ids of the notes selected in the browser; `[]` if it is closed.

        Example: {} -> [1494723142483, 1494703460437]
        """
        self.window("guiSelectedNotes")
        browser = dialog_instance("Browser")
        if browser is None:
            return []
        return [int(nid) for nid in browser.selected_notes()]


def _select_card(card: int) -> bool:
    browser = dialog_instance("Browser")
    if browser is None:
        return False
    table = browser.table
    table.clear_selection()
    table.select_single_card(card)
    return card in table.get_selected_card_ids()


def shown_card_ids(col: Any, browser: Any) -> List[int]:
    """The card ids in the browser's table, in its order."""
    table = browser.table
    items = [int(i) for i in table._model._items]
    if not table.is_notes_mode() or not items:
        return items
    row_of = {nid: row for row, nid in enumerate(items)}
    from anki.utils import ids2str

    cards = col.db.all(f"select id, nid, ord from cards where nid in {ids2str(items)}")
    cards.sort(key=lambda c: (row_of[c[1]], c[2]))
    return [cid for cid, _, _ in cards]


def _sort_request(col: Any, reorder: Dict[str, Any]) -> Tuple[str, bool]:
    """Check `reorderCards`: (column key, descending)."""
    column_id = reorder.get("columnId")
    order = reorder.get("order")
    if column_id is None or order is None:
        raise ActionError('guiBrowse: reorderCards needs "columnId" and "order"')
    if order not in SORT_ORDERS:
        raise ActionError(
            f"guiBrowse: reorderCards order must be \"ascending\" or \"descending\", got {order!r}"
        )
    columns = {c.key: c for c in col.all_browser_columns()}
    if column_id not in columns:
        raise ActionError(
            f"guiBrowse: no browser column {column_id!r}; columns: {', '.join(sorted(columns))}"
        )
    if not browser_column_sorts(columns[column_id], _notes_mode(col)):
        mode = "notes" if _notes_mode(col) else "cards"
        raise ActionError(f"guiBrowse: the browser cannot sort {mode} by column {column_id!r}")
    return column_id, order == "descending"


def _notes_mode(col: Any) -> bool:
    """Whether the browser shows notes (rather than cards), as last chosen."""
    from anki.config import Config

    return col.get_config_bool(Config.Bool.BROWSER_TABLE_SHOW_NOTES_MODE)


def _sort_table(browser: Any, column_id: str, descending: bool) -> None:
    """Sort the browser's table as a click on the column header does (also
    for a column that is not shown); _sort_request has checked that the
    column sorts, so Anki's modal "cannot sort" message never comes up."""
    table = browser.table
    state = table._state
    state.sort_column = column_id
    state.sort_backwards = descending
    browser.search()
    table._set_sort_indicator()
