"""Anki's Check Database, run through a test driver (real Anki or headless)."""

#: Anki's Check Database (and SQLite's integrity check) on the open
#: collection `col`; what they found, [] when nothing.  The planner
#: statistics the check rebuilds are put back as they were, so later tests
#: of the session see the query plans they saw before.
CHECK_DATABASE = """
stats = col.db.all("select tbl, idx, stat from sqlite_stat1")
integrity = col.db.scalar("pragma integrity_check")
text, ok = col.fix_integrity()
col.db.execute("delete from sqlite_stat1")
for row in stats:
    col.db.execute("insert into sqlite_stat1 values (?, ?, ?)", *row)
col.db.execute("analyze sqlite_schema")
result = ([] if integrity == "ok" else [integrity]) + ([] if ok else [text])
"""


def check_database(server, gui: bool) -> list:
    """What Anki's Check Database finds to fix in `server`'s collection."""
    return server.driver(("col = mw.col\n" if gui else "") + CHECK_DATABASE)
