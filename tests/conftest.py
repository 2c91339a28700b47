# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: one real Anki (offscreen) shared by the whole test session.

    anki  - the running Anki process (tests/harness.py AnkiProcess): use
            `anki.driver(code)` to look at Anki's own objects.
    api   - an ApiClient for that Anki, with the collection emptied first
            (only the Default deck and the stock note types remain).

Tests that need their own Anki (other config, crash tests) start an
AnkiProcess themselves and stop it.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import RESET_COLLECTION, AnkiProcess, ApiClient  # noqa: E402


@pytest.fixture(scope="session")
def anki():
    proc = AnkiProcess()
    proc.start()
    yield proc
    proc.cleanup()


@pytest.fixture
def api(anki) -> ApiClient:
    anki.driver(RESET_COLLECTION)
    client = anki.client()
    yield client
    client.close()
