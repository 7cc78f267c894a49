"""Start-up of the commands that run often (issue 14 item 5): ``publisher diff a.md b.md`` and
git's diff driver import only what comparing two files needs (the time is measured in
``benchmarks/bench_startup.py``; here: which modules load)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_probe_support import probe_cli

HEAVY = (
    "publisher.history",
    "publisher.gitio",
    "publisher.gitlog",
    "publisher.catfile",
    "publisher.cache",
    "publisher.store",
    "publisher.site",
    "publisher.pages",
    "publisher.web",
    "publisher.notices",
    "publisher.formats",
    "publisher.config",
    "tomllib",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "sqlite3",
    "jinja2",
    "mkdocs",
    "starlette",
    "uvicorn",
    "rich",
    "git",
    "docx",
    "weasyprint",
    "cryptography",
    "nh3",
    "multiprocessing",
    "concurrent.futures",
)


def _modules(args: list[str], cwd: Path) -> tuple[int | None, set[str], str]:
    done = probe_cli(args, cwd)
    return done.code, done.modules, done.stdout


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "a.md", tmp_path / "b.md"
    old.write_text("---\ntitle: Terms\n---\n# Terms\n\n1. Be kind.\n2. Pay on time.\n")
    new.write_text("---\ntitle: Terms\n---\n# Terms\n\n1. Be very kind.\n2. Pay on time.\n")
    return old, new


def test_diff_of_two_files_loads_no_git_history_store_or_site(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, new = two_files
    code, modules, out = _modules(["diff", str(old), str(new)], tmp_path)
    assert code in (0, None)
    assert "very" in out  # it did compare
    assert [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []


def test_the_diff_driver_loads_no_git_history_store_or_site(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, new = two_files
    zero = "0" * 40
    code, modules, out = _modules(
        [
            "diff-driver",
            "policies/terms.md",
            str(old),
            "a" * 40,
            "100644",
            str(new),
            "b" * 40,
            "100644",
        ],
        tmp_path,
    )
    assert code in (0, None)
    assert "very" in out
    assert zero not in out
    # it asks git whether to colour (`git config --get-colorbool`, publisher.gitrun): no
    # repository reader, no log parser, no cat-file
    assert "publisher.gitrun" in modules
    assert [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []


def test_diff_of_a_missing_file_still_fails_cleanly(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, _ = two_files
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "diff", str(old), str(tmp_path / "nope.md")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "nope.md" in done.stderr and "Traceback" not in done.stderr


def test_the_diff_driver_loads_no_temporary_files_module(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, new = two_files
    _, modules, _ = _modules(
        [
            "diff-driver",
            "policies/terms.md",
            str(old),
            "a" * 40,
            "100644",
            str(new),
            "b" * 40,
            "100644",
        ],
        tmp_path,
    )
    assert "tempfile" not in modules and "shutil" not in modules


DRIVER_PROBE = """
import atexit, json, runpy, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["publisher", *sys.argv[1:]]
runpy.run_module("publisher", run_name="__main__", alter_sys=True)
"""


def _as_git_runs_it(args: list[str], cwd: Path) -> tuple[int, set[str], str]:
    """``python -m publisher ARGS`` (how the installed driver runs), and what it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER_PROBE, *args], cwd=cwd, capture_output=True, text=True
    )
    return done.returncode, set(json.loads(done.stderr.strip().splitlines()[-1])), done.stdout


def _driver_args(old: Path, new: Path) -> list[str]:
    return ["policies/terms.md", str(old), "a" * 40, "100644", str(new), "b" * 40, "100644"]


def test_python_m_publisher_runs_the_driver_without_the_command_line(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, new = two_files
    code, modules, out = _as_git_runs_it(["diff-driver", *_driver_args(old, new)], tmp_path)
    assert code == 0
    assert out.startswith("diff --policy a/policies/terms.md b/policies/terms.md\n")
    assert "Be {+very+} kind." in out and "\x1b[" not in out
    assert "click" not in modules and "publisher.cli" not in modules
    assert [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []


def test_python_m_publisher_driver_prints_what_the_command_prints(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, new = two_files
    args = _driver_args(old, new)
    _, _, direct = _as_git_runs_it(["diff-driver", *args], tmp_path)
    _, _, through_click = _modules(["diff-driver", *args], tmp_path)
    assert direct == through_click


def test_python_m_publisher_runs_textconv_without_the_command_line(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, _ = two_files
    code, modules, out = _as_git_runs_it(["textconv", str(old)], tmp_path)
    assert code == 0 and out == "title: Terms\n\n[1] 1. Be kind.\n[2] 2. Pay on time.\n"
    assert "click" not in modules


@pytest.mark.parametrize(
    "args",
    [
        ["diff-driver", "--help"],
        ["textconv", "--help"],
        ["diff-driver", "only/one/path.md"],  # an unmerged path: the command line says so
    ],
)
def test_other_calls_of_the_git_commands_go_through_the_command_line(
    tmp_path: Path, args: list[str]
) -> None:
    code, modules, out = _as_git_runs_it(args, tmp_path)
    assert code == 0 and "publisher.cli" in modules
    assert ("Usage:" in out) or out == "* Unmerged path only/one/path.md\n"


def test_textconv_of_a_folder_is_still_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "textconv", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "is a directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_files_without_front_matter_need_no_yaml_parser(tmp_path: Path) -> None:
    old, new = tmp_path / "a.md", tmp_path / "b.md"
    old.write_text("# Terms\n\n1. Be kind.\n")
    new.write_text("# Terms\n\n1. Be very kind.\n")
    code, modules, out = _modules(["diff", str(old), str(new)], tmp_path)
    assert code in (0, None) and "{+very+}" in out
    assert "yaml" not in modules


def test_front_matter_still_loads_the_yaml_parser_and_is_read(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    old, new = two_files
    new.write_text(new.read_text().replace("title: Terms", "title: Terms of use"))
    code, modules, out = _modules(["diff", str(old), str(new)], tmp_path)
    assert code in (0, None) and "Terms of use" in out
    assert "yaml" in modules
