"""Shared fixtures: databases (SQLite always; PostgreSQL when reachable, and always in CI)."""

from __future__ import annotations

import os

import pytest

from tests.postgres import POSTGRES_URL, fresh_schema_url, postgres_problem, private_cluster_for_test

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    problem = postgres_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {POSTGRES_URL} is unreachable ({problem})")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} unreachable ({problem}); set TEST_POSTGRES_URL to run these")


@pytest.fixture
def postgres_url(postgres_available):
    """A fresh schema per test."""
    with fresh_schema_url() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'logsale.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module")
def private_postgres():
    """A PostgreSQL of our own (to restart or stop; the shared one is never touched).
    Skips outside CI when initdb/pg_ctl are missing; in CI that is a failure."""
    with private_cluster_for_test() as cluster:
        yield cluster
