# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media read from a `path` on this computer: regular files only, up to
mediaMaxDownloadBytes, never one of Anki's own files (`PrivateFiles`).
Runs on the HTTP worker, never on Anki's main thread.
"""
from __future__ import annotations

import os
import stat
from typing import Any, Dict, Optional

from ..util import ActionError


class PrivateFiles:
    """What a `path` must never name: Anki's own files.

    In Anki that is its whole data folder (the one with prefs21.db: every
    profile's collection, backups, add-ons and their config) except this
    collection's media folder; for a headless server, the collection's
    folder except its media folder.  Also the collection (and its -wal,
    -shm, -journal files) and prefs21.db themselves, by file identity, so a
    hard link elsewhere does not reach them, and the system's pseudo-files
    (/proc, /sys, /dev).
    """

    def __init__(self, col: Any) -> None:
        col_path = os.path.realpath(col.path)
        folder = os.path.dirname(col_path)
        base = os.path.dirname(folder)
        prefs = [os.path.join(base, n) for n in ("prefs21.db", "prefs.db")]
        anki_base = any(os.path.exists(p) for p in prefs)
        self.roots = [base if anki_base else folder]
        self.system = ["/proc", "/sys", "/dev"] if os.name == "posix" else []
        self.media = os.path.realpath(col.media.dir())
        self.identities = set()
        for path in [col_path + s for s in ("", "-wal", "-shm", "-journal")] + prefs:
            try:
                st = os.stat(path)
            except OSError:
                continue
            self.identities.add((st.st_dev, st.st_ino))

    def refuses(self, real: str) -> Optional[str]:
        """Why the resolved path `real` must not be read, if it must not."""
        if any(_inside(real, root) for root in self.system):
            return "it is a system file, not a media file"
        if _inside(real, self.media):
            return None
        if any(_inside(real, root) for root in self.roots):
            return ("it is one of Anki's own files (Anki's data folder and the "
                    "profile folder are off limits)")
        return None


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.normcase(path), os.path.normcase(folder).rstrip(os.sep)
    return path == folder or path.startswith(folder + os.sep)


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))


def read_path(path: str, config: Dict[str, Any], private: PrivateFiles, what: str) -> bytes:
    """The content of a regular file on this computer that is not one of
    Anki's own files, up to mediaMaxDownloadBytes."""
    refused = f"{what}: {path!r} cannot be read"
    if "\x00" in path:
        raise ActionError(f"{refused}: a path cannot contain NUL")
    real = os.path.realpath(os.path.expanduser(path))
    why = private.refuses(real)
    if why:
        raise ActionError(f"{refused}: {why}")
    limit = int(config.get("mediaMaxDownloadBytes") or 0) or None
    try:
        # Non-blocking, so a FIFO or device cannot hang the request; the
        # resolved path without following a link swapped in meanwhile.
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as e:
        raise ActionError(f"{what}: could not read {path}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ActionError(f"{refused}: it is not a regular file")
        if (st.st_dev, st.st_ino) in private.identities:
            raise ActionError(f"{refused}: it is one of Anki's own files")
        if limit and st.st_size > limit:
            raise ActionError(f"{refused}: it is larger than mediaMaxDownloadBytes ({limit} bytes)")
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        try:
            content = f.read(limit + 1 if limit else -1)
        except OSError as e:
            raise ActionError(f"{what}: could not read {path}: {e.strerror or e}") from None
    if limit and len(content) > limit:
        raise ActionError(f"{refused}: it is larger than mediaMaxDownloadBytes ({limit} bytes)")
    return content
