"""LogSale benchmarks, all through real gunicorn servers talking to the stand-ins on 127.0.0.1,
each number beside a naive Bolt app (bench/naive_app.py) and a bare one (bench/bare_app.py)
served with the same gunicorn settings.

    python -m bench.run                    # the full run (about 30 minutes; PostgreSQL for its rows)
    python -m bench.run --quick            # tiny sizes, well under a minute: a smoke run for CI
    python -m bench.run --only drain,cpu   # some sections (acks, drain, cpu, openloop, memory, startup)

Prints one Markdown table per section, then the targets, then the machine. Server logs stay in
the directory named at the end. Nothing is sent anywhere but 127.0.0.1 (and PostgreSQL at
TEST_POSTGRES_URL, by default 127.0.0.1:5432/test).

acks: p50/p99/max of the /logsale and view_submission acks, sequential and with 50 salespeople
   at once, while LeadSquared takes 2 s and 4 s per call; the lead search cold and cached. The
   bot and the naive app, one worker, SQLite.
drain: N submissions at once against a stand-in enforcing 25 calls per 5 s, N = 60 and 200, five
   runs each, on SQLite with 1 worker and PostgreSQL with 3 (the naive app once). As on a sales
   floor: each sale's salesperson (25 of them) types /logsale (the form opens and the bot checks its
   owner then), fills the form (6 s: LeadSquared's window has emptied of those checks), and all press
   Log sale at once. Drain time is from the first submission sent to the moment the stand-in holds
   N activities; the floor is (N-1) div 25 x 5 s; rejected = the stand-in answered 429 (while the
   forms opened or after); other calls = LeadSquared calls after the press that aren't sales;
   lost/doubled compare activities with submissions (each has its own revenue).
cpu: server CPU per request, N sequential requests of each kind; bot, naive and bare, 1 worker.
   "ack path": the threads that serve a request up to its ack, gunicorn's request threads and
   Bolt's listener threads (named by bot/thread_names.py; /proc/<pid>/task/<tid>/sched). The
   listener thread also runs what a listener does after ack(): views.open for /logsale.
   "all": utime+stime of the gunicorn master and workers after the work the requests started
   has settled (posting a submission, for the bot), less idle CPU over the same time.
openloop: a fixed schedule of R requests/s for D s (the sales floor at quarter end: per sale one
   /logsale, five keystrokes in the lead search, one submission), sent whatever the answers;
   latency from the scheduled time; 1 and 3 workers.
memory: idle RSS of the master and each worker (bot on SQLite and on PostgreSQL, naive, bare, and
   "stack": the bare app holding an engine, a requests session and dateutil, the floor of these libraries);
   then 10 bursts of 200 sales in a row (the stand-in allows more calls for this section, so it
   stays short: see the table), RSS after each has drained.
startup: from Popen to the first 200 answer to a signed /logsale, 1 worker: the bot on a fresh
   SQLite database (migrations run) and on one already at head, naive and bare.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness as h
from bot import thread_names

# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Sizes:
    sequential: int  # requests of each kind, one after another
    naive_sequential: int  # the naive app's submissions take 2-3 s each
    crowd: int  # salespeople at once
    rounds: int  # rounds of `crowd` for the bot
    naive_rounds: int
    searches: int  # distinct lead-search queries (cold), then each again (cached)
    delays: tuple[float, ...]  # LeadSquared's seconds per call during the ack runs
    drains: tuple[int, ...]  # submissions at once
    drain_runs: int  # runs of each drain
    drain_setups: tuple[tuple[str, int], ...]  # (database, workers)
    think: float  # seconds between opening the modal and pressing Log sale
    drain_salespeople: int  # each sale of a drain is logged by one of this many (its owner email)
    form_fill: float  # drain: seconds from the forms opening to everyone pressing Log sale
    quiet: float  # before a drain: LeadSquared idle this long (its window empty again)
    cpu_requests: int  # sequential requests of each kind for the CPU section
    cpu_settle: float  # seconds for the work a request started (Slack calls, posting) to finish
    cpu_rounds: int  # the CPU section's requests are sent in this many turns of every app
    openloop_rate: float  # requests per second
    openloop_seconds: float
    openloop_workers: tuple[int, ...]
    bursts: int  # memory section: bursts in a row
    burst_size: int
    startups: int  # starts of each kind for the start-up median


FULL = Sizes(
    sequential=30,
    naive_sequential=10,
    crowd=50,
    rounds=3,
    naive_rounds=1,
    searches=5,
    delays=(2.0, 4.0),
    drains=(60, 200),
    drain_runs=5,
    drain_setups=(("sqlite", 1), ("postgres", 3)),
    think=6.0,
    # As many owners as one window of LeadSquared calls can check as the forms open: with more,
    # the bot's own limiter leaves the rest unchecked until their submission (in the burst).
    drain_salespeople=25,
    # > LeadSquared's 5 s window: the owner checks made as the forms opened are out of it.
    form_fill=6.0,
    quiet=5.5,
    cpu_requests=300,
    cpu_settle=2.0,
    cpu_rounds=6,
    openloop_rate=20.0,
    openloop_seconds=60.0,
    openloop_workers=(1, 3),
    bursts=10,
    burst_size=200,
    startups=5,
)
QUICK = Sizes(
    sequential=3,
    naive_sequential=2,
    crowd=5,
    rounds=1,
    naive_rounds=1,
    searches=2,
    delays=(0.5,),
    drains=(10,),
    drain_runs=1,
    drain_setups=(("sqlite", 1),),
    think=0.5,
    drain_salespeople=5,
    form_fill=0.5,
    quiet=0.5,
    cpu_requests=5,
    cpu_settle=0.3,
    cpu_rounds=1,
    openloop_rate=20.0,
    openloop_seconds=1.5,
    openloop_workers=(1,),
    bursts=3,
    burst_size=10,
    startups=1,
)
SECTIONS = ("acks", "drain", "cpu", "openloop", "memory", "startup")
# The memory section's stand-in and bot: a limit high enough that 200 sales drain in about a second.
BURST_RATE = (1000, 5.0)
CREATE = "SalesActivity.svc/Create"
RATE_CALLS, RATE_SECONDS = 25, 5.0
NOTES = (
    "Client threads and both stand-ins run in this process, on the same cores as the server: "
    "every time includes that contention (see the load average below).",
    "Lead search 'found' = answers offering at least one lead; 'cached' repeats the cold queries.",
    "Drain floor for N <= 25 is 0 s, so the 1.1x target has no meaning there; "
    "'other calls' are LeadSquared calls made after the press that aren't sales (owner checks the forms' "
    "opening didn't answer), which share the budget.",
    "CPU per request is the server's alone (master and workers); the client and the stand-ins run here.",
)


def floor_seconds(n: int) -> float:
    return (n - 1) // RATE_CALLS * RATE_SECONDS


# --------------------------------------------------------------------------- results


@dataclass
class Results:
    acks: dict = field(default_factory=dict)  # (kind, delay, mode, request) -> Summary
    searches: dict = field(default_factory=dict)  # (kind, delay, cold|cached) -> Summary
    found: dict = field(default_factory=dict)  # (kind, delay, cold|cached) -> answers with options
    cpu: dict = field(default_factory=dict)  # (kind, delay) -> (server, bench) CPU seconds per /logsale
    drains: list = field(default_factory=list)  # dicts, one per run
    startups: dict = field(default_factory=dict)  # (kind, workers, db) -> [seconds], every server started
    ack_cpu: dict = field(default_factory=dict)  # (kind, request) -> server CPU seconds per request
    # (kind, request) -> {OS thread name: CPU seconds per request}; the ack path is ACK_PATH_THREADS
    thread_cpu: dict = field(default_factory=dict)
    openloop: dict = field(default_factory=dict)  # (kind, workers) -> {request: [Timed]} (latency from schedule)
    idle: dict = field(default_factory=dict)  # (kind, db) -> (master MB, [worker MB])
    bursts: dict = field(default_factory=dict)  # (kind, db) -> [RSS MB after each burst]
    refused: dict = field(default_factory=dict)  # (kind, db) -> presses not answered with an empty 200
    first_ack: dict = field(default_factory=dict)  # (kind, database state) -> [seconds]
    notes: list = field(default_factory=list)


def note_startup(results: Results, server: h.Server, workers: int, db: str) -> None:
    results.startups.setdefault((server.kind, workers, db), []).append(server.startup_s)


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- 1. acks


def wait_for_creates(standins: h.StandIns, count: int, timeout: float) -> None:
    """The naive app keeps posting after Slack's 3 s: wait (bounded) until its listeners are done."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(standins.leadsquared.calls_to("SalesActivity.svc/Create")) >= count:
            return
        time.sleep(0.05)


