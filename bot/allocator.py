"""glibc's malloc as the bot runs it: without per-thread caches (tcache), and with two arenas.

Why: a worker runs about a hundred threads (32 for requests, database helpers, the dispatcher,
lookups). Each kept up to 7 freed chunks of every small size for itself, where no other thread
could reuse them: over ten bursts of 200 sales that held 5–7 MB more in each worker, and RSS kept
growing. Without them, malloc's in-use total stays flat. The rest of the growth was spread over
glibc's arenas (up to 8 per core, each keeping its own free lists and high-water mark). The GIL
lets one thread run Python at a time, so two arenas leave little to contend for: measured, no
CPU cost, 5 MB less after ten bursts, and the SQLite drift down to +1.8–2.5 % from +3.1–3.5 %
(bench/README.md, sixth and seventh rounds).

GLIBC_TUNABLES is read once, when a program starts: the Procfile's command sets it, and
`python -m bot` starts itself again with it. Other C libraries (musl) ignore the variable.
"""

from __future__ import annotations

from collections.abc import Mapping

VARIABLE = "GLIBC_TUNABLES"
TCACHE_OFF = "glibc.malloc.tcache_count=0"
TWO_ARENAS = "glibc.malloc.arena_max=2"
# What the Procfile's command sets.
TUNED = f"{TCACHE_OFF}:{TWO_ARENAS}"
# glibc's older name for the arena limit: an operator who set it chose their own.
ARENA_VARIABLE = "MALLOC_ARENA_MAX"


def tuned_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """``environ`` with the bot's malloc settings added, or None when nothing needs to change.
    A setting the operator chose (the same tunable in GLIBC_TUNABLES, or MALLOC_ARENA_MAX) is
    kept, as are their other tunables."""
    settings = [part for part in environ.get(VARIABLE, "").split(":") if part]
    chosen = {part.split("=", 1)[0] for part in settings}
    if ARENA_VARIABLE in environ:
        chosen.add(TWO_ARENAS.split("=", 1)[0])
    missing = [ours for ours in (TCACHE_OFF, TWO_ARENAS) if ours.split("=", 1)[0] not in chosen]
    if not missing:
        return None
    tuned = dict(environ)
    tuned[VARIABLE] = ":".join([*settings, *missing])
    return tuned
