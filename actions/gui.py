# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Graphical actions: Anki's own windows, driven over the API."""
from __future__ import annotations

from ..util import ActionError, action


class GuiActions:
    pass
