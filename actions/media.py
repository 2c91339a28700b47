# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media actions: files in the collection's media folder."""
from __future__ import annotations

from ..util import ActionError, action


class MediaActions:
    pass
