# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Statistic actions: review history and counts."""
from __future__ import annotations

from ..util import ActionError, action


class StatsActions:
    pass
