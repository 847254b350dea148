"""For the people who run LogSale: GET /metrics (Prometheus, every gunicorn worker added up),
GET /readyz (503 while the database is away) and `python -m bot queue`, end to end."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import USER, Deployment
from tests.e2e.server import ROOT, free_port
from tests.e2e.test_home_and_shortcuts import open_home, wait_for_home

CREATE = "SalesActivity.svc/Create"
TOKEN = "metrics-token-7f3a9c"


def scrape(bot: Deployment, token: str | None = TOKEN) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(bot.server.url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def wait_until(condition, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------- /metrics
def test_metrics_need_the_token_when_one_is_set(deploy):
    bot = deploy(LOGSALE_METRICS_TOKEN=TOKEN)
    url = bot.server.url + "/metrics"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer wrong-token"}, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": TOKEN}, timeout=10).status_code == 401  # not "Bearer"
    assert scrape(bot)[("logsale_database_up", ())] == 1
    assert TOKEN not in bot.server.logs()


def test_metrics_without_a_token_are_open(bot):
    assert scrape(bot, token=None)[("logsale_database_up", ())] == 1


def test_metrics_count_every_workers_posts_and_read_the_queue(deploy):
    bot = deploy(LOGSALE_METRICS_TOKEN=TOKEN, WEB_CONCURRENCY="2")
    bot.log_sale(revenue="100")
    bot.wait_for_response("in_channel")
    bot.leadsquared.fail_next("mx_500", path_contains=CREATE)
    bot.log_sale(revenue="200")
    bot.wait_for_response("ephemeral")

    # Two workers answer scrapes in turn; every scrape must add up both workers' counts.
    for _ in range(8):
        samples = scrape(bot)
        assert value(samples, "logsale_posts_total", outcome="posted") == 1
        assert value(samples, "logsale_posts_total", outcome="failed") == 1
        [failed_kind] = [
            dict(ls)["error_kind"]
            for (n, ls), v in samples.items()
            if n == "logsale_posts_total" and dict(ls)["outcome"] == "failed" and v
        ]
        assert failed_kind  # why it failed, as the error classifier names it
        assert value(samples, "logsale_sales", state="done") == 1
        assert value(samples, "logsale_sales", state="failed") == 1
        assert value(samples, "logsale_sales", state="pending") == 0
        assert value(samples, "logsale_oldest_queued_sale_age_seconds") == 0
        # Each Create was timed; each took a slot of the shared LeadSquared limit.
        creates = [
            v
            for (n, ls), v in samples.items()
            if n == "logsale_leadsquared_call_seconds_count" and dict(ls)["operation"] == CREATE
        ]
        assert sum(creates) == 2
        assert value(samples, "logsale_rate_limiter_wait_seconds_count", limiter="leadsquared", result="acquired") >= 2

    # LeadSquared can't be reached: the sale waits in the queue, and the queue's age shows it.
    bot.leadsquared.fail_next("drop_before", count=50, path_contains=CREATE)
    submitted = time.time()
    bot.log_sale(revenue="300")
    wait_until(lambda: value(scrape(bot), "logsale_posts_total", outcome="retry") >= 1, 15, "a retry")
    time.sleep(1)
    samples = scrape(bot)
    assert value(samples, "logsale_sales", state="pending") + value(samples, "logsale_sales", state="posting") == 1
    age = value(samples, "logsale_oldest_queued_sale_age_seconds")
    assert 1 <= age <= time.time() - submitted + 1
    bot.leadsquared.clear_failures()


def test_metrics_count_a_sale_nobody_could_be_told_about(deploy):
    bot = deploy()
    # Every route refuses for good (not "Slack is down"): the announcement is given up at once.
    bot.slack.response_url_failure = (404, "expired_url")
    bot.slack.fail_next("chat.postMessage", "channel_not_found")
    bot.slack.fail_next("conversations.open", "user_not_found")
    bot.log_sale()
    wait_until(
        lambda: value(scrape(bot, token=None), "logsale_notification_failures_total", what="posted") == 1,
        15,
        "the given-up announcement to be counted",
    )


def test_metrics_count_deliveries_put_off_while_slack_is_down(deploy):
    bot = deploy(LOGSALE_NOTIFY_BACKOFF_SECONDS="0.2")
    bot.slack.response_url_failure = (500, "internal_error")
    bot.log_sale()
    wait_until(
        lambda: value(scrape(bot, token=None), "logsale_notification_retries_total", route="response_url") >= 1,
        15,
        "a put-off delivery to be counted",
    )
    bot.slack.response_url_failure = None
    bot.slack.wait_for("response_url", predicate=lambda c: c.ok and "logged a sale" in str(c.args.get("text", "")))
    assert value(scrape(bot, token=None), "logsale_notification_failures_total") == 0


# --------------------------------------------------------------------------- /readyz
class TcpProxy:
    """127.0.0.1:port -> target; stop() cuts every connection and refuses new ones, like a
    database host that went away; start() brings it back on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            # shutdown() first: on Linux close() alone leaves a thread blocked in accept() listening.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.postgres