def crowd_mode(sizes: Sizes, round_number: int) -> str:
    if round_number == 0:
        return f"{sizes.crowd} at once, 1st round"
    return f"{sizes.crowd} at once, rounds 2-{sizes.rounds}"


def run_acks(sizes: Sizes, results: Results, log_dir: Path, kinds: tuple[str, ...] = ("bot", "naive")) -> None:
    for delay in sizes.delays:
        for kind in kinds:
            progress(f"acks: {kind}, LeadSquared {delay:g} s per call")
            standins = h.start_standins(users=sizes.crowd, search_leads=sizes.searches)
            try:
                with h.database("sqlite", log_dir) as url, h.running(kind, standins, log_dir, database_url=url) as srv:
                    note_startup(results, srv, 1, "sqlite")
                    standins.leadsquared.delay = delay
                    user = h.user_id(0)
                    # Lead search first, while nothing else uses LeadSquared's budget.
                    queries = [name.lower() for name, _ in standins.search_leads]
                    cold = [h.suggest(srv, user, q) for q in queries]
                    time.sleep(delay + 0.5)  # the last cold query's answer lands in the cache
                    cached = [h.suggest(srv, user, q) for q in queries]
                    results.searches[(kind, delay, "cold")] = h.summarize(cold)
                    results.searches[(kind, delay, "cached")] = h.summarize(cached)
                    results.found[(kind, delay, "cold")] = sum(1 for r in cold if h.options_found(r))
                    results.found[(kind, delay, "cached")] = sum(1 for r in cached if h.options_found(r))

                    sequential = sizes.naive_sequential if kind == "naive" else sizes.sequential
                    revenue = iter(range(20000, 10**6))
                    cpu = (h.cpu_seconds(srv), h.own_cpu_seconds())
                    slashes = [h.slash(srv, user) for _ in range(sequential)]
                    results.cpu[(kind, delay)] = (
                        (h.cpu_seconds(srv) - cpu[0]) / sequential,
                        (h.own_cpu_seconds() - cpu[1]) / sequential,
                    )
                    time.sleep(sizes.think)  # filling in the form
                    submits = [h.submit(srv, user, next(revenue)) for _ in range(sequential)]
                    results.acks[(kind, delay, "sequential", "/logsale")] = h.summarize(slashes)
                    results.acks[(kind, delay, "sequential", "view_submission")] = h.summarize(submits)

                    # The crowd: everyone types /logsale at once, fills in the form, presses
                    # Log sale at once. The first round meets cold caches; later ones warm.
                    rounds = sizes.naive_rounds if kind == "naive" else sizes.rounds
                    sent = sequential
                    timed: dict[str, dict[str, list[h.Timed]]] = {}
                    for round_number in range(rounds):
                        mode = crowd_mode(sizes, round_number)
                        values = [next(revenue) for _ in range(sizes.crowd)]
                        users = [h.user_id(n) for n in range(sizes.crowd)]
                        slashes = h.burst(srv, [h.slash_body(standins, u) for u in users])
                        time.sleep(sizes.think)
                        bodies = [h.submission_body(standins, u, v) for u, v in zip(users, values, strict=True)]
                        submits = h.burst(srv, bodies)
                        timed.setdefault(mode, {}).setdefault("/logsale", []).extend(slashes)
                        timed[mode].setdefault("view_submission", []).extend(submits)
                        sent += sizes.crowd
                        if kind == "naive":
                            wait_for_creates(standins, sent, sizes.crowd * delay / 5 + 20)
                    for mode, by_request in timed.items():
                        for request, found in by_request.items():
                            results.acks[(kind, delay, mode, request)] = h.summarize(found)
            finally:
                standins.stop()


# --------------------------------------------------------------------------- 2. drain


