# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Media actions: files in the collection's media folder.

Every file name a client gives goes through `checked_media_name`
(media_source.py): only files directly inside the media folder.
"""
from __future__ import annotations

import fnmatch
import os
from typing import List, Optional, Union

from ..large_data import release_memory
from ..util import ActionError, action
from .media_source import (
    checked_media_name,
    encode_base64_file,
    md5_matches,
    media_file_path,
    pick_source,
    private_files,
    read_source_pieces,
    store_media,
    trash_media_file,
)


class MediaActions:
    @action(main_thread=False)
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

        Give the content as exactly one of `data`, `path` or `url`.  Anki may
        change the name (e.g. characters not allowed in file names); use the
        returned one.  Prefix the name with `_` to keep Anki's Check Media
        from deleting a file no note uses.

        filename: a plain file name (no folders).
        data: the content, base64-encoded.
        path: a regular file on this computer to copy, up to `mediaMaxDownloadBytes`; never one of Anki's own files (its data and profile folders), and refused when `mediaFromPath` is false in the config.
        url: an http(s) URL to download (within `webTimeout` and `mediaMaxDownloadBytes`; never from link-local or cloud metadata addresses such as 169.254.169.254, also after redirects).
        skipHash: the MD5 (hex) of content not to store: then nothing is stored and the result is `null`.
        deleteExisting: replace a different file of the same name (it goes to Anki's media trash); false keeps both, storing the new one under a changed name.

        Example: {"filename": "_hello.txt", "data": "SGVsbG8sIHdvcmxkIQ=="} -> "_hello.txt"
        """
        name = checked_media_name(filename)
        what = f"storeMediaFile {name}"
        kind, value = pick_source({"data": data, "path": path, "url": url}, what)
        private = self.on_main(lambda: private_files(self.col)) if kind == "path" else None
        content = read_source_pieces(kind, value, self.config(), what, private)
        size = sum(len(p) for p in content)
        try:
            if md5_matches(content, skipHash):
                return None
            return self._store(name, content, deleteExisting)
        finally:
            del content
            release_memory(size)

    def _store(self, name: str, content: List[bytes], delete_existing: bool) -> str:
        # Writing goes through Anki's backend, which serialises collection
        # access itself and lets other threads run while it writes, so a large
        # file does not hold Anki's main thread (as Anki's own background
        # media operations do).
        col = self.on_main(lambda: self.col)
        return store_media(col, name, content, delete_existing)

    @action(main_thread=False)
    def retrieveMediaFile(self, filename: str) -> Union[str, bool]:
        """The base64-encoded content of a media file, or `false` if there is no such file.

        filename: a plain file name (no folders).

        Example: {"filename": "_hello.txt"} -> "SGVsbG8sIHdvcmxkIQ=="
        """
        name = checked_media_name(filename)
        media_dir = self.on_main(lambda: self.col.media.dir())
        found = media_file_path(media_dir, name)
        if found is None:
            return False
        encoded = encode_base64_file(found)
        release_memory(len(encoded))
        return encoded

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

    @action(main_thread=False)
    def deleteMediaFile(self, filename: str) -> None:
        """Move a media file to Anki's media trash (a missing file is no error).

        filename: a plain file name (no folders).

        Example: {"filename": "_hello.txt"} -> null
        """
        name = checked_media_name(filename)
        col = self.on_main(lambda: self.col)  # the backend serialises access itself
        found = media_file_path(col.media.dir(), name)
        if found is not None:
            trash_media_file(col, found)
