"""What the benchmarks share: stand-ins, databases, servers started as the Procfile starts them,
signed requests, concurrency, memory and statistics.

Servers are started with tests/e2e/server.py's ``start_server``: the Procfile's command under
gunicorn for the bot, and ``gunicorn -c python:bench.gunicorn_conf bench.<kind>_app:application``
(its ``command`` parameter) for the baselines.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import platform
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests import slack_requests as sr
from tests.e2e.server import ROOT, ServerProcess, free_port, start_server
from tests.postgres import POSTGRES_URL, fresh_schema_url, postgres_problem  # noqa: F401 - used by run.py
from tests.standins.leadsquared import LeadSquaredStandIn
from tests.standins.slack import SlackStandIn

SIGNING_SECRET = "bench-signing-secret-3c5e1a"
BOT_TOKEN = "xoxb-bench-bot-token-42"
ACCESS_KEY = "u$r-bench-access-key-9f2"
SECRET_KEY = "bench-secret-key-77ad01"
CHANNEL = "C0BENCH"
REQUEST_TIMEOUT = 10.0  # seconds; Slack itself gives up after 3

KINDS = {
    "bot": None,  # the Procfile's own command
    "naive": "gunicorn -c python:bench.gunicorn_conf bench.naive_app:application",
    "bare": "gunicorn -c python:bench.gunicorn_conf bench.bare_app:application",
    "stack": "gunicorn -c python:bench.gunicorn_conf bench.stack_app:application",
}


def user_id(n: int) -> str:
    return f"U0BENCH{n:03d}"


def user_email(user: str) -> str:
    """Each salesperson's Slack email, also an active LeadSquared user: they own their sales."""
    return f"rep{user[-3:]}@acme.in"


# --------------------------------------------------------------------------- stand-ins


@dataclass
class StandIns:
    slack: SlackStandIn
    leadsquared: LeadSquaredStandIn
    lead_id: str
    search_leads: list[tuple[str, str]]  # (first name, ProspectID) for the lead search

    def stop(self) -> None:
        self.slack.stop()
        self.leadsquared.stop()


