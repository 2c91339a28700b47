# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Note actions: adding, finding, updating notes and their tags."""
from __future__ import annotations

from ..util import ActionError, action


class NoteActions:
    pass
