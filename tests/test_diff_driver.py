"""`git diff`, `git log -p` and `git show` with the policy diff driver, run by real git in
repositories in temp dirs. The outputs people read are golden files under
``tests/golden/git/`` (rewrite with ``UPDATE_GOLDEN=1``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo, isolated_git_env
from goldens import check_golden

from publisher.cli import main
from publisher.diffdriver import driver_output, outline
from publisher.markdown import parse_document

GOLDEN = Path(__file__).resolve().parent / "golden" / "git"

V1 = """---
title: Acceptable Use
slug: aup
version: "1"
effective: 2024-02-01
---
# Acceptable Use

1. Do not send spam.
2. Do not probe our network.
3. Do not resell the Services.

## Enforcement

We may suspend your Account after giving you notice.
"""

V2 = """---
title: Acceptable Use
slug: aup
version: "2"
effective: 2024-03-15
---
# Acceptable Use

1. Do not send bulk or unsolicited mail.
2. Do not probe our network.
3. Do not mine cryptocurrency.
4. Do not resell the Services.

## Enforcement

We may suspend your Account after giving you notice, or at once if the breach puts others at risk.
"""


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=isolated_git_env(), check=False
    )
    assert result.returncode == 0, result.stderr
    assert "external diff died" not in result.stderr
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    work = GitRepo.init(tmp_path / "repo")
    work.write("policies/aup.md", V1)
    work.commit("AUP v1", date="2024-01-10")
    result = CliRunner().invoke(main, ["-C", str(work.path), "hooks", "install", "--diff-driver"])
    assert result.exit_code == 0, result.stderr
    assert "policies/**/*.md diff=policy" in (work.path / ".git/info/attributes").read_text()
    return work


def test_git_diff_shows_the_clause_diff(repo: GitRepo) -> None:
    (repo.path / "policies/aup.md").write_text(V2)
    out = git(repo.path, "diff")
    assert out.startswith("diff --policy a/policies/aup.md b/policies/aup.md\n")
    assert "    Do not send [-spam-] {+bulk or unsolicited mail+}.\n" in out
    assert "# 4 “Do not resell the Services.”  was 3  [editorial]" in out
    check_golden(GOLDEN / "git-diff.txt", out)


def test_git_diff_cached_and_colour(repo: GitRepo) -> None:
    repo.write("policies/aup.md", V2)
    plain = git(repo.path, "diff", "--cached")
    assert "\x1b[" not in plain and "aup: v1 → v2" in plain
    coloured = git(repo.path, "-c", "color.diff=always", "diff", "--cached")
    assert "\x1b[" in coloured and "bulk or unsolicited mail." in coloured


def test_git_log_p_shows_the_clause_outline_through_textconv(repo: GitRepo) -> None:
    repo.write("policies/aup.md", V2)
    repo.commit("AUP v2", date="2024-02-10")
    out = git(repo.path, "log", "-p", "-1", "--format=%s")
    assert "-[1] 1. Do not send spam." in out
    assert "+[1] 1. Do not send bulk or unsolicited mail." in out
    assert "+[3] 3. Do not mine cryptocurrency." in out
    body = out[out.index("@@") :]
    check_golden(GOLDEN / "git-log-p.txt", body)
    assert git(repo.path, "show", "--format=%s", "HEAD") == out


def test_git_log_p_ext_diff_shows_the_clause_diff_of_every_commit(repo: GitRepo) -> None:
    repo.write("policies/aup.md", V2)
    repo.commit("AUP v2", date="2024-02-10")
    out = git(repo.path, "log", "-p", "--ext-diff", "--format=commit %s")
    first, second = out.split("commit AUP v1")
    assert "diff --policy a/policies/aup.md b/policies/aup.md" in first
    assert "aup: v1 → v2" in first and "{+bulk or unsolicited mail+}" in first
    assert "aup: /dev/null → v1" in second and "+ 3 “Do not resell the Services.”" in second


def test_added_deleted_and_renamed_policies(repo: GitRepo) -> None:
    repo.rename("policies/aup.md", "policies/use.md")
    (repo.path / "policies/use.md").write_text(V1.replace("spam", "junk mail"))
    repo.git("add", "policies/use.md")
    renamed = git(repo.path, "diff", "--cached", "-M")
    assert "diff --policy a/policies/aup.md b/policies/use.md\n" in renamed
    assert "rename from policies/aup.md" in renamed and "[-spam-] {+junk mail+}" in renamed
    repo.git("rm", "-q", "-f", "--", "policies/use.md")
    deleted = git(repo.path, "diff", "--cached")
    assert "aup: v1 → /dev/null" in deleted and "- 1 “Do not send spam.”" in deleted


def test_a_file_that_does_not_parse_falls_back_to_a_line_diff(repo: GitRepo) -> None:
    (repo.path / "policies/aup.md").write_text(V1.replace("title: Acceptable Use", "title: [x"))
    out = git(repo.path, "diff")
    assert "(not a clause diff: malformed front matter" in out
    assert "-title: Acceptable Use\n+title: [x\n" in out
    log = git(repo.path, "diff", "--no-ext-diff")
    assert "(not a clause outline: malformed front matter" in log


def test_gitattributes_in_the_repository_works_too(repo: GitRepo) -> None:
    (repo.path / ".git/info/attributes").write_text("")
    repo.write(".gitattributes", "*.md diff=policy\n")
    repo.write("README.md", "# Readme\n\n1. One.\n")
    repo.commit("Readme")
    (repo.path / "README.md").write_text("# Readme\n\n1. One.\n2. Two.\n")
    assert "+ 2 “Two.”" in git(repo.path, "diff")


def test_driver_output_without_git() -> None:
    assert driver_output(["policies/x.md"]) == "* Unmerged path policies/x.md\n"
    old, new = outline(parse_document(V1)), outline(parse_document(V2))
    assert old.splitlines()[:4] == [
        "title: Acceptable Use",
        "slug: aup",
        "version: 1",
        "effective: 2024-02-01",
    ]
    assert "[enforcement] Enforcement" in old and "[enforcement.p1]" not in old.split("\n")[0]
    assert "or at once if the breach puts others at risk." in new


def test_uncommitted_edits_are_labelled_as_the_working_tree(repo: GitRepo) -> None:
    # The label in the front matter is still "1", but the text is not version 1's: the new
    # side is the working tree, not v1 (QA 19).
    (repo.path / "policies/aup.md").write_text(V1.replace("spam", "junk mail"))
    assert "aup: v1 → working tree\n" in git(repo.path, "diff")
    # With a new label already written, say both.
    (repo.path / "policies/aup.md").write_text(V2)
    assert "aup: v1 → v2 (working tree)\n" in git(repo.path, "diff")
    # The index is a revision like any other: its label stands.
    repo.git("add", "policies/aup.md")
    assert "aup: v1 → v2\n" in git(repo.path, "diff", "--cached")
    # Reversed, the working tree is the old side.
    (repo.path / "policies/aup.md").write_text(V2.replace("cryptocurrency", "coins"))
    assert "aup: working tree → v2\n" in git(repo.path, "diff", "-R")