def start_standins(
    *, users: int, leadsquared_delay: float = 0.0, search_leads: int = 0, rate_limit: tuple[int, float] = (25, 5.0)
) -> StandIns:
    """Stand-in Slack and LeadSquared on 127.0.0.1; LeadSquared enforces ``rate_limit`` (25 calls per 5 s)."""
    slack = SlackStandIn(bot_token=BOT_TOKEN).start()
    for n in range(users):
        slack.add_user(user_id(n), email=user_email(user_id(n)), tz="Asia/Kolkata", locale="en-IN")
    slack.add_channel(CHANNEL, "sales")
    lsq = LeadSquaredStandIn(access_key=ACCESS_KEY, secret_key=SECRET_KEY, rate_limit=rate_limit).start()
    for n in range(users):
        lsq.add_user(user_email(user_id(n)), first_name="Rep", last_name=f"{n:03d}")
    lsq.add_product("SKU-PRO", "Pro plan")
    lead_id = lsq.add_lead(first_name="Asha", last_name="Rao", email="asha@buyer.in", phone="9876543210")
    found = []
    for n in range(search_leads):
        name = f"Buyer{n:03d}"
        found.append((name, lsq.add_lead(first_name=name, last_name="Kumar", email=f"buyer{n:03d}@buyer.in")))
    lsq.delay = leadsquared_delay
    return StandIns(slack, lsq, lead_id, found)


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh database URL: a new SQLite file, or a new PostgreSQL schema (as tests/conftest.py does)."""
    if kind == "sqlite":
        path = workdir / f"logsale-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    with fresh_schema_url("bench") as url:
        yield url


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    kind: str
    process: ServerProcess
    standins: StandIns
    startup_s: float  # Popen to the first 200 answer to a signed /logsale

    @property
    def events_url(self) -> str:
        return self.process.events_url


def server_env(
    standins: StandIns, database_url: str | None, workers: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standins.slack.api_url,
        "LEADSQUARED_HOST": standins.leadsquared.url,
        "LEADSQUARED_ACCESS_KEY": ACCESS_KEY,
        "LEADSQUARED_SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": "INFO",
        "WEB_CONCURRENCY": str(workers),
        # The baselines live in bench/, which the editable install doesn't map.
        "PYTHONPATH": str(ROOT),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running(
    kind: str,
    standins: StandIns,
    log_dir: Path,
    *,
    workers: int = 1,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start a server (``kind`` = bot, naive or bare), time its start-up, stop it afterwards."""
    extra = env
    env = server_env(standins, database_url, workers, extra)
    log_path = log_dir / f"{kind}-{uuid.uuid4().hex[:6]}.log"
    port = free_port()
    command = KINDS[kind]
    url = f"http://127.0.0.1:{port}/slack/events"
    acked_after: list[float] = []
    stop_polling = threading.Event()

    def poll(started: float) -> None:
        # Signed /logsale until the first 200 (connection refused until gunicorn listens).
        while not stop_polling.is_set() and time.perf_counter() < started + 60:
            try:
                response = post_slash(standins, url, user_id(0), timeout=REQUEST_TIMEOUT)
            except SEND_FAILED:
                time.sleep(0.005)
                continue
            if response.status_code == 200:
                acked_after.append(time.perf_counter() - started)
                return
            time.sleep(0.005)

    started = time.perf_counter()
    poller = threading.Thread(target=poll, args=(started,), name="bench-first-ack", daemon=True)
    poller.start()
    try:
        # From this (long-lived) thread: start_server ties the server's life to the thread
        # that started it (PR_SET_PDEATHSIG).
        process = start_server(env, log_path, port=port, timeout=60, command=command)
    except Exception as error:
        raise RuntimeError(f"{kind} server did not start: {error}") from None
    finally:
        poller.join(70 if "process" in locals() else 0)
        stop_polling.set()
    first_ack = acked_after[0] if acked_after else None
    try:
        if first_ack is None:
            raise RuntimeError(f"{kind} server never acknowledged /logsale:\n{process.logs()[-2000:]}")
        wait_for_workers(process, workers)
        yield Server(kind, process, standins, first_ack)
    finally:
        process.stop()


