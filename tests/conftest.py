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
from typing import Any

import pytest
from browser import ARGS, CHROMIUM
from goldens import Golden, check_golden
from wheelhouse import shared_wheelhouse

pytest_plugins = ["fixtures.store", "fixtures.notices", "fixtures.web"]
"""Fixtures every test module may name (tests/fixtures/*.py); no test module imports another."""

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
        with psycopg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database,
            connect_timeout=1,
        ):
            return url
    except psycopg.Error:
        return None


SLOW_FILES = (
    "tests/test_scaleout_crash.py",
    "tests/test_notices_crash.py",
    "tests/test_precommit.py",
    "tests/test_readme.py",
    "tests/test_history_corpus.py",
    "tests/test_translations_layout.py",
    "tests/test_cache.py",
    "tests/test_browser_accept.py",
    "tests/test_pytest_output.py",
    "tests/test_diff_properties.py",
    "tests/test_githooks.py",
    "tests/test_markdown.py",
)
"""Test files that take longest (``--durations``), slowest first: with ``-n`` they start
first, so that no worker is left with a long test at the end while the other idles."""


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_ENV not in os.environ and reachable_postgres_url(CI_POSTGRES_URL):
        os.environ[POSTGRES_ENV] = CI_POSTGRES_URL
    given = " ".join(config.invocation_params.args)
    controller = not hasattr(config, "workerinput")
    if (
        controller
        and getattr(config.option, "dist", "no") == "load"
        and "--dist" not in given
        and "-d" not in config.invocation_params.args
    ):
        # One file at a time per worker, in the order below (slow files first): a file's
        # module fixtures are set up once, and the long tests do not all queue on one worker
        # (the default "load" hands each worker a long run of consecutive tests up front).
        config.option.dist = "loadfile"
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the :data:`SLOW_FILES` first (in that order), the others as collected."""
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


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


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the installed distributions this project needs at run time and of its build
    requirements, made once per run for all xdist workers (see tests/wheelhouse.py); with
    ``wheelhouse.offline_pip_env(path)`` a fresh ``pip install .`` needs no index."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's root, common to the workers
    return shared_wheelhouse(shared)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless (tests/browser.py), launched once per test worker."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
