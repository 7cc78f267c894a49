"""docs/publishing-from-ci.md stays true: every lint rule, hook and option is documented,
its YAML parses and says what matters, and its `git diff` example is our real output."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml

from publisher.cli import command as cli_command
from publisher.githooks import HOOK_NAMES
from publisher.lint import RULES

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "publishing-from-ci.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def options(*path: str) -> list[str]:
    command = cli_command(*path)
    return [
        opt
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden
        for opt in p.opts
        if opt.startswith("--") and opt not in ("--help", "--format")
    ]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_lint_rule_is_documented(rule: str) -> None:
    assert f"| `{rule}` |" in DOC


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_documented(hook: str) -> None:
    assert f"`{hook}`" in DOC


@pytest.mark.parametrize(
    ("command", "option"),
    [
        *((("hooks", "install"), o) for o in options("hooks", "install")),
        *((("publish",), o) for o in options("publish")),
        *((("lint",), o) for o in options("lint") if o not in ("--rules", "--message-file")),
    ],
)
def test_every_option_is_documented(command: tuple[str, ...], option: str) -> None:
    assert option in DOC, f"`publisher {' '.join(command)} {option}` is not documented"


def test_github_actions_workflow() -> None:
    [workflow] = [yaml.safe_load(b) for b in blocks("yaml") if "jobs:" in b]
    steps = workflow["jobs"]["policies"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = "\n".join(s.get("run", "") for s in steps)
    for command in (
        "publisher lint",
        "publisher publish --branch gh-pages",
        "--format markdown",
        "gh pr comment",
    ):
        assert command in runs


def test_pre_commit_configuration_names_our_hook() -> None:
    [config] = [yaml.safe_load(b) for b in blocks("yaml") if "repos:" in b]
    ours = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in config["repos"][0]["hooks"]} <= ours


def test_git_diff_example_is_real_output() -> None:
    [example] = [b for b in blocks("text") if b.lstrip().startswith("diff --policy")]
    golden = (ROOT / "tests" / "golden" / "git" / "git-diff.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in example.splitlines() if line.strip()]
    assert lines and all(line in golden for line in lines)