def wait_for_workers(process: ServerProcess, workers: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(gunicorn_pids(process.process.pid)) >= workers + 1:
            return
        time.sleep(0.05)


# --------------------------------------------------------------------------- requests


@dataclass
class Timed:
    started: float  # time.time() just before sending
    seconds: float  # until the whole answer was read
    status: int | None  # None: no answer (timeout, connection error)
    body: str = ""


@dataclass
class Answer:
    status_code: int
    text: str


# A request the client could not send, or whose answer it could not read.
SEND_FAILED = (OSError, http.client.HTTPException)


def post_as_slack(url: str, body: str, *, timeout: float = REQUEST_TIMEOUT) -> Answer:
    """POST ``body`` signed like Slack, its head and body in one write, as a sender with cores of
    its own does. requests writes the head, then the body: with 200 client threads sharing this
    process (and its GIL) with both stand-ins, a body sometimes followed its head by over 0.5 s,
    the server's bound on silence (bot/gunicorn_worker.py) cut it, and the press was answered 400
    (logged as "request body cut short: 0 of 4965 bytes (nothing more arrived for 0.5 s…").
    That is the load generator's stall, not the server's."""
    parts = urlsplit(url)
    data = body.encode("utf-8")
    headers = {
        "Host": parts.netloc,
        **sr.slack_headers(SIGNING_SECRET, body),
        "Content-Length": str(len(data)),
        "Connection": "close",
    }
    head = f"POST {parts.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response.status, response.read().decode("utf-8", "replace"))


def _timed(send: Callable[[], Answer]) -> Timed:
    wall = time.time()
    start = time.perf_counter()
    try:
        response = send()
        return Timed(wall, time.perf_counter() - start, response.status_code, response.text)
    except SEND_FAILED as error:
        return Timed(wall, time.perf_counter() - start, None, type(error).__name__)


def post_slash(standins: StandIns, url: str, user: str, *, timeout: float = REQUEST_TIMEOUT) -> Answer:
    return post_as_slack(url, slash_body(standins, user), timeout=timeout)


def slash(server: Server, user: str) -> Timed:
    return _timed(lambda: post_slash(server.standins, server.events_url, user))


def private_metadata(standins: StandIns, user: str) -> str:
    """What the bot's modal carries (bot.slack_ui.modal.ModalContext), with a fresh response_url."""
    from bot.slack_ui.modal import ModalContext

    return ModalContext(
        channel_id=CHANNEL,
        response_url=standins.slack.new_response_url(channel_id=CHANNEL, user_id=user),
        tz="Asia/Kolkata",
        locale="en-IN",
    ).encode()


def submission_body(standins: StandIns, user: str, revenue: int) -> str:
    """A view_submission with the lead chosen in the lead search (an external_select: its value
    is the ProspectId). ``revenue`` is unique per submission, to tell lost or doubled sales."""
    values = {
        "lead": {"lead": sr.external_select_state(standins.lead_id, "Asha Rao")},
        "product_sku": {"product_sku": sr.plain_text_state("SKU-PRO")},
        "status": {"status": sr.static_select_state("Won")},
        "revenue": {"revenue": sr.number_state(str(revenue))},
        "sales_owner": {"sales_owner": sr.email_state(user_email(user))},
        "sales_date": {"sales_date": sr.plain_text_state("yesterday 5pm")},
    }
    payload = sr.view_submission_payload(
        values=values,
        view_id=f"V{uuid.uuid4().hex[:10].upper()}",
        private_metadata=private_metadata(standins, user),
        user_id=user,
    )
    return sr.form_body_for_payload(payload)


def submit(server: Server, user: str, revenue: int) -> Timed:
    return send(server, submission_body(server.standins, user, revenue))


def slash_body(standins: StandIns, user: str) -> str:
    return sr.slash_command_body(
        text="",
        user_id=user,
        channel_id=CHANNEL,
        channel_name="sales",
        trigger_id=standins.slack.new_trigger_id(),
        response_url=standins.slack.new_response_url(channel_id=CHANNEL, user_id=user),
    )


def send(server: Server, body: str) -> Timed:
    """POST a prepared body, signed now (Slack signs each request as it sends it)."""
    return _timed(lambda: post_as_slack(server.events_url, body))


def burst(server: Server, bodies: list[str]) -> list[Timed]:
    """All ``bodies`` at once. Built beforehand, so this process does little but send them."""
    return at_once(len(bodies), lambda n: send(server, bodies[n]))


def suggestion_body(standins: StandIns, user: str, typed: str) -> str:
    """A keystroke in the modal's lead search (block_suggestion)."""
    payload = sr.block_suggestion_payload(
        action_id="lead",
        block_id="lead",
        value=typed,
        user_id=user,
        private_metadata=private_metadata(standins, user),
    )
    return sr.form_body_for_payload(payload)


def suggest(server: Server, user: str, typed: str) -> Timed:
    return send(server, suggestion_body(server.standins, user, typed))


def options_found(result: Timed) -> int:
    """How many options a block_suggestion answer offered (0 for an error or a non-JSON answer)."""
    try:
        return len(json.loads(result.body).get("options") or [])
    except (ValueError, AttributeError):
        return 0


def at_once(count: int, job: Callable[[int], Any]) -> list[Any]:
    """Run job(0..count-1) on ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count, timeout=60)

    def run(n: int) -> Any:
        barrier.wait()
        return job(n)

    with ThreadPoolExecutor(count, thread_name_prefix="bench-client") as pool:
        return list(pool.map(run, range(count)))


# --------------------------------------------------------------------------- memory


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def gunicorn_pids(root: int) -> list[int]:
    """The gunicorn master and its workers under ``root`` (not the shell the Procfile line runs in)."""
    tree = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        argv = cmdline.split(b"\0")
        if b"gunicorn" in cmdline and Path(argv[0].decode(errors="replace")).name not in ("sh", "bash", "dash"):
            found.append(pid)
    return found


def _proc_kb(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Memory:
    processes: int
    rss_mb: float  # sum of VmRSS (shared pages counted once per process)
    pss_mb: float  # sum of Pss (shared pages split between the processes sharing them)


def worker_rss_mb(server: Server) -> list[float]:
    """RSS of each gunicorn worker (not the master), MB."""
    root = server.process.process.pid
    pids = gunicorn_pids(root)
    tree = _children()
    masters = [p for p in pids if not any(p in tree.get(q, []) for q in pids)]
    return [_proc_kb(f"/proc/{p}/status", "VmRSS") / 1024 for p in pids if p not in masters]


def memory(server: Server) -> Memory:
    pids = gunicorn_pids(server.process.process.pid)
    rss = sum(_proc_kb(f"/proc/{p}/status", "VmRSS") for p in pids)
    pss = sum(_proc_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
    return Memory(len(pids), rss / 1024, pss / 1024)


def cpu_seconds(server: Server) -> float:
    """User + system CPU the gunicorn master and workers have used so far."""
    total = 0
    for pid in gunicorn_pids(server.process.process.pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(server: Server) -> dict[str, float]:
    """CPU each kind of thread of the gunicorn master and workers has used so far, by OS thread
    name (bot/thread_names.py; unnamed ones read "gunicorn" or "python"). Threads that have
    ended are not counted: the pools here keep theirs."""
    by_name: dict[str, float] = {}
    for pid in gunicorn_pids(server.process.process.pid):
        for name, seconds in process_thread_cpu(pid).items():
            by_name[name] = by_name.get(name, 0.0) + seconds
    return by_name


def process_thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of one process's live threads, added up by OS thread name."""
    by_name: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):  # a thread may end while read
            name = (task / "comm").read_text().strip()
            by_name[name] = by_name.get(name, 0.0) + task_seconds(task)
    return by_name


