# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""AnkiConnect's own note editor, opened by `guiEditNote`.

A window with Anki's field editor for one note at a time, plus:

- Preview: Anki's card previewer for the note's cards (< and > step through
  the sides and cards);
- Previous / Next: back and forth through the notes the window was opened
  on (each guiEditNote call adds its note to that list);
- Browse: Anki's browser, searching for the note.

Edits are saved as they are typed, as in Anki's own Edit window.  The window
is one of Anki's managed dialogs (`aqt.dialogs`): a second guiEditNote call
brings it to the front with the new note, and closing the profile closes
it.  Imported only inside Anki (it needs aqt).
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

import aqt
import aqt.editor
from anki.collection import OpChanges, SearchNode
from anki.errors import NotFoundError
from aqt import gui_hooks
from aqt.browser.previewer import MultiCardPreviewer
from aqt.qt import (
    QDialog,
    QDialogButtonBox,
    QKeySequence,
    Qt,
    QVBoxLayout,
    QWidget,
    qconnect,
)
from aqt.utils import restoreGeom, saveGeom, tooltip

DIALOG_NAME = "AnkiConnectEditNote"
GEOMETRY_KEY = "ankiconnectEditNote"


def open_note(mw: Any, note_id: int, on_shown: Optional[Callable[[], None]] = None) -> "EditNoteDialog":
    """Open the editor on `note_id` (or bring it to the front with that note);
    `on_shown` runs once the note is in the editor."""
    if DIALOG_NAME not in aqt.dialogs._dialogs:
        aqt.dialogs.register_dialog(DIALOG_NAME, EditNoteDialog)
    return aqt.dialogs.open(DIALOG_NAME, mw, note_id, on_shown)


class NotePreviewer(MultiCardPreviewer):
    """Anki's previewer over the cards of the note being edited."""

    def __init__(self, dialog: "EditNoteDialog", mw: Any, cards: List[Any]) -> None:
        self._cards = cards
        self._index = 0
        self._last_card_id = 0
        super().__init__(dialog, mw, dialog._on_preview_closed)

    def set_cards(self, cards: List[Any]) -> None:
        """Show these cards (the note's, after it changed or another note
        was chosen), from the first card's question."""
        self._cards = cards
        self._index = 0
        self._state = "question"
        self.render_card()

    def card(self) -> Any:
        return self._cards[self._index] if self._cards else None

    def card_changed(self) -> bool:
        card = self.card()
        changed = card is None or card.id != self._last_card_id
        self._last_card_id = card.id if card is not None else 0
        return changed

    def _on_prev_card(self) -> None:
        if self._index > 0:
            self._index -= 1
            self.render_card()

    def _on_next_card(self) -> None:
        if self._index < len(self._cards) - 1:
            self._index += 1
            self.render_card()

    def _should_enable_prev(self) -> bool:
        return super()._should_enable_prev() or self._index > 0

    def _should_enable_next(self) -> bool:
        return super()._should_enable_next() or self._index < len(self._cards) - 1

    def _render_scheduled(self) -> None:
        super()._render_scheduled()
        self._updateButtons()


