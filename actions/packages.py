# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Package actions: exporting and importing .apkg files."""
from __future__ import annotations

import os

from ..compat import export_deck_package, import_package
from ..util import ActionError, action
from .media_paths import PrivateFiles


class PackageActions:
    def _package_path(self, action: str, path: str) -> str:
        """`path` made absolute; a relative one is taken in the collection's
        media folder (where Anki's working folder used to be).  Only .apkg
        files, and never inside Anki's own folders (the collection, its
        profile, prefs21.db), so a package cannot overwrite or be read from
        Anki's own files."""
        if "\0" in path:
            raise ActionError(f"{action}: the path must not contain NUL characters")
        path = os.path.expanduser(path)
        if not os.path.isabs(path):
            path = os.path.join(self.col.media.dir(), path)
        full = os.path.abspath(path)
        if not full.lower().endswith(".apkg"):
            raise ActionError(f"{action}: the path must name an .apkg file: {path}")
        why = PrivateFiles(self.col).refuses(os.path.realpath(full))
        if why:
            raise ActionError(f"{action}: {path} is not allowed: {why}")
        return full

    @action(destructive=True, idempotent=True)
    def exportPackage(self, deck: str, path: str, includeSched: bool = False) -> bool:
        """Export deck `deck` (with its subdecks and their media) as an .apkg file; `false` if there is no such deck.

        The file is in the format older Ankis read too.  With `includeSched`
        it keeps the cards' scheduling (due dates, intervals, review
        history) and the decks' options; without, the cards arrive new.  An
        existing file at `path` is replaced.

        deck: the deck's full name.
        path: where to write the .apkg (must end in `.apkg`, outside Anki's own folders); a relative path is taken in the collection's media folder.
        includeSched: include scheduling and deck options.

        Example: {"deck": "Default", "path": "/data/Deck.apkg", "includeSched": true} -> true
        """
        col = self.col
        deck_id = col.decks.id_for_name(deck)
        if deck_id is None:
            return False
        full = self._package_path("exportPackage", path)
        folder = os.path.dirname(full)
        if not os.path.isdir(folder):
            raise ActionError(f"exportPackage: folder {folder!r} does not exist")
        export_deck_package(col, full, deck_id, includeSched)
        return True

    @action(write=True)
    def importPackage(self, path: str) -> bool:
        """Import the .apkg file at `path` into the collection, with its scheduling and deck options.

        Notes already in the collection are updated when the package's copy
        is newer, as Anki's importer does by default.  One undo step.

        path: the .apkg file; a relative path is taken in the collection's media folder.

        Example: {"path": "/data/Deck.apkg"} -> true
        """
        full = self._package_path("importPackage", path)
        if not os.path.isfile(full):
            raise ActionError(f"importPackage: no such file: {path}")
        try:
            import_package(self.col, full)
        except Exception as e:
            raise ActionError(f"importPackage: cannot import {path!r}: {e}") from None
        return True
