"""`python -m bot queue`: the outbox for the people who run LogSale, without a database client.

    python -m bot queue [list] [stuck|failed|unknown|all] [--older-than SECONDS] [--limit N]
    python -m bot queue retry ID
    python -m bot queue resolve ID

It follows the dispatcher's rules: a retry puts a failed or unknown sale back in the queue
for the running bot to post; an "unknown" one (it may be in LeadSquared already) goes back
with maybe_posted set, so the dispatcher looks the activity up before it would post again —
never a blind re-post. Resolve is for a sale settled by hand: it leaves the queue for good.
Only DATABASE_URL is needed. Exit codes: 0 done, 1 refused (no such sale, or not in a state
that allows it), 2 usage or configuration error, 3 database unreachable.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone

from bot.config import DEFAULT_DATABASE_URL, ConfigError, _database_url
from bot.delivery.outbox import Outbox, SaleRecord, SaleState, make_engine

OK, REFUSED, USAGE, DATABASE_DOWN = 0, 1, 2, 3
STUCK_AFTER = 600.0  # a sale still unsent 10 minutes after it was typed needs a look

SECTIONS = {
    "stuck": "Stuck: still not posted long after they were submitted",
    "failed": "Failed: LeadSquared refused; not retried automatically",
    "unknown": "Unknown outcome: may or may not be in LeadSquared",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 2, like every other mistake
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot queue", description="List, retry or resolve queued sales.")
    sub = parser.add_subparsers(dest="command")
    listing = sub.add_parser("list", help="sales that need a look")
    listing.add_argument("which", nargs="?", default="all", choices=["stuck", "failed", "unknown", "all"])
    listing.add_argument("--older-than", type=float, default=STUCK_AFTER, metavar="SECONDS")
    listing.add_argument("--limit", type=int, default=50)
    for name, text in (("retry", "queue a failed or unknown sale again"), ("resolve", "mark one settled by hand")):
        command = sub.add_parser(name, help=text)
        command.add_argument("sale_id", type=int, metavar="ID")
    return parser


def run_queue(argv: list[str], out=print, err=None, env=None) -> int:
    err = err or (lambda text: print(text, file=sys.stderr))
    try:
        args = _parser().parse_args(argv or ["list"])
    except _UsageError as error:
        err(f"logsale queue: {error} (try: python -m bot queue --help)")
        return USAGE
    if args.command is None:
        args = _parser().parse_args(["list", *argv])
    try:
        outbox = _outbox(env)
    except ConfigError as error:
        err(f"logsale queue: configuration error: {error}")
        return USAGE
    try:
        if not _has_outbox(outbox):
            err("logsale queue: that database has no LogSale outbox (no logsale_sales table); is DATABASE_URL right?")
            return USAGE
        if args.command == "list":
            return _list(outbox, args.which, older_than=args.older_than, limit=args.limit, out=out)
        return _change(outbox, args.command, args.sale_id, out=out, err=err)
    except Exception as error:  # the database went away mid-way, or never answered
        err(f"logsale queue: the database can't be reached ({type(error).__name__}); check DATABASE_URL")
        return DATABASE_DOWN


def _outbox(env) -> Outbox:
    if env is None:
        from dotenv import load_dotenv

        load_dotenv(override=False)
        env = os.environ
    return Outbox(make_engine(_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)))


def _has_outbox(outbox: Outbox) -> bool:
    from sqlalchemy import inspect

    return inspect(outbox.engine).has_table("logsale_sales")


def _list(outbox: Outbox, which: str, *, older_than: float, limit: int, out) -> int:
    sections = ["stuck", "failed", "unknown"] if which == "all" else [which]
    for section in sections:
        if section == "stuck":
            rows = outbox.stuck_sales(older_than=older_than, limit=limit)
        else:
            rows = outbox.sales_in_states((SaleState(section),), limit=limit)
        title = SECTIONS[section] + (f" (over {older_than:g} s)" if section == "stuck" else "")
        out(f"{title}: {len(rows)}{'+' if len(rows) == limit else ''}")
        for record in rows:
            out("  " + describe(record))
    return OK


def describe(record: SaleRecord, now: float | None = None) -> str:
    """One line per sale: what, whose, where it stands and why."""
    now = time.time() if now is None else now
    submitted = datetime.fromtimestamp(record.created_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    line = (
        f"#{record.id} {record.state.value} · submitted {submitted} ({_age(now - record.created_at)} ago) by "
        f"{record.user_id} · {record.lead_label or record.lead_text} · {record.product_sku} {record.status} "
        f"{record.revenue} · attempts {record.attempts}"
    )
    if record.maybe_posted or record.state is SaleState.UNKNOWN:
        line += " · may already be in LeadSquared"
    if record.state is SaleState.PENDING and record.next_attempt_at > now:
        line += f" · next try in {_age(record.next_attempt_at - now)}"
    if record.state is SaleState.POSTING and record.claimed_by:
        line += f" · being posted by {record.claimed_by}"
    if record.last_error:
        line += f" · {record.error_kind or 'error'}: {' '.join(record.last_error.split())}"
    return line


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _change(outbox: Outbox, command: str, sale_id: int, *, out, err) -> int:
    before = outbox.get(sale_id)
    if before is None:
        err(f"logsale queue: there is no sale #{sale_id}")
        return REFUSED
    if before.state not in (SaleState.FAILED, SaleState.UNKNOWN):
        err(
            f"logsale queue: sale #{sale_id} is {before.state.value}; only failed or unknown sales can be "
            f"{'retried' if command == 'retry' else 'resolved'}"
        )
        return REFUSED
    after = outbox.requeue(sale_id) if command == "retry" else outbox.mark_resolved(sale_id)
    if after is None:
        err(f"logsale queue: sale #{sale_id} changed while I looked (someone else acted on it); list it again")
        return REFUSED
    _refresh_home(outbox, after.user_id)
    if command == "retry":
        out(
            f"sale #{sale_id} queued again; the running bot posts it within seconds"
            + (
                " — it may already be in LeadSquared, so the bot looks it up first and adopts it if found."
                if after.maybe_posted
                else "."
            )
        )
    else:
        out(f"sale #{sale_id} marked resolved; LogSale will not post or show it as needing attention again.")
    return OK


def _refresh_home(outbox: Outbox, user_id: str) -> None:
    # The owner's App Home shows the sale: a web process republishes it (coalesced).
    from bot.delivery.home_tabs import HomeTabs

    try:
        tabs = HomeTabs(outbox.engine)  # its table is the migrations' (the bot upgrades at start)
        tabs.request_refresh([user_id])
    except Exception:  # the Home catches up on its next open
        pass
