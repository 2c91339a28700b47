# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where Anki's API differs between the supported versions (2.1.66 to the
newest), the difference is absorbed here, so action code never branches on
Anki's version.  Keep each shim small and say which versions need it.
This module must not import aqt at module level.
"""
from __future__ import annotations
