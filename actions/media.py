# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media actions: files in the collection's media folder.

Every file name a client gives goes through `checked_media_name`
(media_names.py).  Reading, downloading, decoding and encoding media run on
the HTTP worker (an `Offload`), never on Anki's main thread.
"""
from __future__ import annotations

import fnmatch
import os
from typing import List, Optional, Union

from ..util import ActionError, Emits, Offload, action
from .media_names import checked_media_name, media_file_path, refuse_links_out
from .media_paths import PrivateFiles
from .media_store import (
    check_source,
    decode_base64,
    encode_base64_file,
    md5_matches,
    pick_source,
    read_source,
    store_media,
)


class MediaActions:
    @action(write=True, idempotent=True, emits=Emits("media.added", "result"))
    def storeMediaFile(
        self,
        filename: str,
        data: Optional[str] = None,
        path: Optional[str] = None,
        url: Optional[str] = None,
        skipHash: Optional[str] = None,
        deleteExisting: bool = True,
    ) -> Optional[str]:
        """Store a file in the media folder; returns the name it was stored under.

        Give the content as exactly one of `data`, `path` or `url`.  Anki
        may change the name: it drops characters file names cannot hold
        (`12:30 shot.png` is stored as `1230 shot.png`) and newer Anki
        versions lowercase it; use the returned name.  Prefix the name with
        `_` to keep Anki's Check Media from deleting a file no note uses.

        filename: a file name (no folders); Anki cleans it.
        data: the content, base64-encoded.
        path: a regular file on this computer to copy, up to `mediaMaxDownloadBytes`; never one of Anki's own files (its data and profile folders), and refused when `mediaFromPath` is false in the config.
        url: an http(s) URL to download (within `webTimeout` and `mediaMaxDownloadBytes`; never from link-local or cloud metadata addresses such as 169.254.169.254, also after redirects).
        skipHash: the MD5 (hex) of content not to store: then nothing is stored and the result is `null`.
        deleteExisting: move a file of that name to Anki's media trash first, so the new content takes the name; false keeps both, storing the new one under a changed name unless the content is the same.

        Example: {"filename": "_hello.txt", "data": "SGVsbG8sIHdvcmxkIQ=="} -> "_hello.txt"
        """
        name = checked_media_name(filename)
        what = f"storeMediaFile ({name!r})"
        kind, value = pick_source({"data": data, "path": path, "url": url}, what)
        config = self.config()
        check_source(kind, value, config, what)
        private = PrivateFiles(self.col) if kind == "path" else None
        col = self.col

        def store(content: bytes) -> Optional[str]:
            # Anki's backend serialises media calls with the collection's
            # own, so the file is stored off Anki's main thread too
            if md5_matches(content, skipHash):
                return None
            return store_media(col, name, content, deleteExisting)

        if kind == "data":  # decoded and stored on the large-data thread
            encoded = [value]  # handed over: the base64 is let go once it is decoded
            return Offload(lambda: store(decode_base64(encoded.pop(), what)), large=True)
        # read or downloaded on the worker (slow), then stored on the large-data thread
        return Offload(lambda: read_source(kind, value, config, what, private),
                       lambda content: Offload(lambda: store(content), large=True))

    @action()
    def retrieveMediaFile(self, filename: str) -> Union[str, bool]:
        """The base64-encoded content of a media file, or `false` if there is no such file.

        filename: a file name (no folders), as given to storeMediaFile or as stored.

        Example: {"filename": "_hello.txt"} -> "SGVsbG8sIHdvcmxkIQ=="
        """
        name = checked_media_name(filename)
        media_dir = self.col.media.dir()

        def read() -> Union[str, bool]:
            found = media_file_path(media_dir, name)
            return False if found is None else encode_base64_file(found)

        return Offload(read, large=True)

    @action()
    def getMediaFilesNames(self, pattern: str = "*") -> List[str]:
        """The names of the media files matching a glob pattern, sorted.

        pattern: `*` any characters, `?` one, `[abc]` one of them; matched against file names only.

        Example: {"pattern": "_hell*.txt"} -> ["_hello.txt"]
        """
        media_dir = self.col.media.dir()
        try:
            entries = list(os.scandir(media_dir))
        except OSError as e:
            raise ActionError(f"getMediaFilesNames: cannot read the media folder: {e}") from None
        hidden_too = pattern.startswith(".")  # as glob: "*" skips dot files
        return sorted(
            e.name for e in entries
            if e.is_file() and fnmatch.fnmatchcase(e.name, pattern)
            and (hidden_too or not e.name.startswith("."))
        )

    @action()
    def getMediaDirPath(self) -> str:
        """The full path of the collection's media folder.

        Example: {} -> "/home/user/.local/share/Anki2/Main/collection.media"
        """
        return os.path.abspath(self.col.media.dir())

    @action(destructive=True, idempotent=True, emits=Emits("media.deleted", "filename"))
    def deleteMediaFile(self, filename: str) -> None:
        """Move a media file to Anki's media trash (a missing file is no error).

        filename: a file name (no folders).

        Example: {"filename": "_hello.txt"} -> null
        """
        media = self.col.media
        refuse_links_out(media.dir(), filename)
        if media.have(filename):
            media.trash_files([filename])
