"""Global options in either place, JSON errors under --format json, and "Did you mean"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from publisher.cli import main

TERMS = """---
title: Terms
slug: terms
version: "1"
---
# Terms

1. Be kind.
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="publisher")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git = GitRepo.init(tmp_path / "repo")
    git.write("legal/terms.md", TERMS)
    git.commit("Publish the terms", date="2024-01-10")
    return git


@pytest.mark.parametrize(
    "args",
    [
        ["-C", "{repo}", "--policies", "legal/*.md", "list", "--format", "json"],
        ["list", "--policies", "legal/*.md", "-C", "{repo}", "--format", "json"],
        ["-C", "{repo}", "list", "--policies", "legal/*.md", "--format", "json"],
        ["--policies", "legal/*.md", "list", "--repo", "{repo}", "--format", "json"],
    ],
)
def test_policies_and_repo_work_before_and_after_the_command(
    repo: GitRepo, args: list[str]
) -> None:
    result = invoke(*(a.replace("{repo}", str(repo.path)) for a in args))
    assert result.exit_code == 0, result.output
    assert [p["slug"] for p in json.loads(result.stdout)["policies"]] == ["terms"]


def test_without_the_glob_nothing_matches(repo: GitRepo) -> None:
    result = invoke("list", "-C", str(repo.path), "--format", "json")
    assert json.loads(result.stdout)["policies"] == []


@pytest.mark.parametrize("before", [True, False])
def test_database_url_works_before_and_after_the_command(
    repo: GitRepo, tmp_path: Path, before: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    common = ["-C", str(repo.path), "--policies", "legal/*.md"]
    args = (
        [*common, "--database-url", url, "db", "sync"]
        if before
        else [*common, "db", "sync", "--database-url", url]
    )
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout == "policy versions: 1 added, 0 updated, 0 unchanged\n"
    assert (tmp_path / "store.db").is_file()
    assert not (repo.path / ".publisher" / "publisher.db").exists()


def test_database_url_after_a_group_reaches_its_subcommand(repo: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = invoke("-C", str(repo.path), "db", "--database-url", url, "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "store.db").is_file()


def test_debug_after_the_command_shows_the_traceback(repo: GitRepo) -> None:
    plain = invoke("-C", str(repo.path), "show", "nope")
    assert plain.exit_code == 2 and "Traceback" not in plain.output
    debug = invoke("-C", str(repo.path), "show", "nope", "--debug")
    assert debug.exit_code != 0
    assert debug.exception is not None and "no policy 'nope'" in str(debug.exception)


def test_settings_shows_a_global_flag_given_after_the_command(repo: GitRepo) -> None:
    result = invoke(
        "settings", "-C", str(repo.path), "--policies", "legal/*.md", "--format", "json"
    )
    [row] = [r for r in json.loads(result.stdout)["settings"] if r["name"] == "policies"]
    assert (row["value"], row["source"]) == ("legal/*.md", "flag")


def test_library_errors_are_json_on_stderr_with_format_json(repo: GitRepo) -> None:
    result = invoke("-C", str(repo.path), "show", "nope", "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["message"] == "no policy 'nope'"
    assert error["exit_code"] == 2 and error["hint"]
    assert set(error) == {"message", "path", "line", "hint", "exit_code"}


def test_errors_with_a_file_and_line_keep_them_in_json(repo: GitRepo) -> None:
    repo.write("legal/terms.md", TERMS.replace("title: Terms", 'title: "unclosed'))
    repo.commit("Break the terms")
    result = invoke(
        "-C", str(repo.path), "--policies", "legal/*.md", "lint", "legal/terms.md", "--format=json"
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"] >= 1
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert error["exit_code"] == 1 and "lint error" in error["message"]


def test_usage_errors_are_json_with_format_json(repo: GitRepo) -> None:
    result = invoke("-C", str(repo.path), "list", "--format", "json", "--bogus")
    assert result.exit_code == 2
    error = json.loads(result.stderr)["error"]
    assert "--bogus" in error["message"] and error["hint"] == "see `publisher list --help`"


def test_usage_errors_stay_text_without_format_json(repo: GitRepo) -> None:
    result = invoke("-C", str(repo.path), "list", "--bogus")
    assert result.exit_code == 2 and "No such option '--bogus'" in result.stderr
    assert not result.stderr.startswith("{")


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = invoke("lsit")
    assert result.exit_code == 2
    assert "No such command 'lsit'. Did you mean 'list'?" in result.stderr


def test_a_command_far_from_every_name_gets_no_suggestion() -> None:
    result = invoke("xyzzyq")
    assert result.exit_code == 2
    assert "No such command 'xyzzyq'." in result.stderr and "Did you mean" not in result.stderr


def test_hidden_commands_are_never_suggested() -> None:
    result = invoke("textcon")
    assert "Did you mean" not in result.stderr


def test_every_command_help_lists_the_global_options() -> None:
    for args in (["list", "--help"], ["db", "sync", "--help"], ["acceptance", "report", "--help"]):
        help_text = invoke(*args).stdout
        for flag in ("-C, --repo", "--policies", "--database-url", "--debug"):
            assert flag in help_text, (args, flag)
