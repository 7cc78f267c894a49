"""``benchmarks/run_all.py``: every benchmark is in its list, and a run records its conditions."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", BENCHMARKS / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_is_run_and_has_quick_sizes() -> None:
    runner = _runner()
    on_disk = sorted(p.stem for p in BENCHMARKS.glob("bench_*.py"))
    assert sorted(runner.ORDER) == on_disk
    assert set(runner.QUICK) <= set(runner.ORDER)


def test_a_run_records_load_cpu_and_memory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run_all.py"),
            str(out),
            "--quick",
            "--only",
            "bench_startup",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = (out / "bench_startup.txt").read_text()
    assert "# load average before:" in log and "# load average after:" in log
    assert "publisher diff a.md b.md" in log
    summary = (out / "SUMMARY.md").read_text()
    assert "writing .pyc" in summary
    assert "| bench_startup | 0 |" in summary


def test_an_unknown_benchmark_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), str(tmp_path), "--only", "bench_nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown benchmark: bench_nope" in done.stderr