class EditNoteDialog(QDialog):
    """Edit one note; step through the notes it was opened on."""

    def __init__(
        self, mw: Any, note_id: int, on_shown: Optional[Callable[[], None]] = None
    ) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.mw = mw
        self.col = mw.col
        self.history: List[int] = []  # the notes it was opened on, in order
        self.position = -1  # the one shown
        self.previewer: Optional[NotePreviewer] = None
        self._closed = False
        self.setWindowTitle("Edit")
        self.setMinimumWidth(400)
        self.setMinimumHeight(400)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.fields_widget = QWidget(self)
        layout.addWidget(self.fields_widget, 1)
        self.buttons = QDialogButtonBox(Qt.Orientation.Horizontal, self)
        role = QDialogButtonBox.ButtonRole.ActionRole
        self.preview_button = self.buttons.addButton("Preview", role)
        self.preview_button.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.preview_button.setToolTip("Preview the note's cards (Ctrl+Shift+P)")
        self.browse_button = self.buttons.addButton("Browse", role)
        self.browse_button.setShortcut(QKeySequence("Ctrl+B"))
        self.browse_button.setToolTip("Show the note in the browser (Ctrl+B)")
        self.previous_button = self.buttons.addButton("< Previous", role)
        self.previous_button.setShortcut(QKeySequence("Alt+Left"))
        self.previous_button.setToolTip("The note edited before (Alt+Left)")
        self.next_button = self.buttons.addButton("Next >", role)
        self.next_button.setShortcut(QKeySequence("Alt+Right"))
        self.next_button.setToolTip("The note edited after (Alt+Right)")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        for button in (self.preview_button, self.browse_button, self.previous_button,
                       self.next_button, self.close_button):
            button.setAutoDefault(False)
        layout.addWidget(self.buttons)
        qconnect(self.preview_button.clicked, self.show_preview)
        qconnect(self.browse_button.clicked, self.browse)
        qconnect(self.previous_button.clicked, self.show_previous)
        qconnect(self.next_button.clicked, self.show_next)
        qconnect(self.close_button.clicked, self.close)

        self.editor = aqt.editor.Editor(
            mw, self.fields_widget, self, editor_mode=aqt.editor.EditorMode.EDIT_CURRENT
        )
        gui_hooks.operation_did_execute.append(self._on_operation)
        restoreGeom(self, GEOMETRY_KEY)
        self.show_note(note_id, on_shown)
        self.show()

    # -- which note ----------------------------------------------------------
    def reopen(
        self, mw: Any, note_id: int, on_shown: Optional[Callable[[], None]] = None
    ) -> None:
        """aqt.dialogs.open on the open window: show `note_id` too."""
        self.show_note(note_id, on_shown)

    def show_note(self, note_id: int, on_shown: Optional[Callable[[], None]] = None) -> None:
        """Show `note_id`, adding it to the end of the notes stepped through."""
        if note_id in self.history:
            self.history.remove(note_id)
            if self.position >= len(self.history):
                self.position = len(self.history) - 1
        self.history.append(note_id)
        self._go(len(self.history) - 1, on_shown)

    def show_previous(self) -> None:
        if self.position > 0:
            self._go(self.position - 1)

    def show_next(self) -> None:
        if self.position < len(self.history) - 1:
            self._go(self.position + 1)

    def current_note_id(self) -> Optional[int]:
        note = self.editor.note
        return note.id if note is not None else None

    def _go(self, position: int, on_shown: Optional[Callable[[], None]] = None) -> None:
        """Save the note shown, then show the one at `position` in history."""

        def load() -> None:
            if self._closed:
                return
            self._load(position)
            if on_shown is not None:
                on_shown()

        self.editor.call_after_note_saved(load)

    def _load(self, position: int) -> None:
        while self.history:
            position = max(0, min(position, len(self.history) - 1))
            try:
                note = self.col.get_note(self.history[position])
            except NotFoundError:  # deleted meanwhile: forget it
                del self.history[position]
                continue
            self.position = position
            cards = note.cards()
            self.editor.card = cards[0] if cards else None
            self.editor.set_note(note, focusTo=0)
            self._update_buttons()
            self._update_preview()
            return
        self.position = -1
        self.editor.set_note(None)
        self._update_buttons()
        self.close()

    def _update_buttons(self) -> None:
        self.previous_button.setEnabled(self.position > 0)
        self.next_button.setEnabled(0 <= self.position < len(self.history) - 1)
        has_note = self.editor.note is not None
        self.preview_button.setEnabled(has_note)
        self.browse_button.setEnabled(has_note)
        if has_note and len(self.history) > 1:
            self.setWindowTitle(f"Edit ({self.position + 1} of {len(self.history)})")
        else:
            self.setWindowTitle("Edit")

    # -- preview and browse --------------------------------------------------
    def show_preview(self) -> None:
        if self.editor.note is None:
            return

        def open_preview() -> None:
            if self.editor.note is None:
                return
            if self.previewer is None:
                self.previewer = NotePreviewer(self, self.mw, self.editor.note.cards())
                self.previewer.open()
            else:
                self._update_preview()
            self.previewer.activateWindow()
            self.previewer.raise_()

        self.editor.call_after_note_saved(open_preview)

    def _update_preview(self) -> None:
        if self.previewer is not None and self.editor.note is not None:
            self.previewer.set_cards(self.editor.note.cards())

    def _on_preview_closed(self) -> None:
        self.previewer = None

    def browse(self) -> None:
        note = self.editor.note
        if note is None:
            return
        search = (SearchNode(nid=note.id),)
        self.editor.call_after_note_saved(
            lambda: aqt.dialogs.open("Browser", self.mw, search=search)
        )

    # -- changes made elsewhere ---------------------------------------------
    def _on_operation(self, changes: OpChanges, handler: Optional[object]) -> None:
        if handler is self.editor or self.editor.note is None:
            return
        if not changes.note_text:
            return
        try:
            self.editor.note.load()
        except NotFoundError:
            tooltip("The note being edited was deleted.", parent=self)
            self._load(self.position)
            return
        self.editor.set_note(self.editor.note)
        self._update_preview()

    # -- closing ---------------------------------------------------------------
    def reject(self) -> None:  # Esc
        self.close()

    def closeEvent(self, event: Any) -> None:
        if self._closed:
            event.accept()
            return
        event.ignore()
        self.editor.call_after_note_saved(self._finish_close)

    def closeWithCallback(self, on_closed: Callable[[], None]) -> None:
        """Anki's dialog manager closes the window (e.g. the profile closes)."""

        def done() -> None:
            self._finish_close()
            on_closed()

        self.editor.call_after_note_saved(done)

    def _finish_close(self) -> None:
        if self._closed:
            return
        self._closed = True
        gui_hooks.operation_did_execute.remove(self._on_operation)
        if self.previewer is not None:
            self.previewer.close()
            self.previewer = None
        self.editor.cleanup()
        saveGeom(self, GEOMETRY_KEY)
        aqt.dialogs.markClosed(DIALOG_NAME)
        self.mw.deferred_delete_and_garbage_collect(self)
        self.close()
