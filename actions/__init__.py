# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The actions, grouped by area as the API reference groups them.

Each module holds one mixin class of `@action` methods; `AnkiConnect.py`
combines them.  Action modules must not import aqt at module level (the
headless host has no aqt): GUI actions import it inside the method.
"""
