# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Model actions: note types, their fields, templates and styling."""
from __future__ import annotations

from ..util import ActionError, action


class ModelActions:
    pass
