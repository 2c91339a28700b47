# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media file names: which a client may give, and where such a file is.

Anki itself decides the name a new file is stored under: it drops the
characters file names cannot hold (`12:30 shot.png` becomes `1230
shot.png`), and newer versions lowercase it.  So a name is refused here only
when it would leave the media folder; the actions answer the stored name.
"""
from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, List, Optional

from ..util import ActionError

#: a Windows drive prefix: `C:\` or `C:/` (`a:b.png` is a plain name)
_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
#: what Anki drops from names, as the reference strips it when looking a file up
_DROPPED_WHEN_LOOKING_UP = re.compile(r'[][><:"/?*^\\|\0\r\n]')


def checked_media_name(name: Any, what: str = "filename") -> str:
    """`name` if it names a file directly inside the media folder, else an
    error: refused are empty names, `.` and `..`, folders (`/`, `\\`, so
    also absolute paths), drive prefixes and NUL."""
    if not isinstance(name, str) or not name.strip():
        raise ActionError(f"{what} must be a non-empty file name")
    if name in (".", "..") or "/" in name or "\\" in name or "\0" in name or _DRIVE.match(name):
        raise ActionError(
            f"{what} {name!r} is not allowed: give a plain file name inside the media "
            "folder (no folders, '..', drive letters or NUL)"
        )
    return name


def media_file_path(media_dir: str, name: str) -> Optional[str]:
    """The path of media file `name` if it exists: as given, or as Anki
    would have stored it (NFC, without the characters Anki drops).

    A symbolic link in the media folder that points outside of it is refused
    (an error), so no action reads what it points to.
    """
    for path in refuse_links_out(media_dir, name):
        if os.path.isfile(path):
            return path
    return None


def refuse_links_out(media_dir: str, name: str) -> List[str]:
    """The paths media file `name` may have (as given, as Anki stores it);
    an error if one is a symbolic link to outside the media folder, which
    no action reads, writes through or removes."""
    name = checked_media_name(name)
    stored = _DROPPED_WHEN_LOOKING_UP.sub("", unicodedata.normalize("NFC", name))
    paths = [os.path.join(media_dir, n) for n in dict.fromkeys((name, stored, stored.lower())) if n]
    folder = os.path.realpath(media_dir)
    for path in paths:
        if os.path.islink(path) and os.path.dirname(os.path.realpath(path)) != folder:
            raise ActionError(
                f"media file {name!r} is a link to a file outside the media folder; "
                "AnkiConnect does not follow it"
            )
    return paths