def test_readyz_is_503_while_the_database_is_unreachable_and_healthz_stays_200(deploy, postgres_url):
    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    try:
        bot = deploy(database_url=postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
        url = bot.server.url
        assert requests.get(url + "/readyz", timeout=10).status_code == 200
        proxy.stop()
        started = time.time()
        response = requests.get(url + "/readyz", timeout=10)
        assert response.status_code == 503 and "database" in response.text
        assert time.time() - started < 5
        assert requests.get(url + "/healthz", timeout=10).status_code == 200  # alive, just not ready
        assert "postgres" not in response.text.lower()  # no URL (it may hold a password) in the answer
        proxy.start()
        wait_until(lambda: requests.get(url + "/readyz", timeout=10).status_code == 200, 15, "ready again")
    finally:
        proxy.stop()


# --------------------------------------------------------------------------- python -m bot queue
def queue(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADSQUARED_", "LOGSALE_"))}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "queue", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def sale_ids(listing: str, state: str) -> list[str]:
    return [line.split()[0].lstrip("#") for line in listing.splitlines() if line.strip().split(" ")[1:2] == [state]]


def test_queue_lists_retries_without_reposting_an_unknown_sale_and_resolves(deploy, sqlite_url):
    # A Create that reaches LeadSquared but whose answer never comes back, past a 1 s horizon: "unknown".
    bot = deploy(LEADSQUARED_TIMEOUT="1", LOGSALE_RETRY_HORIZON_SECONDS="1", LOGSALE_HOME_REFRESH_SECONDS="0.5")
    open_home(bot)
    wait_for_home(bot, USER, lambda t: "No sales yet" in t)
    bot.leadsquared.fail_next("slow_after_create", sleep=3)
    bot.log_sale(revenue="4242")
    bot.wait_for_response("ephemeral")
    [created_id] = bot.leadsquared.live_activities()
    bot.leadsquared.fail_next("mx_500", path_contains=CREATE)
    bot.log_sale(revenue="5151")
    bot.wait_for_response("ephemeral", count=2)

    listed = queue(sqlite_url, "list")
    assert listed.returncode == 0, listed.stderr
    [unknown] = sale_ids(listed.stdout, "unknown")
    [failed] = sale_ids(listed.stdout, "failed")
    assert "may already be in LeadSquared" in listed.stdout and "Lead does not exist in the system" in listed.stdout
    assert "Stuck" in listed.stdout and "4242" in listed.stdout

    retried = queue(sqlite_url, "retry", unknown)
    assert retried.returncode == 0, retried.stderr
    assert "looks it up first" in retried.stdout
    # The running bot finds the activity that did arrive and adopts it: announced once, never posted twice.
    [announcement] = bot.wait_for_response("in_channel", timeout=15)
    assert created_id in str(announcement.args)
    assert len(bot.leadsquared.calls_to(CREATE)) == 2  # the slow one and the refused one; no third
    assert bot.leadsquared.calls_to("RetrieveByLeadId")
    # ...and Priya's Home, open in Slack, follows a change made by another process entirely.
    wait_for_home(bot, USER, lambda t: "*posted*" in t)

    again = queue(sqlite_url, "retry", unknown)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.strip().count("\n") == 0 and "is done" in again.stderr

    resolved = queue(sqlite_url, "resolve", failed)
    assert resolved.returncode == 0, resolved.stderr
    assert sale_ids(queue(sqlite_url, "list", "failed").stdout, "failed") == []
    time.sleep(1.5)
    assert len(bot.leadsquared.calls_to(CREATE)) == 2  # resolved means never posted by us again

    missing = queue(sqlite_url, "resolve", "99999")
    assert missing.returncode == 1 and "no sale #99999" in missing.stderr
    usage = queue(sqlite_url, "frobnicate")
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1
    down = queue(f"postgresql://nobody:secret-pw@127.0.0.1:{free_port()}/nowhere", "list")
    assert down.returncode == 3 and down.stderr.count("\n") == 1
    assert "secret-pw" not in down.stderr


def test_queue_lists_sales_stuck_in_the_queue(deploy, sqlite_url):
    bot = deploy()
    bot.leadsquared.fail_next("drop_before", count=50, path_contains=CREATE)
    bot.log_sale(revenue="777")
    wait_until(lambda: bot.leadsquared.calls_to(CREATE), 10, "a first attempt")
    listed = queue(sqlite_url, "list", "stuck", "--older-than", "0")
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if "777" in line]
    assert " pending " in line or " posting " in line
    assert "Stuck" in listed.stdout and "Failed" not in listed.stdout
    bot.leadsquared.clear_failures()


def worker_pids(bot: Deployment) -> list[int]:
    master = bot.server.process.pid
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:  # ppid
                pids.append(int(entry))
    return pids


def test_a_worker_that_dies_keeps_its_counts_in_the_sum(deploy):
    import signal

    bot = deploy(WEB_CONCURRENCY="2")
    bot.log_sale()
    bot.wait_for_response("in_channel")
    wait_until(lambda: len(worker_pids(bot)) == 2, 10, "two workers")
    # Both original workers die in turn (so surely the one that posted): gunicorn starts new ones
    # and child_exit marks each dead one; its counts must stay in the sum.
    original = set(worker_pids(bot))
    for n, pid in enumerate(sorted(original), start=1):
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda n=n: len(set(worker_pids(bot)) - original) == n and len(worker_pids(bot)) == 2, 20, "a new worker"
        )
    wait_until(lambda: requests.get(bot.server.url + "/healthz", timeout=5).status_code == 200, 10, "healthz")
    for _ in range(6):
        samples = scrape(bot, token=None)
        assert value(samples, "logsale_posts_total", outcome="posted") == 1
        assert value(samples, "logsale_sales", state="done") == 1