def outbox_states(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select state, count(*) from logsale_sales group by state")).all()
        return {state: count for state, count in rows}
    finally:
        engine.dispose()


def drain_once(
    kind: str,
    db: str,
    workers: int,
    n: int,
    results: Results,
    log_dir: Path,
    *,
    run: int = 1,
    quiet: float = 0.0,
    salespeople: int = 50,
    form_fill: float = 6.0,
) -> dict:
    progress(f"drain: {kind}, {db}, {workers} worker(s), {n} sales, run {run}")
    people = max(1, min(n, salespeople))
    standins = h.start_standins(users=people)
    floor = floor_seconds(n)
    deadline_after = floor * 1.5 + 30
    try:
        with h.database(db, log_dir) as url:
            with h.running(kind, standins, log_dir, workers=workers, database_url=url) as srv:
                note_startup(results, srv, workers, db)
                wait_until_quiet(standins, quiet)  # nothing from start-up left in LeadSquared's window
                standins.leadsquared.reset_calls()
                # Each sale's salesperson types /logsale: the form opens (and the bot checks its
                # owner email then, on whichever worker got it); they fill it in; all press Log
                # sale at once, each submission landing on any worker.
                sellers = [h.user_id(i % people) for i in range(n)]
                opened = h.burst(srv, [h.slash_body(standins, user) for user in sellers])
                revenues = [10000 + i for i in range(n)]
                bodies = [h.submission_body(standins, sellers[i], revenues[i]) for i in range(n)]
                time.sleep(max(0.0, form_fill - (time.time() - min(o.started for o in opened))))
                form_calls = list(standins.leadsquared.calls)
                standins.leadsquared.reset_calls()
                acks = h.burst(srv, bodies)
                first = min(a.started for a in acks)
                done_at = None
                while time.time() < first + deadline_after:
                    if len(standins.leadsquared.live_activities()) >= n:
                        done_at = time.time()
                        break
                    if kind == "naive" and len(standins.leadsquared.calls_to("SalesActivity.svc/Create")) >= n:
                        break  # every listener posted once; the naive app never retries
                    time.sleep(0.01)
                time.sleep(1.0)  # anything doubled late shows up here
                activities = standins.leadsquared.live_activities()
                states = outbox_states(url) if kind == "bot" else {}
            per_revenue = Counter(round(float(a.get("Revenue", -1))) for a in activities.values())
            calls = list(standins.leadsquared.calls)
            row = {
                "kind": kind,
                "db": db if kind == "bot" else "-",
                "workers": workers,
                "n": n,
                "run": run,
                "floor": floor,
                "drain": None if done_at is None else done_at - first,
                "rejected": sum(1 for c in (*form_calls, *calls) if c.status == 429),
                "calls": len(calls),
                "creates": sum(1 for c in calls if c.path.lower().endswith("/salesactivity.svc/create")),
                "owner_checks": sum(1 for c in calls if c.path.endswith("User/Retrieve/ByEmailAddress")),
                "form_calls": len(form_calls),
                "lost": sum(1 for r in revenues if per_revenue.get(r, 0) == 0),
                "doubled": sum(1 for r in revenues if per_revenue.get(r, 0) > 1),
                "acks": h.summarize(acks),
                "opens": h.summarize(opened),
                "states": states,
                "rejections": rejection_notes([*form_calls, *calls]),
            }
            return row
    finally:
        standins.stop()


def rejection_notes(calls: list) -> list[str]:
    """For each 429: when it came, and the calls the stand-in answered (and so counted) in the
    window before it, each with its arrival and answer: what our shared window let through."""
    if not calls:
        return []
    start = min(c.time for c in calls)
    notes = []
    for refused in (c for c in calls if c.status == 429):
        counted_at = refused.time + refused.duration
        before = sorted(
            (
                c
                for c in calls
                if c.status not in (None, 429) and counted_at - RATE_SECONDS < c.time + c.duration <= counted_at
            ),
            key=lambda c: c.time + c.duration,
        )
        spans = ", ".join(f"{c.time - start:.2f}→{c.time + c.duration - start:.2f}" for c in before)
        notes.append(
            f"429 on {refused.path.rsplit('/', 1)[-1]} at {counted_at - start:.2f} s; {len(before)} calls "
            f"answered in the {RATE_SECONDS:g} s before it (arrived→answered): {spans}"
        )
    return notes


def wait_until_quiet(standins: h.StandIns, seconds: float, timeout: float = 30) -> None:
    """Until LeadSquared has had no call for ``seconds`` (bounded by ``timeout``)."""
    since = time.time()
    deadline = since + timeout
    while seconds > 0 and time.time() < deadline:
        calls = standins.leadsquared.calls
        last = max((c.time for c in calls), default=since)
        last = max(last, since)
        if time.time() - last >= seconds:
            return
        time.sleep(0.1)


def run_drains(sizes: Sizes, results: Results, log_dir: Path, databases: tuple[str, ...]) -> None:
    for db, workers in sizes.drain_setups:
        if db not in databases:
            continue
        for n in sizes.drains:
            for run in range(1, sizes.drain_runs + 1):
                attempt(results, sizes, log_dir, "bot", db, workers, n, run)
    for n in sizes.drains:
        attempt(results, sizes, log_dir, "naive", "sqlite", 1, n, 1)


def attempt(results: Results, sizes: Sizes, log_dir: Path, kind: str, db: str, workers: int, n: int, run: int) -> None:
    """One drain; a failure (a server that won't start, say) is noted and the rest goes on."""
    try:
        row = drain_once(
            kind,
            db,
            workers,
            n,
            results,
            log_dir,
            run=run,
            quiet=sizes.quiet,
            salespeople=sizes.drain_salespeople,
            form_fill=sizes.form_fill,
        )
    except Exception as error:
        what = f"drain {kind} {db} {workers}w N={n} run {run}"
        results.notes.append(f"{what} failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        progress(f"{what} FAILED: {error}")
        return
    results.drains.append(row)


# --------------------------------------------------------------------------- cpu

CPU_REQUESTS = ("/logsale", "block_suggestion", "view_submission")
# The bot's submissions once more, measured while the batch's own sales post in the same worker
# (the others post nothing): what that does to the ack path on 2 shared cores, shown beside the
# measure of the ack path itself, for which LeadSquared holds its answers until the batch is acked.
WHILE_POSTING = "view_submission, posting meanwhile"
# db-ack: the bounded database calls a listener waits for before it acks (bot/delivery/outbox.py);
# they ran on a new thread each until that thread's CPU went uncounted here (dead before the tally).
ACK_PATH_THREADS = (thread_names.REQUEST, thread_names.LISTENER, thread_names.DB_ACK)


def request_body(standins: h.StandIns, request: str, n: int) -> str:
    user = h.user_id(n % 50)
    if request == "/logsale":
        return h.slash_body(standins, user)
    if request == "block_suggestion":
        name = standins.search_leads[n % len(standins.search_leads)][0].lower() if standins.search_leads else "asha"
        return h.suggestion_body(standins, user, name[: 1 + n % len(name)])
    return h.submission_body(standins, user, 50000 + n)


def settled_cpu(srv: h.Server, idle_rate: float, since: float, cpu_before: float, settle: float) -> float:
    """Server CPU used since ``since`` once the work the requests started is done, less idle CPU."""
    time.sleep(settle)
    return h.cpu_seconds(srv) - cpu_before - idle_rate * (time.time() - since)


def run_cpu(sizes: Sizes, results: Results, log_dir: Path) -> None:
    """The three apps run side by side and take turns: each round sends a batch of each request
    kind to each app, in an order that rotates, so a slower spell of the machine (a shared VM's
    ratio moved by ±0.15 between runs made one app after the other) falls on all of them alike."""
    n = sizes.cpu_requests
    rounds = max(1, min(sizes.cpu_rounds, n))
    kinds = ("bare", "naive", "bot")
    with contextlib.ExitStack() as stack:
        servers: dict[str, tuple[h.Server, h.StandIns]] = {}
        for kind in kinds:
            progress(f"cpu: starting {kind}")
            standins = h.start_standins(users=50, search_leads=5)
            stack.callback(standins.stop)
            url = stack.enter_context(h.database("sqlite", log_dir))
            srv = stack.enter_context(h.running(kind, standins, log_dir, database_url=url))
            note_startup(results, srv, 1, "sqlite" if kind == "bot" else "-")
            # Warm up each path (lazy imports, connections) and each salesperson's first
            # contact (users.info, the owner check: cached per process), then measure idle CPU.
            for request in CPU_REQUESTS:
                h.send(srv, request_body(standins, request, 0))
            for user in range(1, min(50, n + 1)):
                h.send(srv, request_body(standins, "/logsale", user))
            servers[kind] = (srv, standins)
        time.sleep(sizes.cpu_settle)
        idle_rates: dict[str, float] = {}
        for kind, (srv, _) in servers.items():
            t0, c0 = time.time(), h.cpu_seconds(srv)
            time.sleep(sizes.cpu_settle)
            idle_rates[kind] = (h.cpu_seconds(srv) - c0) / (time.time() - t0)
        used: dict[tuple[str, str], float] = {}
        acked: dict[tuple[str, str], int] = {}
        by_thread: dict[tuple[str, str], dict[str, float]] = {}
        sent = 0
        for round_number in range(rounds):
            batch = n // rounds + (1 if round_number < n % rounds else 0)
            progress(f"cpu: round {round_number + 1} of {rounds}, {batch} sequential requests of each kind per app")
            order = kinds[round_number % len(kinds) :] + kinds[: round_number % len(kinds)]
            for request in CPU_REQUESTS:
                for kind in order:
                    srv, standins = servers[kind]
                    posts = kind == "bot" and request == "view_submission"
                    for label in (request, WHILE_POSTING) if posts else (request,):
                        first = sent + (100_000 if label == WHILE_POSTING else 0)  # revenues of its own
                        bodies = [request_body(standins, request, first + i + 1) for i in range(batch)]
                        creates = len(standins.leadsquared.calls_to(CREATE))
                        threads_before = h.thread_cpu_seconds(srv)
                        since, before = time.time(), h.cpu_seconds(srv)
                        held = posts and label == request  # the bot's sales wait until its batch is acked
                        with standins.leadsquared.answers_held() if held else contextlib.nullcontext():
                            answers = [h.send(srv, body) for body in bodies]
                        if posts:
                            # Its sales post after the acks, 25 per 5 s: counted here ("all"), and over
                            # before the next batch (of any app) is measured on the same cores.
                            wanted, deadline = creates + batch, time.time() + 60
                            while len(standins.leadsquared.calls_to(CREATE)) < wanted and time.time() < deadline:
                                time.sleep(0.05)
                        key = (kind, label)
                        used[key] = used.get(key, 0.0) + settled_cpu(
                            srv, idle_rates[kind], since, before, sizes.cpu_settle
                        )
                        acked[key] = acked.get(key, 0) + sum(1 for a in answers if a.status == 200)
                        threads = by_thread.setdefault(key, {})
                        for name, seconds in h.thread_cpu_seconds(srv).items():
                            if seconds > threads_before.get(name, 0.0):
                                threads[name] = threads.get(name, 0.0) + seconds - threads_before.get(name, 0.0)
            sent += batch
        for key, seconds in used.items():
            count = acked[key]
            results.ack_cpu[key] = (seconds / count if count else math.nan, count, n)
            results.thread_cpu[key] = {name: total / max(count, 1) for name, total in by_thread[key].items()}


# --------------------------------------------------------------------------- open loop

# Per sale on a busy floor: one /logsale, five keystrokes in the lead search, one submission.
MIX = ("/logsale", "block_suggestion", "block_suggestion", "block_suggestion", "block_suggestion",
       "block_suggestion", "view_submission")  # fmt: skip


def open_loop(srv: h.Server, standins: h.StandIns, rate: float, seconds: float) -> dict[str, list[h.Timed]]:
    """Send MIX in turn on a fixed schedule (``rate`` a second); each latency is measured from
    the request's scheduled time, so a slow answer delays nothing else but counts in full."""
    import queue
    import threading

    count = int(rate * seconds)
    start = time.time() + 0.5
    jobs: queue.Queue = queue.Queue()
    found: dict[str, list[h.Timed]] = {}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            n, scheduled = job
            request = MIX[n % len(MIX)]
            body = request_body(standins, request, n)
            result = h.send(srv, body)
            # From the scheduled time: the wait for a free client thread counts too.
            result.seconds = time.time() - scheduled
            with lock:
                found.setdefault(request, []).append(result)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(64)]
    for t in threads:
        t.start()
    for n in range(count):
        scheduled = start + n / rate
        time.sleep(max(0.0, scheduled - time.time()))
        jobs.put((n, scheduled))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(h.REQUEST_TIMEOUT + 5)
    return found


def run_openloop(sizes: Sizes, results: Results, log_dir: Path) -> None:
    runs = [("bare", w) for w in sizes.openloop_workers] + [("naive", 1)] + [("bot", w) for w in sizes.openloop_workers]
    for kind, workers in runs:
        progress(f"open loop: {kind}, {workers} worker(s), {sizes.openloop_rate:g}/s for {sizes.openloop_seconds:g} s")
        standins = h.start_standins(users=50, search_leads=5)
        try:
            with (
                h.database("sqlite", log_dir) as url,
                h.running(kind, standins, log_dir, workers=workers, database_url=url) as srv,
            ):
                note_startup(results, srv, workers, "sqlite" if kind == "bot" else "-")
                results.openloop[(kind, workers)] = open_loop(
                    srv, standins, sizes.openloop_rate, sizes.openloop_seconds
                )
        finally:
            standins.stop()


# --------------------------------------------------------------------------- memory


@contextlib.contextmanager
def at_head(database_url: str, kind: str):
    """Bring the database to the newest schema first, as every start but the first after a
    release finds it (the first one also imports Alembic to upgrade)."""
    if kind == "bot":
        from bot.delivery.outbox import make_engine
        from bot.schema_upgrade import upgrade_database

        engine = make_engine(database_url)
        try:
            upgrade_database(engine)
        finally:
            engine.dispose()
    yield


def run_memory(sizes: Sizes, results: Results, log_dir: Path, databases: tuple[str, ...]) -> None:
    rate_env = {"LEADSQUARED_RATE_LIMIT": f"{BURST_RATE[0]}/{BURST_RATE[1]:g}"}
    dbs = [db for db in ("sqlite", "postgres") if db in databases]
    # stack: the bare app holding what the specified libraries hold at idle (bench/stack_app.py).
    setups = [("bare", "-"), ("naive", "-")] + [("stack", db) for db in dbs] + [("bot", db) for db in dbs]
    for kind, db in setups:
        progress(f"memory: {kind}, {db}")
        standins = h.start_standins(users=50, rate_limit=BURST_RATE)
        try:
            with (
                h.database(db if db != "-" else "sqlite", log_dir) as url,
                at_head(url, kind),
                h.running(kind, standins, log_dir, database_url=url, env=rate_env) as srv,
            ):
                note_startup(results, srv, 1, db)
                time.sleep(1.0)
                workers = h.worker_rss_mb(srv)
                total = h.memory(srv).rss_mb
                results.idle[(kind, db)] = (total - sum(workers), workers)
                if kind in ("bare", "stack"):  # their submissions post nothing
                    continue
                after = []
                revenue = iter(range(100000, 10**7))
                stored = 0
                for _ in range(sizes.bursts):
                    bodies = [
                        h.submission_body(standins, h.user_id(i % 50), next(revenue)) for i in range(sizes.burst_size)
                    ]
                    answers = h.burst(srv, bodies)
                    # Only a press answered with an empty 200 was stored (a refusal asks to press
                    # again): waiting for the others' posts would wait out the deadline every burst.
                    accepted = sum(1 for a in answers if a.status == 200 and a.body == "")
                    stored += accepted
                    results.refused[(kind, db)] = results.refused.get((kind, db), 0) + len(answers) - accepted
                    deadline = time.time() + 120
                    while time.time() < deadline and len(standins.leadsquared.calls_to(CREATE)) < stored:
                        time.sleep(0.05)
                    time.sleep(1.0 if kind == "bot" else 0.2)  # the notifications after the last post
                    after.append(h.memory(srv).rss_mb)
                results.bursts[(kind, db)] = after
        finally:
            standins.stop()


# --------------------------------------------------------------------------- start-up


def run_startup(sizes: Sizes, results: Results, log_dir: Path) -> None:
    for kind in ("bare", "naive", "bot"):
        progress(f"start-up: {kind}, {sizes.startups} start(s)")
        for _ in range(sizes.startups):
            standins = h.start_standins(users=1)
            try:
                with h.database("sqlite", log_dir) as url:
                    with h.running(kind, standins, log_dir, database_url=url) as srv:
                        label = "fresh SQLite (migrations run)" if kind == "bot" else "-"
                        results.first_ack.setdefault((kind, label), []).append(srv.startup_s)
                    if kind == "bot":  # again, on the database now at head: every later start
                        with h.running(kind, standins, log_dir, database_url=url) as srv:
                            results.first_ack.setdefault((kind, "SQLite at head"), []).append(srv.startup_s)
            finally:
                standins.stop()


# --------------------------------------------------------------------------- tables


def ms(seconds: float) -> str:
    if seconds is None or math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:.0f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def statuses(s: h.Summary) -> str:
    return ", ".join(f"{k}×{v}" for k, v in sorted(s.statuses.items()))


def ratio(a: float, b: float) -> str:
    if a is None or b is None or b <= 0 or math.isnan(a) or math.isnan(b):
        return "-"
    return f"{a / b:.1f}×"


def ack_table(results: Results) -> str:
    rows = []
    modes = list(dict.fromkeys(m for (_, _, m, _) in results.acks))  # in the order they ran
    keys = sorted({(d, m, r) for (_, d, m, r) in results.acks}, key=lambda k: (k[0], modes.index(k[1]), k[2]))
    for delay, mode, request in keys:
        bot = results.acks.get(("bot", delay, mode, request))
        naive = results.acks.get(("naive", delay, mode, request))
        cells = [request, f"{delay:g} s", mode]
        for s in (bot, naive):
            cells += [f"{s.n}", f"{ms(s.p50)} / {ms(s.p99)} / {ms(s.max)}", statuses(s)] if s else ["-", "-", "-"]
        cells.append(ratio(naive.p99, bot.p99) if bot and naive else "-")
        rows.append(cells)
    headers = [
        "request",
        "LSQ per call",
        "load",
        "bot n",
        "bot p50 / p99 / max ms",
        "bot HTTP",
        "naive n",
        "naive p50 / p99 / max ms",
        "naive HTTP",
        "naive÷bot p99",
    ]
    return table(headers, rows)


def cpu_lines(results: Results) -> str:
    lines = []
    for (kind, delay), (server, bench) in sorted(results.cpu.items()):
        lines.append(
            f"- {kind}, LSQ {delay:g} s: one /logsale (the ack and the Slack calls after it) costs the server "
            f"{server * 1000:.1f} ms of CPU and this process (client + stand-ins) {bench * 1000:.1f} ms."
        )
    return "\n".join(lines)


def search_table(results: Results) -> str:
    rows = []
    for delay in sorted({d for (_, d, _) in results.searches}):
        for temp in ("cold", "cached"):
            bot = results.searches.get(("bot", delay, temp))
            naive = results.searches.get(("naive", delay, temp))
            cells = [f"{delay:g} s", temp]
            for kind, s in (("bot", bot), ("naive", naive)):
                if s is None:
                    cells += ["-", "-", "-"]
                    continue
                found = results.found.get((kind, delay, temp), 0)
                cells += [f"{ms(s.p50)} / {ms(s.p99)} / {ms(s.max)}", statuses(s), f"{found}/{s.n}"]
            rows.append(cells)
    headers = [
        "LSQ per call",
        "query",
        "bot p50 / p99 / max ms",
        "bot HTTP",
        "bot found",
        "naive p50 / p99 / max ms",
        "naive HTTP",
        "naive found",
    ]
    return table(headers, rows)


def drain_table(results: Results) -> str:
    rows = []
    for r in results.drains:
        drain = r["drain"]
        over = "-" if drain is None or r["floor"] == 0 else f"{drain / r['floor']:.2f}×"
        states = ", ".join(f"{k} {v}" for k, v in sorted(r["states"].items())) or "-"
        rows.append(
            [
                r["kind"],
                r["db"],
                str(r["workers"]),
                str(r["n"]),
                str(r.get("run", 1)),
                f"{r['floor']:.0f}",
                "never" if drain is None else f"{drain:.2f}",
                over,
                f"{r['form_calls']}",
                f"{r['creates']} / {r['calls'] - r['creates']} ({r['owner_checks']} owner)",
                str(r["rejected"]),
                str(r["lost"]),
                str(r["doubled"]),
                f"{ms(r['acks'].p99)} / {ms(r['acks'].max)}",
                statuses(r["acks"]),
                states,
            ]
        )
    headers = [
        "app",
        "DB",
        "workers",
        "N",
        "run",
        "floor s",
        "drain s",
        "÷floor",
        "LSQ calls as forms opened",
        "after the press: Creates / other calls",
        "429s",
        "lost",
        "doubled",
        "ack p99 / max ms",
        "ack HTTP",
        "outbox",
    ]
    return table(headers, rows)


def ack_path_cpu(results: Results, kind: str, request: str) -> float | None:
    """CPU seconds per request of the threads that serve it up to the ack (ACK_PATH_THREADS)."""
    found = results.thread_cpu.get((kind, request))
    return None if found is None else sum(found.get(name, 0.0) for name in ACK_PATH_THREADS)


def cpu_table(results: Results) -> str:
    rows = []
    for request in (*CPU_REQUESTS, WHILE_POSTING):
        if ("bot", request) not in results.thread_cpu:
            continue
        cells = [request]
        for kind in ("bot", "naive", "bare"):
            ack, every = ack_path_cpu(results, kind, request), results.ack_cpu.get((kind, request))
            cells.append("-" if ack is None else f"{ack * 1000:.2f}")
            cells.append("-" if every is None else f"{every[0] * 1000:.2f} ({every[1]}/{every[2]} acked)")
        baseline = "view_submission" if request == WHILE_POSTING else request
        bot, bare = ack_path_cpu(results, "bot", request), ack_path_cpu(results, "bare", baseline)
        cells.append(ratio(bot, bare) if bot is not None and bare else "-")
        every_bot, every_bare = results.ack_cpu.get(("bot", request)), results.ack_cpu.get(("bare", baseline))
        cells.append(ratio(every_bot[0], every_bare[0]) if every_bot and every_bare else "-")
        rows.append(cells)
    headers = ["request", "bot ack path ms", "bot all ms", "naive ack path ms", "naive all ms",
               "bare ack path ms", "bare all ms", "bot÷bare ack path", "bot÷bare all"]  # fmt: skip
    return table(headers, rows)


def cpu_by_thread(results: Results) -> str:
    """Where each kind's CPU per request went, by OS thread name (ms), busiest first."""
    lines = []
    for (kind, request), found in sorted(results.thread_cpu.items()):
        parts = sorted(found.items(), key=lambda item: -item[1])
        lines.append(f"- {kind} {request}: " + ", ".join(f"{name} {seconds * 1000:.2f}" for name, seconds in parts))
    return "\n".join(lines)


def openloop_summary(found: dict[str, list[h.Timed]]) -> tuple[h.Summary, int]:
    every = [t for timed in found.values() for t in timed]
    return h.summarize(every), sum(1 for t in every if t.seconds > 1.0)


def openloop_table(results: Results) -> str:
    rows = []
    order = {"bare": 0, "naive": 1, "bot": 2}
    for (kind, workers), found in sorted(results.openloop.items(), key=lambda kv: (kv[0][1], order[kv[0][0]])):
        for request in ("all", *CPU_REQUESTS):
            timed = found if request == "all" else {request: found.get(request, [])}
            s, slow = openloop_summary(timed)
            if not s.n:
                continue
            rows.append([kind, str(workers), request, str(s.n), f"{ms(s.p50)} / {ms(s.p99)} / {ms(s.max)}",
                         str(slow), str(s.failed), statuses(s)])  # fmt: skip
    headers = ["app", "workers", "request", "n", "p50 / p99 / max ms", "over 1 s", "failed", "HTTP"]
    return table(headers, rows)


def memory_table(results: Results) -> str:
    rows = []
    bare = results.idle.get(("bare", "-"))
    bare_worker = statistics.mean(bare[1]) if bare and bare[1] else None
    for (kind, db), (master, workers) in results.idle.items():
        worker = statistics.mean(workers) if workers else math.nan
        stack = results.idle.get(("stack", db))
        above = f"{worker - statistics.mean(stack[1]):+.0f}" if kind == "bot" and stack and stack[1] else "-"
        by_bare = ratio(worker, bare_worker) if bare_worker else "-"
        rows.append([kind, db, f"{master:.0f}", f"{worker:.0f}", by_bare, above])
    return table(["app", "DB", "master RSS MB", "idle RSS per worker MB", "÷bare", "bot above stack MB"], rows)


def bursts_table(results: Results, sizes: Sizes) -> str:
    rows = []
    for (kind, db), after in results.bursts.items():
        drift = f"{(after[-1] / after[1] - 1) * 100:+.1f} %" if len(after) >= 3 else "- (too few bursts)"
        rows.append([kind, db, " → ".join(f"{mb:.0f}" for mb in after), drift, str(results.refused.get((kind, db), 0))])
    headers = [f"app ({sizes.burst_size} sales a burst)", "DB", "RSS after each burst MB (master + worker)",
               "last vs 2nd", "presses refused"]  # fmt: skip
    return table(headers, rows)


def startup_table(results: Results) -> str:
    rows = []
    for (kind, label), starts in results.first_ack.items():
        rows.append([kind, label, f"{ms(statistics.median(starts))}", f"{ms(min(starts))} / {ms(max(starts))}",
                     str(len(starts))])  # fmt: skip
    return table(["app", "database", "first ack median ms", "min / max ms", "starts"], rows)


def targets_table(results: Results, sizes: Sizes) -> str:
    rows = []

    def add(target: str, measured: str, ok: bool | None) -> None:
        rows.append([target, measured, "n/a" if ok is None else ("met" if ok else "MISSED")])

    bot_acks = {k: v for k, v in results.acks.items() if k[0] == "bot"}
    for load, sequential in (("sequential", True), (f"{sizes.crowd} at once", False)):
        found = {k: v for k, v in bot_acks.items() if (k[2] == "sequential") == sequential}
        if found:
            (_, d, m, r), s = max(found.items(), key=lambda kv: kv[1].p99)
            add(f"bot ack p99 < 100 ms, {load}", f"worst {ms(s.p99)} ms ({r}, {m}, LSQ {d:g} s)", s.p99 < 0.1)
    crowd = [v for k, v in bot_acks.items() if k[2] != "sequential"]
    if crowd:
        worst = max(s.max for s in crowd)
        failed = sum(s.failed for s in crowd)
        measured = f"{ms(worst)} ms, {failed} non-200"
        add(f"bot ack max < 1 s, {sizes.crowd} at once", measured, worst < 1 and not failed)
    for temp, limit in (("cold", 2.5), ("cached", 0.05)):
        found = [v for k, v in results.searches.items() if k[0] == "bot" and k[2] == temp]
        if found:
            worst = max(s.max for s in found)
            ok_all = all(s.failed == 0 for s in found)
            answer = "" if ok_all else " (" + "; ".join(statuses(s) for s in found) + ")"
            add(
                f"lead search {temp} < {limit * 1000:.0f} ms",
                f"max {ms(worst)} ms{answer}",
                worst < limit and ok_all,
            )
    for r in (r for r in results.drains if r["kind"] == "bot"):
        name = f"drain {r['n']}, {r['db']}, {r['workers']}w, run {r.get('run', 1)}"
        drain = r["drain"]
        if drain is None:
            add(name + " within 1.1× floor", "never finished", False)
        elif r["floor"] > 0:
            add(name + " within 1.1× floor", f"{drain:.2f} s vs {r['floor']:.0f} s", drain <= 1.1 * r["floor"])
        else:
            add(name + " within 1.1× floor", f"{drain:.2f} s vs floor 0 (ratio undefined)", None)
        add(name + ": 0 rejected, none lost/doubled", f"{r['rejected']} / {r['lost']} / {r['doubled']}",
            r["rejected"] == 0 and r["lost"] == 0 and r["doubled"] == 0)  # fmt: skip
    for request in CPU_REQUESTS:
        bot, bare = ack_path_cpu(results, "bot", request), ack_path_cpu(results, "bare", request)
        if bot is not None and bare:
            add(f"ack-path CPU per {request} ≤ 1.3× bare", f"{bot * 1000:.2f} vs {bare * 1000:.2f} ms",
                bot <= 1.3 * bare)  # fmt: skip
    meanwhile, bare = ack_path_cpu(results, "bot", WHILE_POSTING), ack_path_cpu(results, "bare", "view_submission")
    if meanwhile is not None and bare:
        add("(shown) the same, while the batch's sales post", f"{meanwhile * 1000:.2f} vs {bare * 1000:.2f} ms "
            f"({meanwhile / bare:.2f}×)", None)  # fmt: skip
    for (kind, workers), found in results.openloop.items():
        if kind != "bot":
            continue
        s, slow = openloop_summary(found)
        measured = f"p99 {ms(s.p99)} ms, {slow} over 1 s, {s.failed} failed"
        ok = s.p99 < 0.15 and not slow and not s.failed
        add(f"open loop {workers}w: p99 < 150 ms, none over 1 s, none failed", measured, ok)
    for (kind, db), after in results.bursts.items():
        if kind == "bot" and len(after) >= 3:
            drift = after[-1] / after[1] - 1
            add(f"RSS after burst {len(after)} within 5 % of after the 2nd ({db})", f"{drift * 100:+.1f} %",
                abs(drift) <= 0.05)  # fmt: skip
    bare = results.idle.get(("bare", "-"))
    for (kind, db), (_, workers) in results.idle.items():
        if kind == "bot" and bare and bare[1] and workers:
            worst = max(workers) / statistics.mean(bare[1])
            add(f"idle RSS per worker ≤ 1.6× bare ({db})", f"{worst:.2f}×", worst <= 1.6)
    for (kind, label), starts in results.first_ack.items():
        if kind == "bot":
            median = statistics.median(starts)
            add(f"first /logsale ack < 1 s, 1 worker ({label})", f"median {ms(median)} ms", median < 1)
    return table(["target", "measured", "verdict"], rows)


# --------------------------------------------------------------------------- main


def sections(text: str | None) -> tuple[str, ...]:
    if not text:
        return SECTIONS
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [c for c in chosen if c not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return chosen


def ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def setups(text: str) -> tuple[tuple[str, int], ...]:
    """ "sqlite:1,postgres:3" -> (("sqlite", 1), ("postgres", 3))."""
    chosen = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        db, _, workers = part.partition(":")
        if db not in ("sqlite", "postgres") or not workers.isdigit():
            raise argparse.ArgumentTypeError(f"{part!r}: expected sqlite:WORKERS or postgres:WORKERS")
        chosen.append((db, int(workers)))
    return tuple(chosen)


def positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of 1 or more")
    return int(text)


def parse_arguments(argv: list[str] | None) -> tuple[argparse.Namespace, Sizes]:
    """The options, and the run's sizes with any section overrides applied."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (well under a minute): a smoke run")
    parser.add_argument(
        "--only", type=sections, default=SECTIONS, metavar="SECTION[,SECTION]", help=", ".join(SECTIONS)
    )
    drain = parser.add_argument_group("drain section, instead of the run's sizes")
    drain.add_argument("--drains", type=ints, metavar="N[,N]", help="sales per burst, e.g. 60")
    drain.add_argument("--drain-runs", type=positive, metavar="RUNS", help="runs of each burst")
    drain.add_argument("--drain-setups", type=setups, metavar="DB:WORKERS[,…]", help="e.g. postgres:3")
    drain.add_argument("--salespeople", type=positive, help="distinct salespeople (owner emails) per burst")
    drain.add_argument("--form-fill", type=float, metavar="SECONDS", help="from the forms opening to the press")
    memory = parser.add_argument_group("memory section, instead of the run's sizes")
    # More than 10 tells a step (one burst that ran with more connections or threads at once) from a trend.
    memory.add_argument("--bursts", type=positive, metavar="N", help="bursts in a row (10 in a full run)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    overrides = {
        "drains": args.drains,
        "drain_runs": args.drain_runs,
        "drain_setups": args.drain_setups,
        "drain_salespeople": args.salespeople,
        "form_fill": args.form_fill,
        "bursts": args.bursts,
    }
    return args, dataclasses.replace(sizes, **{k: v for k, v in overrides.items() if v is not None})


def main(argv: list[str] | None = None) -> int:
    args, sizes = parse_arguments(argv)
    only = args.only
    results = Results()
    log_dir = Path(tempfile.mkdtemp(prefix="logsale-bench-"))
    databases: tuple[str, ...] = ("sqlite", "postgres")
    if args.quick:
        databases = ("sqlite",)  # the smoke run stays off PostgreSQL
    elif {"drain", "memory"} & set(only):
        problem = h.postgres_problem()
        if problem:
            databases = ("sqlite",)
            results.notes.append(f"PostgreSQL rows skipped: {h.POSTGRES_URL} unreachable ({problem}).")
    started = time.time()
    load_at_start = h.load_average()
    version = h.code_version()
    print(f"# LogSale benchmarks ({'quick' if args.quick else 'full'}, {version})\n", flush=True)

    if "acks" in only:
        run_acks(sizes, results, log_dir)
        print(f"## 1. Ack latency (1 worker, SQLite; LeadSquared enforcing {RATE_CALLS}/{RATE_SECONDS:g} s)\n")
        print(ack_table(results) + "\n")
        print("CPU per request, sequential (a burst of 50 needs about 50 times this, one thread at a time per worker):")
        print(cpu_lines(results) + "\n")
        print("### Lead search (block_suggestion), typed one after another\n")
        print(search_table(results) + "\n", flush=True)
    if "drain" in only:
        run_drains(sizes, results, log_dir, databases)
        print(f"## 2. Drain: N submissions at once, LeadSquared enforcing {RATE_CALLS} calls per {RATE_SECONDS:g} s\n")
        print(drain_table(results) + "\n", flush=True)
        for r in results.drains:
            if r["kind"] != "bot":
                continue  # the naive app has no limiter: its 429s need no explaining
            notes = r.get("rejections", [])
            for note in notes[:3]:
                print(f"bot {r['db']} {r['workers']}w N={r['n']} run {r.get('run', 1)}: {note}", flush=True)
            if len(notes) > 3:
                print(f"… and {len(notes) - 3} more 429s in that run", flush=True)
    if "cpu" in only:
        run_cpu(sizes, results, log_dir)
        print(
            f"## 3. Server CPU per acknowledged request ({sizes.cpu_requests} sequential of each, 1 worker; "
            f"the three apps side by side, taking turns in {sizes.cpu_rounds} rounds; every salesperson seen before)\n"
        )
        print(cpu_table(results) + "\n", flush=True)
        print("By OS thread (ms per request; web-request + bolt-listener + db-ack are the ack path):")
        print(cpu_by_thread(results) + "\n", flush=True)
    if "openloop" in only:
        run_openloop(sizes, results, log_dir)
        print(
            f"## 4. Open loop: {sizes.openloop_rate:g} requests/s for {sizes.openloop_seconds:g} s "
            "(per sale: 1 /logsale, 5 keystrokes, 1 submission), latency from the scheduled time\n"
        )
        print(openloop_table(results) + "\n", flush=True)
    if "memory" in only:
        run_memory(sizes, results, log_dir, databases)
        print("## 5. Memory: idle, then bursts in a row\n")
        print(memory_table(results) + "\n")
        print(
            f"{sizes.bursts} bursts of {sizes.burst_size} sales, one after another; for this section the "
            f"stand-in (and the bot) allow {BURST_RATE[0]} calls per {BURST_RATE[1]:g} s, so each drains in seconds.\n"
        )
        print(bursts_table(results, sizes) + "\n", flush=True)
    if "startup" in only:
        run_startup(sizes, results, log_dir)
        print("## 6. Start-up: Popen to the first acknowledged /logsale, 1 worker\n")
        print(startup_table(results) + "\n", flush=True)

    print("## Targets\n")
    print(targets_table(results, sizes) + "\n")
    if h.code_version() != version:
        results.notes.append(f"The bot changed during the run (now {h.code_version()}): servers started later ran it.")
    for text in (*NOTES, *results.notes):
        print(f"Note: {text}")
    print(h.machine_line())
    print(f"Load average (1 min) at start {load_at_start:.2f}, at end {h.load_average():.2f}")
    print(f"Ran in {time.time() - started:.0f} s; server logs in {log_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
