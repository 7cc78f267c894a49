"""The test run's own output stays short: the PostgreSQL skips fold into one summary line, and
the PostgreSQL URL defaults to the one `.ci/run` uses when a server answers there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CI_POSTGRES_URL, reachable_postgres_url

ROOT = Path(__file__).resolve().parents[1]


def test_postgres_skips_are_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PUBLISHER_TEST_POSTGRES_URL": ""}  # set but empty: PostgreSQL off
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_fixtures.py",
            "tests/test_store_reports.py",
            "-k",
            "report or seed",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    skip_lines = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skip_lines) == 1, skip_lines
    assert "PostgreSQL tests need PUBLISHER_TEST_POSTGRES_URL" in skip_lines[0]
    count = int(skip_lines[0].split("[", 1)[1].split("]", 1)[0])
    assert count > 2  # several tests, one line


def test_no_server_means_no_default() -> None:
    assert reachable_postgres_url("postgresql+psycopg://postgres@127.0.0.1:1/test") is None


def test_the_ci_url_is_the_default_when_a_server_answers() -> None:
    if reachable_postgres_url(CI_POSTGRES_URL) is None:
        pytest.skip(f"no PostgreSQL server answers at {CI_POSTGRES_URL}")
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_TEST_POSTGRES_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_fixtures.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "SKIPPED" not in result.stdout and "skipped" not in result.stdout
    assert "passed" in result.stdout
