# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Many ids in SQL: `where id in (...)`, a bounded number of ids per query."""
from __future__ import annotations

from typing import Iterable, Iterator, List, Sequence

#: ids per query: far below SQLite's statement size limit
CHUNK = 20000


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """`ids` in slices of at most CHUNK."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def id_list(ids: Iterable[int]) -> str:
    """`(1,2,3)` for an SQL `in`; only integers ever reach the SQL."""
    return "(" + ",".join(str(int(i)) for i in ids) + ")"


def unique(ids: Iterable[int]) -> List[int]:
    """Ids without repeats, in order."""
    return list(dict.fromkeys(ids))
