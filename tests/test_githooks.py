"""The git hooks, for real: installed by the CLI into repositories in temp dirs and run by
real `git commit`, `git push` and `git merge` commands.

Covers: a broken commit is blocked with file:line (also with `git commit -a` and
`git commit PATH`, which stage into a temporary index); the commit-msg notice check honours a
`Policy-Change` trailer; a push to a bare server repository publishes the site, a push that
fails lint is refused with the messages; pre-push and post-merge publish; installing and
uninstalling keeps pre-existing hooks working and restores them byte for byte.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo, isolated_git_env

from publisher.cli import main

TERMS = """---
title: Terms
slug: terms
version: "1"
effective: 2024-02-01
---
# Terms

## A. Accounts

1. Keep your password safe.
2. Tell us about breaches within 72 hours.
"""

IDENTITY = {
    "GIT_AUTHOR_NAME": "Alice Example",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice Example",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
}

PREVIOUS_HOOK = b'#!/bin/sh\n# the team\'s own hook\necho "team hook ran with $# args" >> "$(git rev-parse --git-dir)/team-hook.log"\nexit ${TEAM_HOOK_STATUS:-0}\n'


def git(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A real git command (hooks enabled), in an environment without user configuration."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=isolated_git_env(**IDENTITY, **env),
        check=False,
    )


def publisher(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    work = GitRepo.init(tmp_path / "work")
    work.write("policies/terms.md", TERMS)
    work.commit("Publish terms v1", date="2024-01-10")
    return work


def v2(effective: date) -> str:
    return (
        TERMS.replace('version: "1"', 'version: "2"')
        .replace("effective: 2024-02-01", f"effective: {effective.isoformat()}")
        .replace("within 72 hours", "within 24 hours")
    )


# --- pre-commit and commit-msg -----------------------------------------------------------


def test_commit_with_broken_front_matter_is_blocked_with_file_and_line(repo: GitRepo) -> None:
    publisher("-C", str(repo.path), "hooks", "install", "--pre-commit")
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))
    result = git(repo.path, "commit", "-m", "Break the terms")
    assert result.returncode != 0
    assert "policies/terms.md:2: error: malformed front matter" in result.stderr
    assert "[front-matter]" in result.stderr and "commit blocked" in result.stderr
    assert len(repo.log()) == 1
    repo.write("policies/terms.md", v2(date.today() + timedelta(days=40)))
    assert git(repo.path, "commit", "-m", "Terms v2").returncode == 0
    assert len(repo.log()) == 2


@pytest.mark.parametrize("how", [["-a"], ["--", "policies/terms.md"]])
def test_commits_through_a_temporary_index_are_linted(repo: GitRepo, how: list[str]) -> None:
    publisher("-C", str(repo.path), "hooks", "install", "--pre-commit")
    # Not staged in the index: only the temporary index of `-a` / `PATH` holds the change.
    (repo.path / "policies/terms.md").write_text(TERMS + "\n## C. Fees\n\nPay on time.\n")
    result = git(repo.path, "commit", "-m", "Add fees", *how)
    assert result.returncode != 0, result.stderr
    assert "policies/terms.md:14: error:" in result.stderr and "[numbering-gap]" in result.stderr
    assert (
        "policies/terms.md:4: error:" in result.stderr and "[unversioned-change]" in result.stderr
    )


def test_commit_msg_checks_notice_and_honours_the_trailer(repo: GitRepo) -> None:
    publisher("-C", str(repo.path), "hooks", "install", "--pre-commit")
    repo.write("policies/terms.md", v2(date.today() + timedelta(days=3)))
    blocked = git(repo.path, "commit", "-m", "Terms v2")
    assert blocked.returncode != 0
    assert "[notice-period]" in blocked.stderr and "policies/terms.md:5:" in blocked.stderr
    editorial = git(repo.path, "commit", "-m", "Terms v2\n\nPolicy-Change: editorial a.2")
    assert editorial.returncode == 0, editorial.stderr


def test_clean_policies_commit_and_unrelated_files_are_ignored(repo: GitRepo) -> None:
    publisher("-C", str(repo.path), "hooks", "install", "--pre-commit")
    (repo.path / "policies/other.md").write_text("---\nversion: [\n---\n")  # not staged
    repo.write("README.md", "# Readme\n\n## B. x\n\n## D. y\n")
    assert git(repo.path, "commit", "-m", "Add a readme").returncode == 0


# --- chaining, reinstalling and uninstalling ---------------------------------------------


def test_existing_hooks_are_chained_and_restored_byte_for_byte(repo: GitRepo) -> None:
    hooks = repo.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    previous = hooks / "pre-commit"
    previous.write_bytes(PREVIOUS_HOOK)
    previous.chmod(0o750)
    out = publisher("-C", str(repo.path), "hooks", "install")
    assert "installed hook pre-commit (chained: pre-commit.publisher-chained runs first)" in out
    assert (hooks / "pre-commit.publisher-chained").read_bytes() == PREVIOUS_HOOK
    log = repo.path / ".git" / "team-hook.log"

    repo.write("README.md", "# Readme\n")
    assert git(repo.path, "commit", "-m", "Readme").returncode == 0
    assert log.read_text() == "team hook ran with 0 args\n"
    # A failing chained hook blocks the commit, as it would on its own.
    repo.write("README.md", "# Readme 2\n")
    failed = git(repo.path, "commit", "-m", "Readme 2", TEAM_HOOK_STATUS="3")
    assert failed.returncode != 0
    # Installing again updates our hooks in place: the team hook is not chained twice.
    publisher("-C", str(repo.path), "hooks", "install")
    assert (hooks / "pre-commit.publisher-chained").read_bytes() == PREVIOUS_HOOK
    assert not (hooks / "pre-commit.publisher-chained.publisher-chained").exists()

    out = publisher("-C", str(repo.path), "hooks", "uninstall")
    assert "restored hook pre-commit (was pre-commit.publisher-chained)" in out
    assert previous.read_bytes() == PREVIOUS_HOOK
    assert previous.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in hooks.iterdir()) == ["pre-commit"]
    assert git(repo.path, "config", "--get", "diff.policy.command").stdout == ""
    assert "diff=policy" not in (repo.path / ".git/info/attributes").read_text()
    # The team hook still runs, and ours is gone: a broken policy commits.
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))
    assert git(repo.path, "commit", "-m", "Broken but unchecked").returncode == 0
    assert log.read_text().count("team hook ran") == 3


def test_install_refuses_to_overwrite_a_chained_hook(repo: GitRepo) -> None:
    hooks = repo.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_bytes(PREVIOUS_HOOK)
    (hooks / "pre-commit.publisher-chained").write_bytes(b"#!/bin/sh\nexit 0\n")
    result = CliRunner().invoke(main, ["-C", str(repo.path), "hooks", "install"])
    assert result.exit_code == 2 and "cannot chain the existing pre-commit hook" in result.stderr
    assert (hooks / "pre-commit").read_bytes() == PREVIOUS_HOOK


def test_hooks_path_setting_is_honoured(repo: GitRepo) -> None:
    repo.git("config", "core.hooksPath", ".githooks")
    publisher("-C", str(repo.path), "hooks", "install", "--pre-commit")
    assert (repo.path / ".githooks" / "pre-commit").is_file()
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))
    assert git(repo.path, "commit", "-m", "Broken").returncode != 0


# --- publishing from a bare server repository --------------------------------------------


@pytest.fixture
def server(repo: GitRepo, tmp_path: Path) -> tuple[GitRepo, Path, Path]:
    """A bare repository with the hooks installed, publishing into a folder, and the work
    repository pushing to it."""
    bare = repo.clone(tmp_path / "server.git", bare=True)
    site = tmp_path / "www" / "policies"
    publisher("-C", str(bare), "hooks", "install", "--publish", str(site))
    repo.git("remote", "add", "origin", str(bare))
    return repo, bare, site


def test_push_of_a_new_version_publishes_the_site(server: tuple[GitRepo, Path, Path]) -> None:
    repo, bare, site = server
    ours = sorted(p.name for p in (bare / "hooks").iterdir() if not p.name.endswith(".sample"))
    assert ours == ["post-receive", "pre-receive"]
    repo.write("policies/terms.md", v2(date(2024, 3, 15)))
    repo.commit("Terms v2", date="2024-02-01")
    pushed = git(repo.path, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert "policy-publisher: published the site of" in pushed.stderr
    version = (site / "terms" / "v" / "2" / "index.html").read_text()
    assert "within 24 hours" in version
    assert (site / "terms" / "v" / "1" / "index.html").is_file()
    assert not list(site.parent.glob(".policies.*"))  # no staging folder left behind


def test_push_with_lint_errors_is_refused_with_the_messages(
    server: tuple[GitRepo, Path, Path],
) -> None:
    repo, bare, site = server
    before = git(bare, "rev-parse", "main").stdout
    repo.write(
        "policies/terms.md",
        TERMS.replace("Keep your password safe.", "Keep your password safe (Section 9)."),
    )
    repo.commit("Edit v1 in place, with a dangling reference")
    refused = git(repo.path, "push", "origin", "main")
    assert refused.returncode != 0
    assert "remote: policies/terms.md:4: error:" in refused.stderr  # unversioned-change
    assert "[unversioned-change]" in refused.stderr and "[dangling-reference]" in refused.stderr
    assert "push to refs/heads/main refused" in refused.stderr
    assert git(bare, "rev-parse", "main").stdout == before
    assert not site.exists()


def test_push_is_refused_when_an_earlier_pushed_commit_fails_lint(
    server: tuple[GitRepo, Path, Path],
) -> None:
    # A fixed tip is not enough: the broken commit would enter the published history.
    repo, bare, site = server
    before = git(bare, "rev-parse", "main").stdout
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))
    broken = repo.commit("Terms with malformed front matter", date="2024-01-20")
    repo.write("policies/terms.md", v2(date(2024, 3, 15)))
    repo.commit("Terms v2, front matter fixed", date="2024-02-01")
    refused = git(repo.path, "push", "origin", "main")
    assert refused.returncode != 0
    assert "remote: policies/terms.md:2: error: malformed front matter" in refused.stderr
    assert "[front-matter]" in refused.stderr
    assert f"at {broken[:12]} (Terms with malformed front matter)" in refused.stderr
    assert git(bare, "rev-parse", "main").stdout == before
    assert not site.exists()


def test_push_of_several_clean_commits_is_linted_and_published(
    server: tuple[GitRepo, Path, Path],
) -> None:
    repo, _, site = server
    repo.write("policies/aup.md", TERMS.replace("slug: terms", "slug: aup"))
    repo.commit("Add the AUP", date="2024-01-20")
    repo.write("policies/terms.md", v2(date(2024, 3, 15)))
    repo.commit("Terms v2", date="2024-02-01")
    pushed = git(repo.path, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    assert (site / "aup" / "index.html").is_file() and (site / "terms" / "v" / "2").is_dir()


def test_bare_repository_reads_settings_from_the_pushed_commit(
    server: tuple[GitRepo, Path, Path],
) -> None:
    repo, _, _ = server
    repo.rename("policies/terms.md", "legal/terms.md")
    repo.write("publisher.toml", 'policies = "legal/*.md"\n')
    repo.write("legal/terms.md", TERMS.replace("## A. Accounts", "## B. Accounts"))
    repo.commit("Move policies to legal/ (with a numbering gap)")
    refused = git(repo.path, "push", "origin", "main")
    # legal/terms.md is a policy there (publisher.toml), and edited in place under v1.
    assert refused.returncode != 0 and "remote: legal/terms.md:4: error:" in refused.stderr


# --- publishing from a work tree ---------------------------------------------------------


def test_pre_push_publishes_to_a_branch(repo: GitRepo, tmp_path: Path) -> None:
    bare = repo.clone(tmp_path / "remote.git", bare=True)
    repo.git("remote", "add", "origin", str(bare))
    publisher(
        "-C",
        str(repo.path),
        "hooks",
        "install",
        "--publish",
        "branch:gh-pages",
        "--publish-hook",
        "pre-push",
    )
    repo.write("policies/terms.md", v2(date(2024, 3, 15)))
    repo.write(
        ".gitignore", ".publisher/\n"
    )  # lint's parse cache, as docs/publishing-from-ci.md says
    head = repo.commit("Terms v2", date="2024-02-01")
    pushed = git(repo.path, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stderr
    message = repo.git("log", "-1", "--format=%B", "gh-pages")
    assert f"Source commit: {head}" in message and "terms 2" in message
    assert git(repo.path, "status", "--porcelain").stdout == ""


def test_post_merge_publishes_to_a_folder(repo: GitRepo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publisher("-C", str(repo.path), "hooks", "install", "--publish", str(site))
    assert (repo.path / ".git" / "hooks" / "post-merge").is_file()
    repo.branch("v2")
    repo.checkout("v2")
    # Published when merged (first-parent history): the notice counts from the merge, today.
    repo.write("policies/terms.md", v2(date.today() + timedelta(days=5)))
    repo.commit("Terms v2", date="2024-02-01")
    repo.checkout("main")
    merged = git(repo.path, "merge", "--no-ff", "-m", "Merge v2", "v2")
    assert merged.returncode == 0, merged.stderr
    assert "[notice-period]" in merged.stderr and "not publishing" in merged.stderr
    assert not site.exists()
    repo.checkout("v2")
    repo.write("policies/terms.md", v2(date.today() + timedelta(days=40)))
    repo.commit("Terms v2: give 40 days")
    repo.checkout("main")
    merged = git(repo.path, "merge", "--no-ff", "-m", "Merge v2 again", "v2")
    assert merged.returncode == 0, merged.stderr
    assert "policy-publisher: published the site of" in merged.stderr
    assert (site / "terms" / "v" / "2" / "index.html").is_file()


def test_hooks_run_without_the_virtualenv_on_path(repo: GitRepo) -> None:
    publisher("-C", str(repo.path), "hooks", "install", "--pre-commit")
    script = (repo.path / ".git" / "hooks" / "pre-commit").read_text()
    assert os.path.isabs(script.split("exec ", 1)[1].split()[0].strip("'"))
    repo.write("policies/terms.md", TERMS.replace("title: Terms", "title: [unclosed"))
    result = git(repo.path, "commit", "-m", "Broken", PATH="/usr/bin:/bin")
    assert result.returncode != 0 and "[front-matter]" in result.stderr


# --- settings given to `hooks install` ----------------------------------------------------


def test_hooks_use_the_policies_glob_given_to_install(tmp_path: Path) -> None:
    """Policies at the top of the repository, outside the default glob: a broken commit is
    refused because `--policies '*.md'` given to install is written into the hooks."""
    work = GitRepo.init(tmp_path / "flat")
    work.write("terms.md", TERMS)
    work.commit("Publish terms v1", date="2024-01-10")
    result = CliRunner().invoke(
        main, ["-C", str(work.path), "--policies", "*.md", "hooks", "install", "--pre-commit"]
    )
    assert result.exit_code == 0, result.output
    assert "hooks use policies='*.md' (from flag)" in result.stdout
    assert "[tool.publisher]" in result.stdout
    hook = (work.path / ".git" / "hooks" / "pre-commit").read_text()
    assert "export PUBLISHER_POLICIES='*.md'" in hook
    work.write("terms.md", TERMS.replace("title: Terms", "title: [unclosed"))
    refused = git(work.path, "commit", "-am", "Break the terms")
    assert refused.returncode != 0
    assert "terms.md:2: error: malformed front matter" in refused.stderr


def test_the_glob_after_the_command_and_from_the_environment_count_too(tmp_path: Path) -> None:
    work = GitRepo.init(tmp_path / "flat")
    work.write("terms.md", TERMS)
    work.commit("Publish terms v1", date="2024-01-10")
    result = CliRunner().invoke(
        main,
        ["-C", str(work.path), "hooks", "install", "--pre-commit", "--policies", "*.md"],
        env={"PUBLISHER_SITE_URL": "https://policies.example.com", "PUBLISHER_API_TOKEN": "s3cret"},
    )
    assert result.exit_code == 0, result.output
    hook = (work.path / ".git" / "hooks" / "pre-commit").read_text()
    assert "export PUBLISHER_POLICIES='*.md'" in hook
    assert "export PUBLISHER_SITE_URL=https://policies.example.com" in hook
    assert "s3cret" not in hook and "API_TOKEN" not in hook  # secrets stay out of the hooks
    assert "not written into the hooks: api_token" in result.stdout


def test_hooks_installed_without_flags_carry_no_settings(repo: GitRepo) -> None:
    result = CliRunner().invoke(
        main,
        ["-C", str(repo.path), "hooks", "install", "--pre-commit"],
        env={"PUBLISHER_POLICIES": ""},
    )
    assert result.exit_code == 0, result.output
    assert "export" not in (repo.path / ".git" / "hooks" / "pre-commit").read_text()
    assert "hooks use" not in result.stdout
