"""A PostgreSQL for tests and benchmarks: is it there, and a fresh schema per use."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_problem() -> str | None:
    """None when PostgreSQL answers, else why not (one line)."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"


@contextlib.contextmanager
def fresh_schema_url(prefix: str = "t") -> Iterator[str]:
    """A database URL whose search_path is a new, empty schema (set through libpq's options, so
    it holds for server subprocesses too); the schema is dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- a private PostgreSQL cluster, to restart or stop without disturbing anyone ---------------

PG_BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)


def postgres_binaries() -> str | None:
    """The directory with initdb and pg_ctl (newest installed version), or None."""
    for directory in PG_BIN_DIRS:
        if os.path.exists(os.path.join(directory, "initdb")) and os.path.exists(os.path.join(directory, "pg_ctl")):
            return directory
    found = shutil.which("initdb")
    return os.path.dirname(found) if found and shutil.which("pg_ctl") else None


@dataclass
class PrivateCluster:
    """A throwaway PostgreSQL (initdb into a temp dir, its own port and socket directory)."""

    bin_dir: str
    data_dir: str
    port: int
    run_as: list[str]  # ["runuser", "-u", "postgres", "--"] as root (PostgreSQL refuses root)
    settings: tuple[str, ...] = ()  # extra "-c name=value" server settings

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        command = [
            *self.run_as,
            os.path.join(self.bin_dir, "pg_ctl"),
            "-D",
            self.data_dir,
            "-l",
            os.path.join(self.data_dir, "server.log"),
            "-w",
            "-t",
            "30",
            *args,
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += "".join(f" -c {setting}" for setting in self.settings)
        self._pg_ctl("-o", options, "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def restart(self) -> None:
        """Every connection is cut; the server is back when this returns."""
        self.stop()
        self.start()


@contextlib.contextmanager
def private_cluster(**settings: object) -> Iterator[PrivateCluster]:
    """Raises FileNotFoundError when initdb/pg_ctl are not installed. ``settings``: server
    settings, e.g. max_connections=20."""
    bin_dir = postgres_binaries()
    if bin_dir is None:
        raise FileNotFoundError("initdb and pg_ctl are not installed (apt-get install postgresql)")
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = tempfile.mkdtemp(prefix="logsale-pg-")
    data_dir = os.path.join(base, "data")
    os.mkdir(data_dir, 0o700)
    if run_as:
        shutil.chown(base, "postgres")
        shutil.chown(data_dir, "postgres")
    subprocess.run(
        [*run_as, os.path.join(bin_dir, "initdb"), "-D", data_dir, "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cluster = PrivateCluster(bin_dir, data_dir, port, run_as, tuple(f"{k}={v}" for k, v in settings.items()))
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def private_cluster_for_test(**settings: object) -> Iterator[PrivateCluster]:
    """private_cluster(**settings) for a test or fixture: skipped where initdb/pg_ctl are missing,
    except with CI=true, where that is a failure. (Only starting the cluster is guarded: an
    error inside the with-block is the test's own.)"""
    import pytest

    context = private_cluster(**settings)
    try:
        cluster = context.__enter__()
    except FileNotFoundError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {error}")
        pytest.skip(str(error))
    try:
        yield cluster
    finally:
        context.__exit__(None, None, None)
