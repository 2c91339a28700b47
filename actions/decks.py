# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deck actions: decks, deck options groups and filtered decks."""
from __future__ import annotations

from typing import List

from ..util import ActionError, action


class DeckActions:
    @action()
    def deckNames(self) -> List[str]:
        """The names of all decks, parents before their children.

        Example: {} -> ["Default", "Japanese", "Japanese::JLPT N3"]
        """
        return [d.name for d in self.col.decks.all_names_and_ids()]