def task_seconds(task: Path) -> float:
    # The scheduler's runtime (ns precision) where the kernel shows it; else stat's clock ticks.
    with contextlib.suppress(OSError):
        for line in (task / "sched").read_text().splitlines():
            if line.startswith("se.sum_exec_runtime"):
                return float(line.split(":")[1]) / 1000  # milliseconds
    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU this process (client threads and both stand-ins) has used so far."""
    times = os.times()
    return times.user + times.system


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Summary:
    n: int
    p50: float
    p99: float
    max: float
    failed: int  # no answer or not HTTP 200
    statuses: dict[str, int] = field(default_factory=dict)


def summarize(results: list[Timed]) -> Summary:
    seconds = [r.seconds for r in results]
    statuses: dict[str, int] = {}
    for r in results:
        key = str(r.status) if r.status is not None else "no answer"
        statuses[key] = statuses.get(key, 0) + 1
    failed = sum(1 for r in results if r.status != 200)
    return Summary(
        len(results), percentile(seconds, 50), percentile(seconds, 99), max(seconds, default=math.nan), failed, statuses
    )


# --------------------------------------------------------------------------- the machine


def load_average() -> float:
    """The 1-minute load average: anything else running skews every number here."""
    return os.getloadavg()[0]


def code_version() -> str:
    """The last commit that changed the bot (bot/, pyproject.toml, Procfile), and uncommitted changes."""
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h", "--", "bot", "pyproject.toml", "Procfile"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot", "pyproject.toml", "Procfile"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown commit"
    return f"bot at commit {commit or 'unknown'}" + (" + uncommitted changes" if dirty else "")


def machine_line() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = _proc_kb("/proc/meminfo", "MemTotal") / 1024 / 1024
    versions = []
    for package in ("gunicorn", "slack_bolt", "SQLAlchemy"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, {ram_gb:.1f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; " + ", ".join(versions)
    )
