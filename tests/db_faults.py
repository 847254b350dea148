"""Database faults injected for real, shared by the unit and end-to-end fault tests."""

from __future__ import annotations

import contextlib
import sqlite3


@contextlib.contextmanager
def sqlite_locked(path: str):
    """Another connection holds the write lock, as a backup tool or a stuck process would."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
