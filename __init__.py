# AnkiConnect - drive Anki over a local HTTP API.
# Copyright (C) 2026 the AnkiConnect developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This program is free software: you can redistribute it and/or modify it
# under the terms of the GNU General Public License as published by the Free
# Software Foundation, either version 3 of the License, or (at your option)
# any later version.  See LICENSE.
"""Anki's entry point for the add-on.

Inside Anki (aqt with a main window) this starts the AnkiConnect service.
Imported anywhere else (the headless host, tests) it does nothing, so the
package's modules can be used without Anki's GUI.
"""


def _anki_main_window():
    # Anki has imported aqt before it loads add-ons; anywhere else aqt (and
    # with it Qt) is not imported at all.
    import sys

    return getattr(sys.modules.get("aqt"), "mw", None)


_mw = _anki_main_window()
if _mw is not None:
    from .hosts.gui import AnkiService

    #: the running service (tests and other add-ons can find it here)
    service = AnkiService(_mw, __name__)
