"""Where a worker's CPU goes on the ack path: the bot's WSGI app, built in this process against
the stand-ins, answers N signed requests of each kind (slash command, block_suggestion,
view_submission) under cProfile in every thread (the bot runs its listeners on the request's
thread; the bare app, as Bolt does by default, on its listener pool), timed by each thread's CPU clock.

    python -m bench.profile_ack [--requests 200] [--kind slash|suggest|submit] [--top 40]

The requests go straight into the WSGI callable (no gunicorn, no sockets): what is left is
ours and Bolt's. Compare with ``--bare`` (bench/bare_app.py's Bolt app, which only acks).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import harness as h
from bot import thread_names
from tests import slack_requests as sr


def environ_for(body: str) -> dict:
    data = body.encode()
    headers = sr.sign(h.SIGNING_SECRET, body)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def call(app, body: str) -> str:
    status = []
    chunks = app(environ_for(body), lambda s, headers, exc_info=None: status.append(s))
    b"".join(chunks)
    return status[0] if status else "?"


def bodies(standins: h.StandIns, kind: str, n: int) -> list[str]:
    user = h.user_id(0)
    if kind == "slash":
        return [h.slash_body(standins, h.user_id(i % 50)) for i in range(n)]
    if kind == "submit":
        return [h.submission_body(standins, user, 30000 + i) for i in range(n)]
    out = []
    for i in range(n):
        payload = sr.block_suggestion_payload(
            action_id="lead",
            block_id="lead",
            value="asha"[: 1 + i % 4],
            user_id=user,
            private_metadata=h.private_metadata(standins, user),
        )
        out.append(sr.form_body_for_payload(payload))
    return out


def ack_path_cpu() -> dict[str, float]:
    """CPU seconds so far of this (the main) thread, which stands in for gunicorn's request thread,
    of Bolt's listener threads (the bare app's) and of the bounded database calls made for an ack."""
    mine = h.task_seconds(Path(f"/proc/self/task/{threading.get_native_id()}"))
    threads = h.process_thread_cpu(os.getpid())
    listeners = threads.get(thread_names.LISTENER, 0.0)
    database = threads.get(thread_names.DB_ACK, 0.0)
    return {"request (main thread)": mine, thread_names.LISTENER: listeners, thread_names.DB_ACK: database}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--kind", choices=("slash", "suggest", "submit"), default="slash")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--bare", action="store_true", help="profile bench/bare_app.py instead (slash only)")
    parser.add_argument("--dump", metavar="PATH", help="also write the merged profile (pstats) to PATH")
    parser.add_argument("--no-profile", action="store_true", help="only the ack-path CPU, without cProfile's cost")
    args = parser.parse_args(argv)
    # This thread stands in for gunicorn's request thread: the bot's listeners run on it, and its
    # bounded database calls go where a request thread's do (db-ack).
    thread_names.name_this_thread(thread_names.REQUEST)

    standins = h.start_standins(users=50, search_leads=2)
    # Under cProfile N requests take longer than Slack's 3 s per trigger id; an expired one would
    # profile the "couldn't open the form" reply instead of views.open.
    standins.slack.trigger_ttl = 3600
    workdir = Path(tempfile.mkdtemp(prefix="logsale-profile-"))
    env = h.server_env(standins, f"sqlite:///{workdir / 'logsale.db'}", 1)
    env["LOG_LEVEL"] = "INFO"
    os.environ.update(env)

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def profile_this_thread(*_):
        sys.setprofile(None)
        if threading.current_thread().name.startswith("Thread-"):
            return  # the stand-ins' request threads: not the bot's CPU
        profile = cProfile.Profile(time.thread_time)  # CPU, not waiting
        with lock:
            profiles.append(profile)
        profile.enable()

    if not args.no_profile:
        threading.setprofile(profile_this_thread)  # every thread the app starts (its pools included)
    if args.bare:
        from bench.bare_app import application as app
    else:
        from bot.config import Settings
        from bot.web import create_wsgi_app

        app = create_wsgi_app(Settings.from_env())
    prepared = bodies(standins, args.kind, args.requests + 10)
    for body in prepared[:10]:  # warm caches and pools
        call(app, body)
    time.sleep(1.0)
    for profile in profiles:
        profile.clear()  # the warm-up's calls
    main_profile = cProfile.Profile(time.thread_time)  # CPU, not waiting
    cpu = time.process_time()
    # The ack path here: this thread (gunicorn's request thread's part) and Bolt's listener threads.
    ack_before = ack_path_cpu()
    if not args.no_profile:
        main_profile.enable()
    statuses: dict[str, int] = {}
    for body in prepared[10:]:
        status = call(app, body)
        statuses[status] = statuses.get(status, 0) + 1
    main_profile.disable()
    time.sleep(1.0)  # listeners finishing after their acks
    cpu = time.process_time() - cpu
    ack = {
        name: (seconds - ack_before.get(name, 0.0)) * 1000 / args.requests for name, seconds in ack_path_cpu().items()
    }
    print(
        f"ack path, ms per request: {sum(ack.values()):.3f} (" + ", ".join(f"{k} {v:.3f}" for k, v in ack.items()) + ")"
    )
    if args.no_profile:
        standins.stop()
        os._exit(0)
    stats = pstats.Stats(main_profile)
    for profile in profiles:
        with contextlib.suppress(TypeError):  # a thread that did nothing meanwhile
            stats.add(pstats.Stats(profile))
    each = cpu * 1000 / args.requests
    print(f"{args.kind}: {args.requests} requests, statuses {statuses}; process CPU {each:.2f} ms each (stand-ins too)")
    if args.dump:
        stats.dump_stats(args.dump)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    standins.stop()
    os._exit(0)  # the bot's background threads


if __name__ == "__main__":
    sys.exit(main())
