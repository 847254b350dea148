"""Starts the real server exactly as the Procfile does, on a free port."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _die_with_parent() -> None:
    # Linux: SIGTERM the server when the process that started it dies (gunicorn's workers
    # follow their master). Elsewhere this is a no-op and teardown stops the server.
    # Linux counts the *thread* that started it as the parent: call start_server from a
    # thread that outlives the server (the main thread, as pytest fixtures do).
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_web_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line[len("web:") :].strip()
    raise AssertionError("Procfile has no web: line")


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def kill9(self) -> None:
        """Every process of the server (master and workers) dies at once, mid-flight."""
        self.stop(signal.SIGKILL)


def start_server(
    env: dict[str, str],
    log_path: Path,
    *,
    port: int | None = None,
    timeout: float = 30,
    command: str | None = None,
) -> ServerProcess:
    """Start ``command`` ($PORT substituted; the Procfile's web command when None) and wait for /healthz."""
    port = port or free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADSQUARED_", "LOGSALE_"))}
    full_env.update(env)
    full_env["PORT"] = str(port)
    full_env.setdefault("WEB_CONCURRENCY", "1")
    # The Procfile's command, run from this venv (its bin/ first on PATH), like a dyno would.
    full_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{full_env.get('PATH', '')}"
    argv = shlex.split((command or procfile_web_command()).replace("$PORT", str(port)))
    log_file = open(log_path, "ab")  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so kill9 reaches the workers too
        preexec_fn=_die_with_parent,  # a test run that is killed leaves no server behind
    )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.logs()[-3000:]}")
        try:
            if requests.get(server.url + "/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or a worker still importing
            pass
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"server did not answer /healthz within {timeout}s:\n{server.logs()[-3000:]}")
