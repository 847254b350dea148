"""glibc's malloc as the bot runs it: without per-thread caches (tcache).

Why: a worker runs about a hundred threads (32 for requests, database helpers, the dispatcher,
lookups), and each keeps up to 7 freed chunks of every small size for itself, where no other
thread can reuse them. Over ten bursts of 200 sales that held 5–7 MB more in each worker, and
RSS kept growing. Without it, malloc's in-use total stays flat (bench/README.md, sixth round).

GLIBC_TUNABLES is read once, when a program starts: the Procfile's command sets it, and
`python -m bot` starts itself again with it. Other C libraries (musl) ignore the variable.
"""

from __future__ import annotations

from collections.abc import Mapping

VARIABLE = "GLIBC_TUNABLES"
TCACHE_OFF = "glibc.malloc.tcache_count=0"


def tuned_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """``environ`` with the tcache turned off, or None when nothing needs to change: it is
    off already, or the operator chose a tcache size of their own (theirs is kept)."""
    current = environ.get(VARIABLE, "")
    settings = [part for part in current.split(":") if part]
    if any(part.split("=", 1)[0] == "glibc.malloc.tcache_count" for part in settings):
        return None
    tuned = dict(environ)
    tuned[VARIABLE] = ":".join([*settings, TCACHE_OFF])
    return tuned
