# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Card actions: finding cards, their state and scheduling."""
from __future__ import annotations

from ..util import ActionError, action


class CardActions:
    pass
