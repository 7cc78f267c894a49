"""Every benchmark states the conditions of its figures through benchmarks/_common.py: the
machine, the 1-minute load average before and after, and whether bytecode is written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("bench_*.py"))
CONDITIONS = re.compile(r"^load average \d+\.\d\d \(1 min\) (before|after); \.pyc (on|off)$", re.M)


def test_every_benchmark_announces_and_repeats_none_of_the_shared_helpers() -> None:
    assert BENCHMARKS
    for path in BENCHMARKS:
        source = path.read_text(encoding="utf-8")
        assert "from _common import" in source and "announce(" in source, path.name
        for repeated in ("def machine(", "os.getloadavg", "dont_write_bytecode", "def free_port("):
            assert repeated not in source, f"{path.name} repeats {repeated!r}: use _common"


def test_announce_prints_the_machine_and_the_load_before_and_after() -> None:
    script = (
        "import sys; sys.path.insert(0, 'benchmarks'); import _common; "
        "_common.announce('extra 1.0'); _common.announce(); print('figure 42')"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for flags, pyc in (([], "on"), (["-B"], "off")):
        out = subprocess.run(
            [sys.executable, *flags, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = out.splitlines()
        assert lines[0].startswith("machine: ") and lines[0].endswith(", extra 1.0")
        assert "cores (" in lines[0] and "GiB, Python " in lines[0]
        found = CONDITIONS.findall(out)
        assert [when for when, _ in found] == ["before", "before", "after"]  # after: once
        assert {p for _, p in found} == {pyc}
        assert lines[-2] == "figure 42" and CONDITIONS.match(lines[-1])


def test_median_seconds_times_each_callable_in_turn() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _common import median_seconds
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    order: list[str] = []
    medians = median_seconds({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 3)
    assert order == ["a", "b"] * 3
    assert set(medians) == {"a", "b"} and all(v >= 0 for v in medians.values())
