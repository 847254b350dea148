"""Names the OS threads (Linux comm, what `top -H`, `ps -L`, py-spy and /proc show) by role.

Python's thread names stay inside Python; the kernel sees every thread as "gunicorn" or
"python". Each pool names its threads here from inside the thread, one name per role (no
index: 15 characters is the kernel's limit, and bench/run.py adds CPU up by role).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Callable

# The roles, one name each; bench/run.py counts REQUEST, LISTENER and DB_ACK as the ack path.
REQUEST = "web-request"  # gunicorn's threads that read a request and write the answer
# Bolt's listener pool, where a Bolt app (the baselines in bench/) runs its listeners and acks;
# the bot runs its listeners on the request's own thread (bot/app.py).
LISTENER = "bolt-listener"
BACKGROUND = "bg-task"
FORMS = "slack-forms"  # views.open and what follows it, after the ack (bot/listeners/modal_opening.py)
LOOKUP = "ls-lookup"
USERS = "slack-users"
READYZ = "readyz-probe"
DB_ACK = "db-ack"  # bounded database calls made while acking (bot/delivery/outbox.py _SpareThreads)
DB_BOUNDED = "db-bounded"  # the same kind of call made off the ack path (opening a form, lookups)
GARBAGE = "gc-after-burst"  # bot/garbage.py

_PR_SET_NAME = 15
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None


_role = threading.local()


def name_this_thread(name: str) -> None:
    """Set the calling thread's OS name (a no-op off Linux), and its role (``role()``)."""
    _role.name = name
    if _libc is not None:
        _libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def role() -> str | None:
    """The role this thread was named for, if any."""
    return getattr(_role, "name", None)


def namer(name: str) -> Callable[[], None]:
    """A ThreadPoolExecutor ``initializer`` giving each of the pool's threads ``name``."""
    return lambda: name_this_thread(name)
