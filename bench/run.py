"""LogSale benchmarks: ack latency, drain against LeadSquared's rate limit, footprint, and a
naive baseline, all through real gunicorn servers talking to the stand-ins on 127.0.0.1.

    python -m bench.run            # the full run (several minutes; needs PostgreSQL for its rows)
    python -m bench.run --quick    # tiny sizes, under a minute: a smoke run for CI

Prints one Markdown table per section, then the targets, then the machine. Server logs stay in
the directory named at the end. Nothing is sent anywhere but 127.0.0.1 (and PostgreSQL at
TEST_POSTGRES_URL, by default 127.0.0.1:5432/test).

1. Ack latency: p50/p99/max of the /logsale ack and the view_submission ack (lead given as a
   ProspectId, as the lead search select submits it; the sales owner is the salesperson's own
   email), sequential and with 50 salespeople at once (all type /logsale, take `think` seconds
   to fill in the form, all press Log sale; three rounds, the first with cold caches), while
   LeadSquared takes 2 s and 4 s per call; the lead search (block_suggestion) cold and cached.
   The bot and the naive baseline (bench/naive_app.py) each on one worker, SQLite.
2. Drain: N submissions at once (from up to 50 salespeople, whose modals were opened before and
   LeadSquared's window left to empty) against a stand-in enforcing 25 calls per 5 s. Drain
   time is from the first submission to the moment the stand-in holds N activities; the floor
   is (N-1) div 25 x 5 s; rejected = stand-in answers with HTTP 429; lost/doubled compare the
   activities with the submissions (each has its own revenue).
3. Footprint: summed RSS (and PSS) of the gunicorn master and workers, idle and after the
   200-sale drain, against a bare Bolt app (bench/bare_app.py) served the same way; start-up
   is from Popen to the first 200 answer to a signed /logsale (median over every start).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import harness as h

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
    workers: tuple[int, ...]
    databases: tuple[str, ...]
    think: float  # seconds between opening the modal and pressing Log sale
    quiet: float  # before a drain: LeadSquared idle this long (its window empty again)


FULL = Sizes(
    sequential=30,
    naive_sequential=10,
    crowd=50,
    rounds=3,
    naive_rounds=1,
    searches=5,
    delays=(2.0, 4.0),
    drains=(25, 60, 200),
    workers=(1, 3),
    databases=("sqlite", "postgres"),
    think=6.0,
    quiet=5.5,
)
QUICK = Sizes(
    sequential=5,
    naive_sequential=2,
    crowd=5,
    rounds=1,
    naive_rounds=1,
    searches=2,
    delays=(2.0,),
    drains=(10,),
    workers=(1,),
    databases=("sqlite",),
    think=2.0,
    quiet=1.0,
)
RATE_CALLS, RATE_SECONDS = 25, 5.0
NOTES = (
    "Client threads and both stand-ins run in this process, on the same cores as the server: "
    "every time includes that contention (see the load average below).",
    "Lead search 'found' = answers offering at least one lead; 'cached' repeats the cold queries.",
    "Drain floor for N <= 25 is 0 s, so the 1.1x target has no meaning there; "
    "'other calls' are LeadSquared calls made while acking (the sales-owner check), which share the budget.",
    "RSS sums count a page shared by master and workers once in every process (as the issue asks); "
    "PSS divides shared pages between the processes sharing them.",
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
    startups: dict = field(default_factory=dict)  # (kind, workers, db) -> [seconds]
    memory: dict = field(default_factory=dict)  # (kind, workers, db) -> {"idle": Memory, "after": Memory}
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
    kind: str, db: str, workers: int, n: int, results: Results, log_dir: Path, *, keep_memory: bool, quiet: float = 0.0
) -> dict:
    progress(f"drain: {kind}, {db}, {workers} worker(s), {n} sales")
    standins = h.start_standins(users=min(n, 50))
    floor = floor_seconds(n)
    deadline_after = floor * 1.5 + 30
    try:
        with h.database(db, log_dir) as url:
            with h.running(kind, standins, log_dir, workers=workers, database_url=url) as srv:
                note_startup(results, srv, workers, db)
                time.sleep(0.5)
                idle = h.memory(srv)
                # Each salesperson opened the modal a while ago (the bot looks their owner email
                # up then); LeadSquared's window has emptied since.
                salespeople = min(n, 50)
                h.burst(srv, [h.slash_body(standins, h.user_id(i)) for i in range(salespeople)])
                wait_until_quiet(standins, quiet)
                standins.leadsquared.reset_calls()
                revenues = [10000 + i for i in range(n)]
                bodies = [h.submission_body(standins, h.user_id(i % 50), revenues[i]) for i in range(n)]
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
                after = h.memory(srv)
                states = outbox_states(url) if kind == "bot" else {}
            per_revenue = Counter(round(float(a.get("Revenue", -1))) for a in activities.values())
            calls = list(standins.leadsquared.calls)
            row = {
                "kind": kind,
                "db": db if kind == "bot" else "-",
                "workers": workers,
                "n": n,
                "floor": floor,
                "drain": None if done_at is None else done_at - first,
                "rejected": sum(1 for c in calls if c.status == 429),
                "calls": len(calls),
                "creates": sum(1 for c in calls if c.path.lower().endswith("/salesactivity.svc/create")),
                "lost": sum(1 for r in revenues if per_revenue.get(r, 0) == 0),
                "doubled": sum(1 for r in revenues if per_revenue.get(r, 0) > 1),
                "acks": h.summarize(acks),
                "states": states,
            }
            if keep_memory:
                results.memory[(kind, workers, row["db"])] = {"idle": idle, "after": after}
            return row
    finally:
        standins.stop()


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
    for db in databases:
        for workers in sizes.workers:
            for n in sizes.drains:
                attempt(results, sizes, log_dir, "bot", db, workers, n)
    for n in sizes.drains:
        attempt(results, sizes, log_dir, "naive", "sqlite", 1, n)


def attempt(results: Results, sizes: Sizes, log_dir: Path, kind: str, db: str, workers: int, n: int) -> None:
    """One drain; a failure (a server that won't start, say) is noted and the rest goes on."""
    try:
        row = drain_once(kind, db, workers, n, results, log_dir, keep_memory=n == max(sizes.drains), quiet=sizes.quiet)
    except Exception as error:
        what = f"drain {kind} {db} {workers}w N={n}"
        results.notes.append(f"{what} failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        progress(f"{what} FAILED: {error}")
        return
    results.drains.append(row)


# --------------------------------------------------------------------------- 3. footprint


def run_bare(sizes: Sizes, results: Results, log_dir: Path) -> None:
    n = max(sizes.drains)
    for workers in sizes.workers:
        progress(f"footprint: bare Bolt app, {workers} worker(s)")
        standins = h.start_standins(users=50)
        try:
            with h.running("bare", standins, log_dir, workers=workers) as srv:
                note_startup(results, srv, workers, "-")
                time.sleep(0.5)
                idle = h.memory(srv)
                h.burst(srv, [h.slash_body(standins, h.user_id(i % 50)) for i in range(n)])
                time.sleep(1.0)
                results.memory[("bare", workers, "-")] = {"idle": idle, "after": h.memory(srv)}
        finally:
            standins.stop()
    # More start-ups of the bot for a steadier median (SQLite, one worker).
    for _ in range(2):
        standins = h.start_standins(users=1)
        try:
            with h.database("sqlite", log_dir) as url, h.running("bot", standins, log_dir, database_url=url) as srv:
                note_startup(results, srv, 1, "sqlite")
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
                f"{r['floor']:.0f}",
                "never" if drain is None else f"{drain:.2f}",
                over,
                f"{r['creates']} / {r['calls'] - r['creates']}",
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
        "floor s",
        "drain s",
        "÷floor",
        "LSQ Creates / other calls",
        "429s",
        "lost",
        "doubled",
        "ack p99 / max ms",
        "ack HTTP",
        "outbox",
    ]
    return table(headers, rows)


def footprint_table(results: Results, n: int) -> str:
    rows = []
    order = {"bare": 0, "naive": 1, "bot": 2}
    for key in sorted(results.memory, key=lambda k: (k[1], order[k[0]], k[2])):
        kind, workers, db = key
        mem = results.memory[key]
        bare = results.memory.get(("bare", workers, "-"))
        starts = [s for (k, w, _), v in results.startups.items() if k == kind and w == workers for s in v]
        rows.append(
            [
                kind,
                str(workers),
                db,
                f"{mem['idle'].processes}",
                f"{mem['idle'].rss_mb:.0f}",
                f"{mem['after'].rss_mb:.0f}",
                f"{mem['idle'].pss_mb:.0f}",
                f"{mem['after'].pss_mb:.0f}",
                ratio(mem["idle"].rss_mb, bare["idle"].rss_mb) if bare else "-",
                ratio(mem["after"].rss_mb, bare["after"].rss_mb) if bare else "-",
                f"{ms(statistics.median(starts))} ({len(starts)})" if starts else "-",
            ]
        )
    headers = [
        "app",
        "workers",
        "DB",
        "processes",
        "RSS idle MB",
        f"RSS after {n} MB",
        "PSS idle MB",
        f"PSS after {n} MB",
        "÷bare idle",
        "÷bare after",
        "start-up median ms (starts)",
    ]
    return table(headers, rows)


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
        name = f"drain {r['n']}, {r['db']}, {r['workers']}w"
        drain = r["drain"]
        if drain is None:
            add(name + " within 1.1× floor", "never finished", False)
        elif r["floor"] > 0:
            add(name + " within 1.1× floor", f"{drain:.2f} s vs {r['floor']:.0f} s", drain <= 1.1 * r["floor"])
        else:
            add(name + " within 1.1× floor", f"{drain:.2f} s vs floor 0 (ratio undefined)", None)
        add(name + ": ≤ 1 rejected, none lost/doubled", f"{r['rejected']} / {r['lost']} / {r['doubled']}",
            r["rejected"] <= 1 and r["lost"] == 0 and r["doubled"] == 0)  # fmt: skip
    for (kind, workers, db), mem in sorted(results.memory.items()):
        bare = results.memory.get(("bare", workers, "-"))
        if kind != "bot" or not bare:
            continue
        worst = max(mem["idle"].rss_mb / bare["idle"].rss_mb, mem["after"].rss_mb / bare["after"].rss_mb)
        add(f"memory ≤ 1.5× bare ({workers}w, {db})", f"{worst:.2f}× (worst of idle/after)", worst <= 1.5)
    starts = [s for (k, _, _), v in results.startups.items() if k == "bot" for s in v]
    if starts:
        add("bot start-up < 1 s", f"median {ms(statistics.median(starts))} ms, max {ms(max(starts))} ms",
            statistics.median(starts) < 1)  # fmt: skip
    return table(["target", "measured", "verdict"], rows)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (under a minute): a smoke run")
    parser.add_argument("--only", choices=("acks", "drain", "footprint"), help="run one section")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    results = Results()
    log_dir = Path(tempfile.mkdtemp(prefix="logsale-bench-"))
    databases = sizes.databases
    if "postgres" in databases:
        problem = h.postgres_problem()
        if problem:
            databases = tuple(d for d in databases if d != "postgres")
            results.notes.append(f"PostgreSQL rows skipped: {h.POSTGRES_URL} unreachable ({problem}).")
    started = time.time()
    load_at_start = h.load_average()
    version = h.code_version()
    print(f"# LogSale benchmarks ({'quick' if args.quick else 'full'}, {version})\n", flush=True)

    if args.only in (None, "acks"):
        run_acks(sizes, results, log_dir)
        print(f"## 1. Ack latency (1 worker, SQLite; LeadSquared enforcing {RATE_CALLS}/{RATE_SECONDS:g} s)\n")
        print(ack_table(results) + "\n")
        print("CPU per request, sequential (a burst of 50 needs about 50 times this, one thread at a time per worker):")
        print(cpu_lines(results) + "\n")
        print("### Lead search (block_suggestion), typed one after another\n")
        print(search_table(results) + "\n", flush=True)
    if args.only in (None, "footprint", "drain"):
        run_bare(sizes, results, log_dir)
    if args.only in (None, "drain", "footprint"):
        run_drains(sizes, results, log_dir, databases)
        print(f"## 2. Drain: N submissions at once, LeadSquared enforcing {RATE_CALLS} calls per {RATE_SECONDS:g} s\n")
        print(drain_table(results) + "\n", flush=True)
        print(f"## 3. Footprint (memory idle and after the {max(sizes.drains)}-sale drain; start-up)\n")
        print(footprint_table(results, max(sizes.drains)) + "\n", flush=True)

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
