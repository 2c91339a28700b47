# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: one real Anki (offscreen) and one headless server, shared by the
whole test session, each started on first use.

    anki     - the running Anki process (tests/harness.py AnkiProcess): use
               `anki.driver(code)` to look at Anki's own objects.
    headless - the running headless server (harness.HeadlessProcess), started
               with its real command; `headless.driver(code)` runs code with
               its `col`.
    api      - an ApiClient, with the collection emptied first (only the
               Default deck and the stock note types remain).  Every test
               using it runs twice, against each host: test_x[gui] and
               test_x[headless].  A test that also uses `anki`, or is marked
               `@pytest.mark.gui`, runs against Anki only.

Tests that need their own Anki or server (other config, crash tests) start an
AnkiProcess or HeadlessProcess themselves and stop it.
"""
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import (  # noqa: E402
    RESET_COLLECTION,
    RESET_HEADLESS,
    AnkiProcess,
    ApiClient,
    FileServer,
    HeadlessProcess,
)

HOSTS = ("gui", "headless")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gui: needs Anki's desktop app; `api` runs against the GUI host only"
    )


def pytest_generate_tests(metafunc):
    if "api" not in metafunc.fixturenames:
        return
    gui_only = "anki" in metafunc.fixturenames or metafunc.definition.get_closest_marker("gui")
    metafunc.parametrize("api", ["gui"] if gui_only else list(HOSTS), indirect=True)


@pytest.fixture(scope="session")
def anki():
    proc = AnkiProcess()
    proc.start()
    yield proc
    proc.cleanup()


@pytest.fixture(scope="session")
def headless():
    proc = HeadlessProcess()
    proc.start()
    yield proc
    proc.cleanup()


@pytest.fixture
def api(request) -> ApiClient:
    host = getattr(request, "param", "gui")
    if host == "headless":
        server = request.getfixturevalue("headless")
        server.driver(RESET_HEADLESS)
    else:
        server = request.getfixturevalue("anki")
        server.driver(RESET_COLLECTION)
    client = server.client()
    client.host_kind = host
    yield client
    client.close()


@pytest.fixture
def web():
    """A local web site for media downloads (harness.FileServer)."""
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def config(anki):
    """Change the add-on config as Anki's config dialog does; restored after."""
    original = anki.driver("result = mw.addonManager.getConfig(ac.module)")

    def apply(**changes):
        conf = dict(original, **changes)
        anki.driver(f"import json\nconf = json.loads({json.dumps(json.dumps(conf))})\n"
                    "mw.addonManager.writeConfig(ac.module, conf)\nac.apply_config(conf)")

    yield apply
    anki.driver(f"import json\nconf = json.loads({json.dumps(json.dumps(original))})\n"
                "mw.addonManager.writeConfig(ac.module, conf)\nac.apply_config(conf)")
