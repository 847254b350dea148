"""`python -m bot migrate`: upgrade the database to the newest schema revision now (the bot
also does it at every start); `python -m bot migrate --status`: show its revision.

Only DATABASE_URL is needed. Exit codes: 0 done, 2 usage or configuration error, 3 the
database can't be reached (or another process kept the migration lock past --wait).
"""

from __future__ import annotations

import argparse
import os
import sys

from bot.config import DEFAULT_DATABASE_URL, ConfigError, _database_url

OK, USAGE, DATABASE_DOWN = 0, 2, 3


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot migrate", description="Upgrade LogSale's database schema to the newest.")
    parser.add_argument("--status", action="store_true", help="show the database's revision; change nothing")
    parser.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS", help="give up after this long (default 30)"
    )
    return parser


def run_migrate(argv: list[str], out=print, err=None, env=None) -> int:
    err = err or (lambda line: print(line, file=sys.stderr))
    try:
        args = _parser().parse_args(argv)
    except _UsageError as error:
        err(f"logsale migrate: {error} (try: python -m bot migrate --help)")
        return USAGE
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(override=False)
        env = os.environ
    try:
        url = _database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    except ConfigError as error:
        err(f"logsale migrate: configuration error: {error}")
        return USAGE

    from bot.delivery.outbox import make_engine
    from bot.schema_upgrade import current_revision, head_revision, upgrade_database

    engine = make_engine(url, timeout=min(args.wait, 10.0))
    try:
        if args.status:
            current = current_revision(engine)
            head = head_revision()
            state = "up to date" if current == head else "needs `python -m bot migrate`"
            out(f"database at revision {_shown(current)}; newest is {head} ({state})")
            return OK
        done = upgrade_database(engine, deadline_seconds=args.wait)
    except Exception as error:  # unreachable, refused, locked past --wait
        reason = _reason(error, engine)
        err(f"logsale migrate: the database can't be reached or upgraded ({reason}); check DATABASE_URL")
        return DATABASE_DOWN
    finally:
        engine.dispose()
    if done.before == done.after:
        out(f"database already at revision {done.after} (newest): nothing to do")
    else:
        before = "0001 (made before migrations, stamped)" if done.stamped else (done.before or "an empty database")
        out(f"database upgraded from {before} to {done.after}")
    return OK


def _shown(revision: str | None) -> str:
    return revision or "none (empty, or made before migrations)"


def _reason(error: Exception, engine) -> str:
    reason = str(error).splitlines()[0][:160] if str(error) else ""
    password = engine.url.password
    if password:
        reason = reason.replace(str(password), "***")
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__
