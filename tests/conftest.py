"""Shared pytest fixtures and output. Append new fixtures below; keep each one small and
documented.

Two things keep the run's output short: when ``PUBLISHER_TEST_POSTGRES_URL`` is not set at
all and a PostgreSQL server answers at the URL ``.ci/run`` uses, the PostgreSQL tests use it
(set the variable to an empty string to leave them out); and the skips for a missing
PostgreSQL or corpus are reported on one summary line each, not one line per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from goldens import Golden, check_golden

CORPUS_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus"
POSTGRES_ENV = "PUBLISHER_TEST_POSTGRES_URL"
CI_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
"""What ``.ci/run`` sets ``PUBLISHER_TEST_POSTGRES_URL`` to."""

FOLDED_SKIPS = ("PostgreSQL tests need", "corpus not found at")
"""Skip reasons reported once, with a count, instead of once per test."""


def reachable_postgres_url(url: str) -> str | None:
    """``url`` when a PostgreSQL server accepts a connection there within a second."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url
    except ImportError:  # pragma: no cover - the test extras install both
        return None
    parsed = make_url(url)
    try:
        with psycopg.connect(host=parsed.host, port=parsed.port or 5432,
                             user=parsed.username, password=parsed.password,
                             dbname=parsed.database, connect_timeout=1):
            return url
    except psycopg.Error:
        return None


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_ENV not in os.environ and reachable_postgres_url(CI_POSTGRES_URL):
        os.environ[POSTGRES_ENV] = CI_POSTGRES_URL


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Give the skips of :data:`FOLDED_SKIPS` one location, so ``-ra`` folds them into one
    ``SKIPPED [N] …`` line."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        reason = str(report.longrepr[2])
        for start in FOLDED_SKIPS:
            if reason.removeprefix("Skipped: ").startswith(start):
                report.longrepr = ("tests/conftest.py", 0, reason)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """``../shared/corpus`` (real policy histories, see its README); skips when absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


@pytest.fixture
def golden() -> Golden:
    """Compare a text with its golden file under tests/golden (``UPDATE_GOLDEN=1`` rewrites
    it): ``golden("diff/x.txt", text)``."""
    return check_golden
