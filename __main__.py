# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m ankiconnect serve ...`: the headless server (hosts/headless.py).

Run from the folder that contains this add-on folder (whatever its name), or
install it with `pip install .`, which also gives the `ankiconnect` command.
"""
import sys

from .hosts.headless import main

if __name__ == "__main__":
    sys.exit(main())
