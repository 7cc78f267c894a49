"""Issue 11 item 4: lint enforces the limits of the site and the store.

A 300-character slug passed lint, then ``publisher build`` died with a traceback (file name
too long) and PostgreSQL ``db sync`` with ``StringDataRightTruncation``; a 150-character
version label passed lint and broke ``db sync``. Real repositories, the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

from publisher import limits
from publisher.cli import main
from publisher.store.models import Notice, PolicyVersion


def _policy(slug: str = "terms", version: str = "1", title: str = "Terms") -> str:
    return (
        f'---\ntitle: {title}\nslug: {slug}\nversion: "{version}"\n---\n'
        "# Terms\n\n1. Pay on time.\n"
    )


def _lint(repo: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, ["-C", str(repo), "lint", "--format", "json"])
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    return result.exit_code, [f for f in data["findings"] if f["rule"] == "limits"]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.init(tmp_path / "repo")


def test_the_limits_are_the_stores_columns() -> None:
    assert max(limits.SLUG_MAX, limits.LABEL_MAX) <= limits.FILE_NAME_BYTES
    columns = PolicyVersion.__table__.c
    assert columns.slug.type.length == limits.SLUG_MAX
    assert columns.label.type.length == limits.LABEL_MAX
    assert columns.title.type.length == limits.TITLE_MAX
    assert columns.path.type.length == limits.PATH_MAX
    assert Notice.__table__.c.version_label.type.length == limits.LABEL_MAX


def test_a_300_character_slug_is_an_error_at_its_line(repo: GitRepo) -> None:
    repo.write("policies/terms.md", _policy(slug="t" * 300))
    code, found = _lint(repo.path)
    assert code == 1
    assert [(f["path"], f["line"]) for f in found] == [("policies/terms.md", 3)]
    assert "300 characters; at most 200" in str(found[0]["message"])
    assert "`slug:`" in str(found[0]["hint"])


def test_a_150_character_label_is_an_error_at_its_line(repo: GitRepo) -> None:
    repo.write("policies/terms.md", _policy(version="v" * 150))
    code, found = _lint(repo.path)
    assert code == 1
    assert [(f["path"], f["line"]) for f in found] == [("policies/terms.md", 4)]
    assert "150 characters; at most 100" in str(found[0]["message"])


def test_a_slug_from_a_long_file_name_is_reported_at_line_1(repo: GitRepo) -> None:
    name = "a" * 230
    repo.write(f"policies/{name}.md", "# Terms\n\n1. Pay on time.\n")
    code, found = _lint(repo.path)
    assert code == 1
    assert [(f["path"], f["line"]) for f in found] == [(f"policies/{name}.md", 1)]
    assert "comes from the file name" in str(found[0]["hint"])


def test_a_long_title_is_an_error(repo: GitRepo) -> None:
    repo.write("policies/terms.md", _policy(title="T" * 600))
    code, found = _lint(repo.path)
    assert code == 1
    assert [f["line"] for f in found] == [2]


def test_names_at_the_limits_pass(repo: GitRepo) -> None:
    repo.write("policies/terms.md", _policy(slug="s" * 200, version="v" * 100, title="T" * 500))
    code, found = _lint(repo.path)
    assert (code, found) == (0, [])


def test_the_pre_commit_hook_refuses_a_long_slug(repo: GitRepo) -> None:
    repo.write("policies/terms.md", _policy())
    repo.commit("Add the terms")
    repo.write("policies/terms.md", _policy(slug="t" * 300, version="2"))
    repo.git("add", "policies/terms.md")
    result = CliRunner().invoke(main, ["-C", str(repo.path), "lint", "--staged"])
    assert result.exit_code == 1
    assert "policies/terms.md:3: error: the slug" in result.output
    assert "[limits]" in result.output
