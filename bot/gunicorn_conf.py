"""gunicorn settings for the Procfile: `gunicorn -c python:bot.gunicorn_conf bot.wsgi:application`.

Workers: WEB_CONCURRENCY (Heroku sets it from the dyno size), default 2. Each worker
runs threads for Slack requests and its own dispatcher threads; they share the outbox
and the LeadSquared rate limit through DATABASE_URL.
"""

import os
import re
import sys
import tempfile

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
# A malformed WEB_CONCURRENCY is reported in one line by on_starting (Settings.from_env).
_workers = (os.environ.get("WEB_CONCURRENCY") or "").strip()
workers = int(_workers) if re.fullmatch(r"[0-9]{1,3}", _workers) and int(_workers) > 0 else 2
# gthread whose threads can't be held by slow clients (see bot/gunicorn_worker.py).
worker_class = "bot.gunicorn_worker.ReadBoundedThreadWorker"
threads = 32
timeout = 30
graceful_timeout = 25
keepalive = 5
accesslog = "-" if os.environ.get("LOG_LEVEL", "").upper() == "DEBUG" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# /metrics adds up every worker's counters from files in this directory (prometheus_client's
# multiprocess mode). It must be set before any worker imports prometheus_client; a fresh
# directory per start, so counts from an earlier run are never mixed in.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="logsale-metrics-")


def on_starting(server):
    # Check configuration once, in the master, so a mistake is one line, not one per worker.
    from bot.config import ConfigError, Settings

    try:
        Settings.from_env()
    except ConfigError as error:
        print(f"logsale: configuration error: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    # A directory given in the environment may hold an earlier run's counts: start from zero.
    import glob

    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def post_worker_init(worker):
    # In each worker once its app is loaded (not in whatever imports bot.wsgi, such as tests).
    from bot.garbage import BurstCollector

    BurstCollector().start()


def worker_exit(server, worker):
    # Finish the sales in flight within the graceful timeout, or hand them back (pending, to
    # be looked up first) so none waits out its lease; claim no more (bot/shutdown.py).
    from bot.web import WsgiApp

    app = getattr(worker, "wsgi", None)  # what gunicorn loaded in this worker (None if it failed)
    if isinstance(app, WsgiApp):
        from bot.shutdown import finish_or_hand_back

        # Leave time to hand back before the master's SIGKILL at graceful_timeout.
        finish_or_hand_back(app.services, wait=max(1.0, server.cfg.graceful_timeout - 3))


def child_exit(server, worker):
    # A dead worker's live gauges must not be summed any more (its counters stay counted).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
