# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Package actions: exporting and importing .apkg files."""
from __future__ import annotations

from ..util import ActionError, action


class PackageActions:
    pass
