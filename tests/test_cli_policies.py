"""`publisher list`, `log`, `show`, `settings` through the real CLI on real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

from publisher.cli import main

ROOT = Path(__file__).resolve().parents[1]

AUP_V1 = """---
title: Acceptable Use
slug: aup
version: "1"
effective: 2024-02-01
summary: First version.
---
# Acceptable Use

1. Be kind.
2. Do not spam.
"""
AUP_V2 = (
    AUP_V1.replace('version: "1"', 'version: "2"')
    .replace("summary: First version.", "summary: Adds a rule.")
    .replace("2. Do not spam.\n", "2. Do not spam.\n3. Do not mine coins.\n")
)


def run(*args: str, repo: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(repo), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git = GitRepo.init(tmp_path / "repo")
    git.write("policies/aup.md", AUP_V1)
    git.commit("Publish AUP v1", date="2024-01-10")
    git.write("policies/aup.md", AUP_V2)
    git.commit("AUP v2", date="2024-03-01")
    return git


def test_list_json_counts_revisions_and_versions(repo: GitRepo) -> None:
    code, out, _ = run("list", "--format", "json", repo=repo.path)
    assert code == 0
    [policy] = json.loads(out)["policies"]
    assert policy == {
        "slug": "aup",
        "language": "en",
        "languages": ["en"],
        "title": "Acceptable Use",
        "path": "policies/aup.md",
        "current_version": "2",
        "effective": "2024-02-01",
        "revisions": 2,
        "versions": 2,
        "deleted": False,
    }


def test_list_text_is_one_aligned_row_per_policy(repo: GitRepo) -> None:
    code, out, _ = run("list", repo=repo.path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "SLUG",
        "TITLE",
        "VERSION",
        "EFFECTIVE",
        "REVISIONS",
        "VERSIONS",
        "LANGUAGES",
        "PATH",
    ]
    assert lines[1].split()[0] == "aup" and lines[1].endswith("policies/aup.md")


def test_log_lists_versions_oldest_first(repo: GitRepo) -> None:
    code, out, _ = run("log", "aup", "--format", "json", repo=repo.path)
    assert code == 0
    versions = json.loads(out)["versions"]
    assert [v["label"] for v in versions] == ["1", "2"]
    assert versions[1]["summary"] == "Adds a rule."
    assert versions[1]["commit"] == repo.head()
    code, out, _ = run("log", "policies/aup.md", repo=repo.path)
    assert code == 0 and "Adds a rule." in out


def test_show_by_version_label_and_commit(repo: GitRepo) -> None:
    code, out, _ = run("show", "aup", "--version", "1", "--format", "json", repo=repo.path)
    assert code == 0
    data = json.loads(out)
    assert data["version"] == "1"
    assert [c["number"] for c in data["clauses"]] == ["1.", "2."]
    code, out, _ = run("show", "aup", "--version", "HEAD", repo=repo.path)
    assert code == 0 and "Do not mine coins" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "no policy 'nope'"),
        (["show", "aup", "--version", "7"], "'7' is not a version"),
        (["log", "/etc/passwd"], "outside"),
    ],
)
def test_bad_names_are_one_line_errors(repo: GitRepo, args: list[str], message: str) -> None:
    code, out, err = run(*args, repo=repo.path)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_a_broken_commit_in_history_is_skipped_with_one_warning(repo: GitRepo) -> None:
    repo.write("policies/aup.md", AUP_V2.replace("title: Acceptable Use", "title: [oops"))
    bad = repo.commit("Break the front matter", date="2024-03-02")
    repo.write("policies/aup.md", AUP_V2.replace("3. Do not", "3. Never"))
    repo.commit("Fix it", date="2024-03-03")
    code, out, err = run("list", "--format", "json", repo=repo.path)
    assert code == 0
    [policy] = json.loads(out)["policies"]  # stdout is still one JSON document
    assert policy["revisions"] == 4 and policy["current_version"] == "2"
    [warning] = err.splitlines()
    assert warning.startswith("warning: policies/aup.md:")
    assert bad[:12] in warning and "Break the front matter" in warning
    for args in (["log", "aup"], ["show", "aup"], ["diff", "aup", "--from", "1"]):
        code, out, err = run(*args, repo=repo.path)
        assert code == 0 and out, args
        assert err.count(bad[:12]) == 1, args


def test_log_show_and_diff_accept_a_deleted_policy(repo: GitRepo) -> None:
    repo.write("policies/faq.md", "# FAQ\n\n1. Ask us.\n")
    repo.commit("Add the FAQ", date="2024-03-02")
    repo.write("policies/faq.md", "# FAQ\n\n1. Ask us.\n2. Or read the docs.\n")
    repo.commit("Point to the docs", date="2024-03-03")
    repo.delete("policies/faq.md")
    gone = repo.commit("Retire the FAQ", date="2024-03-04")
    note = f"note: faq (policies/faq.md) was deleted in commit {gone[:12]} on 2024-03-04"
    code, out, err = run("log", "faq", "--format", "json", repo=repo.path)
    assert code == 0 and note in err
    assert [v["label"] for v in json.loads(out)["versions"]] == ["2024-03-02", "2024-03-03"]
    code, out, err = run("show", "policies/faq.md", repo=repo.path)
    assert code == 0 and note in err and "Or read the docs" in out
    code, out, err = run("diff", "faq", "--format", "json", repo=repo.path)
    assert code == 0 and note in err
    assert json.loads(out)["summary"]["added"] == 1
    code, out, err = run("list", "--format", "json", repo=repo.path)
    assert [p["slug"] for p in json.loads(out)["policies"]] == ["aup"]


def test_the_hint_for_a_deleted_policy_names_the_cli_flag(repo: GitRepo) -> None:
    from publisher.config import Settings
    from publisher.errors import NotFoundError
    from publisher.history import PolicyRepo

    repo.commit("Add the FAQ", files={"policies/faq.md": "# FAQ\n"})
    repo.delete("policies/faq.md")
    repo.commit("Retire the FAQ")
    with PolicyRepo.open(Settings(root=repo.path)) as reader, pytest.raises(NotFoundError) as info:
        reader.policy("faq")
    assert info.value.hint is not None
    assert "publisher list --all" in info.value.hint and "include_deleted" not in info.value.hint


def test_paths_are_relative_to_the_current_directory_like_git(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # from the policies folder, a bare file name; from the repo, a path through ".."
    monkeypatch.chdir(repo.path / "policies")
    result = CliRunner().invoke(main, ["show", "aup.md"])
    assert result.exit_code == 0, result.stderr
    assert "Do not mine coins" in result.stdout
    result = CliRunner().invoke(main, ["diff", "aup.md", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["added"] == 1
    monkeypatch.chdir(repo.path)
    result = CliRunner().invoke(main, ["log", f"../{repo.path.name}/policies/aup.md"])
    assert result.exit_code == 0, result.stderr
    # with -C elsewhere: relative to the current directory first, then to the repository
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "policies").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    code, _, err = run("show", str(Path("..") / "repo" / "policies" / "aup.md"), repo=repo.path)
    assert code == 0, err
    code, _, err = run("show", "policies/aup.md", repo=repo.path)  # only in the repository
    assert code == 0, err
    (elsewhere / "mine.md").write_text("# Mine\n")
    code, _, err = run("show", "mine.md", repo=repo.path)
    assert code == 2 and "outside the repository" in err
    code, _, err = run("show", "policies/nope.md", repo=repo.path)
    assert code == 2
    assert "policies/nope.md" in err and "current directory" in err and "repository" in err


def test_not_a_repository(tmp_path: Path) -> None:
    code, _, err = run("list", repo=tmp_path)
    assert code == 2
    assert "not a git repository" in err and "hint:" in err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "--debug", "list"])
    assert result.exit_code != 0
    assert result.exception is not None and type(result.exception).__name__ == "GitError"


def test_policies_glob_from_flag_env_and_config(tmp_path: Path) -> None:
    git = GitRepo.init(tmp_path / "repo")
    git.write("legal/terms.md", "# Terms\n\nBe fair.\n")
    git.commit("Add terms")
    code, out, _ = run("list", "--format", "json", repo=git.path)
    assert code == 0 and json.loads(out)["policies"] == []
    code, out, _ = run("--policies", "legal/*.md", "list", "--format", "json", repo=git.path)
    assert code == 0 and [p["slug"] for p in json.loads(out)["policies"]] == ["terms"]
    _, out, _ = run(
        "list", "--format", "json", repo=git.path, env={"PUBLISHER_POLICIES": "legal/*.md"}
    )
    assert [p["slug"] for p in json.loads(out)["policies"]] == ["terms"]
    (git.path / "pyproject.toml").write_text('[tool.publisher]\npolicies = "legal/**/*.md"\n')
    _code, out, _ = run("list", "--format", "json", repo=git.path)
    assert [p["slug"] for p in json.loads(out)["policies"]] == ["terms"]


def test_settings_lists_every_setting(repo: GitRepo) -> None:
    code, out, _ = run("settings", "--format", "json", repo=repo.path)
    assert code == 0
    names = {s["name"] for s in json.loads(out)["settings"]}
    assert {"policies", "database_url", "secret_key", "notice_days", "mailer"} <= names


def test_example_policies_are_listed() -> None:
    code, out, _ = run("list", "--format", "json", repo=ROOT)
    assert code == 0
    rows = {p["slug"]: p for p in json.loads(out)["policies"]}
    assert set(rows) >= {"acceptable-use", "terms-of-service", "privacy"}
    assert all(rows[s]["versions"] >= 3 for s in ("acceptable-use", "terms-of-service", "privacy"))


def test_settings_never_print_secrets(repo: GitRepo) -> None:
    env = {
        "PUBLISHER_SECRET_KEY": "k1,k2",
        "PUBLISHER_API_TOKEN": "tok-123",
        "PUBLISHER_SMTP_PASSWORD": "pw-456",
        "PUBLISHER_SENDGRID_API_KEY": "SG.789",
    }
    for fmt in ("text", "json"):
        code, out, _ = run("settings", "--format", fmt, repo=repo.path, env=env)
        assert code == 0
        for secret in ("k1", "tok-123", "pw-456", "SG.789"):
            assert secret not in out
        assert "<2 keys>" in out and "<set>" in out


def test_settings_say_where_each_value_comes_from(repo: GitRepo) -> None:
    (repo.path / "publisher.toml").write_text("notice_days = 45\n")
    env = {
        "PUBLISHER_MAILER": "smtp",
        "PUBLISHER_DATABASE_URL": "postgresql+psycopg://app:hunter2@db.example/policies",
    }
    code, out, _ = run(
        "--policies", "legal/*.md", "settings", "--format", "json", repo=repo.path, env=env
    )
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)["settings"]}
    assert rows["notice_days"]["source"] == "publisher.toml"
    assert rows["mailer"]["source"] == "env PUBLISHER_MAILER"
    assert rows["policies"]["source"] == "flag"
    assert rows["site_url"]["source"] == "default"
    assert rows["database_url"]["value"] == "postgresql+psycopg://app:***@db.example/policies"
    assert "hunter2" not in out


def test_log_gives_each_version_the_commit_that_published_it(repo: GitRepo) -> None:
    published = repo.head()
    repo.write("policies/aup.md", AUP_V2.replace("effective: 2024-02-01", "effective: 2024-02-02"))
    repo.commit("Fix AUP v2's effective date", date="2024-05-06")
    touched = repo.head()
    code, out, _ = run("log", "aup", "--format", "json", repo=repo.path)
    assert code == 0
    v2 = json.loads(out)["versions"][1]
    assert (v2["commit"], v2["published"][:10]) == (published, "2024-03-01")
    assert (v2["date"], v2["published_commit"]) == (v2["published"], published)
    assert (v2["last_commit"], v2["last_changed"][:10]) == (touched, "2024-05-06")
    code, out, _ = run("log", "aup", repo=repo.path)
    line = next(row for row in out.splitlines() if row.startswith("2 "))
    assert f"{published[:10]}  2024-03-01" in line
    assert f"last changed in {touched[:10]} on 2024-05-06" in line
    assert "last changed" not in out.splitlines()[0]
