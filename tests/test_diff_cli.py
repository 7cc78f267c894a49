"""``publisher diff`` end to end: the real CLI on real files and a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gitrepo import GitRepo

from publisher.cli import main

V1 = """\
---
title: Acceptable Use Policy
slug: aup
version: "1"
---

You must follow these rules.

1. You must not send spam.
2. You must not host malware.
3. You must not scan networks without permission.
"""

V2 = """\
---
title: Acceptable Use Policy
slug: aup
version: "2"
---

You must follow these rules.

1. You must not send spam.
2. You must not mine cryptocurrency.
3. You must not host malware.
4. You must not scan networks without permission.
"""

# Only punctuation and letter case change: editorial.
V3 = (
    V2.replace('version: "2"', 'version: "3"')
    .replace("mine cryptocurrency.", "mine Cryptocurrency")
    .replace("send spam.", "send spam!")
)

# A material rewording that the reviewer declares editorial for clause 4 only.
V4 = (
    V3.replace('version: "3"', 'version: "4"')
    .replace("scan networks without permission.", "scan networks without written permission.")
    .replace("host malware.", "host malware or phishing pages.")
)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Publish the AUP", files={"policies/aup.md": V1}, date="2025-01-06")
    repo.commit("AUP v2: no mining", files={"policies/aup.md": V2}, date="2025-03-03")
    repo.commit("AUP v3: punctuation", files={"policies/aup.md": V3}, date="2025-04-01")
    repo.commit(
        "AUP v4: written permission",
        files={"policies/aup.md": V4},
        date="2025-05-05",
        trailers={"Policy-Change": "editorial 4"},
    )
    return repo


def run(repo: GitRepo | None, *args: str) -> Result:
    prefix = ["--repo", str(repo.path)] if repo else []
    return CliRunner().invoke(main, [*prefix, "diff", *args], catch_exceptions=False)


def test_policy_defaults_to_previous_version_and_applies_trailer_override(repo: GitRepo) -> None:
    result = run(repo, "aup", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["policy"] == "aup"
    assert data["old"]["version"] == "3" and data["new"]["version"] == "4"
    assert data["new"]["rev"] == repo.head()
    assert len(data["old"]["sha256"]) == 64
    assert data["summary"] == {
        "added": 0,
        "removed": 0,
        "modified": 2,
        "moved": 0,
        "renumbered": 0,
        "restructured": 0,
        "material": 1,
        "editorial": 1,
        "reworded": 2,
    }
    by_id = {c["new"]["id"]: c for c in data["changes"]}
    assert by_id["3"]["material"] is True and by_id["3"]["override"] is None
    assert by_id["4"]["material"] is False
    assert by_id["4"]["override"] == {
        "value": "editorial",
        "source": f"{repo.head()} trailer",
        "clause": "4",
    }
    for change in data["changes"]:
        assert {"kind", "material", "old", "new", "inline"} <= change.keys()
        assert {"id", "number", "heading", "text"} <= change["new"].keys()


def test_text_output_marks_words_and_the_override(repo: GitRepo) -> None:
    result = run(repo, "aup")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        "aup: v3 → v4",
        "2 modified (1 material, 1 editorial)",
    ]
    assert "~ 3 “You must not host malware or phishing pages.”  [material]" in result.stdout
    assert "You must not host malware {+or phishing pages+}." in result.stdout
    assert f"[editorial (override: Policy-Change in {repo.head()[:12]} trailer)]" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_insertion_renumbers_and_exit_code_reports_material(repo: GitRepo) -> None:
    result = run(repo, "aup", "--from", "1", "--to", "2", "--exit-code")
    assert result.exit_code == 1
    assert "+ 2 “You must not mine cryptocurrency.”  [material]" in result.stdout
    assert "# 3 “You must not host malware.”  was 2  [editorial]" in result.stdout
    assert "# 4 “You must not scan networks without permission.”  was 3  [editorial]" in (
        result.stdout
    )
    assert run(repo, "aup", "--from", "1", "--to", "2").exit_code == 0


def test_exit_code_is_zero_for_editorial_changes_only(repo: GitRepo) -> None:
    result = run(repo, "aup", "--from", "2", "--to", "3", "--exit-code", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["summary"]["editorial"] == 2 and data["summary"]["material"] == 0


def test_material_only_lists_material_changes_but_counts_all(repo: GitRepo) -> None:
    result = run(repo, "aup", "--from", "1", "--to", "2", "--material-only", "--format", "json")
    data = json.loads(result.stdout)
    assert data["summary"]["renumbered"] == 2
    assert [c["kind"] for c in data["changes"]] == ["added"]
    text = run(repo, "aup", "--from", "1", "--to", "2", "--material-only").stdout
    assert "(2 editorial changes not listed)" in text
    assert "# 3" not in text


@pytest.mark.parametrize("rev", ["2", "2025-03-10", "HEAD~2"])
def test_revisions_by_label_date_or_commit(repo: GitRepo, rev: str) -> None:
    data = json.loads(run(repo, "aup", "--from", rev, "--to", "HEAD~1", "--format", "json").stdout)
    assert (data["old"]["version"], data["new"]["version"]) == ("2", "3")


def test_unknown_revision_is_a_clear_error(repo: GitRepo) -> None:
    result = run(repo, "aup", "--from", "9")
    assert result.exit_code == 2
    assert "'9' is not a version, commit or date of aup" in result.stderr
    assert "versions of aup: 1, 2, 3, 4" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_policy_is_a_clear_error(repo: GitRepo) -> None:
    result = run(repo, "nope")
    assert result.exit_code == 2
    assert "no policy 'nope'" in result.stderr and "aup" in result.stderr


def test_two_files(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(V1, encoding="utf-8")
    new.write_text(V2, encoding="utf-8")
    data = json.loads(run(None, str(old), str(new), "--format", "json").stdout)
    assert data["policy"] == "aup"
    assert data["old"]["rev"] == str(old) and data["new"]["rev"] == str(new)
    assert [c["kind"] for c in data["changes"]] == ["added", "renumbered", "renumbered"]
    no_slug = tmp_path / "terms.md"
    no_slug.write_text("1. Be nice.\n", encoding="utf-8")
    data = json.loads(run(None, str(no_slug), str(no_slug), "--format", "json").stdout)
    assert data["policy"] == "terms" and data["changes"] == []


def test_markdown_and_html_formats(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(V3, encoding="utf-8")
    # An entity in the Markdown is the text "<script>" in the clause: escaped on the way out.
    new.write_text(V4.replace("phishing", "&lt;script&gt;"), encoding="utf-8")
    markdown = run(None, str(old), str(new), "--format", "markdown").stdout
    assert markdown.startswith("**aup: v3 → v4** — 2 modified (2 material, 0 editorial)")
    assert "host malware **or \\<script\\> pages**." in markdown
    html = run(None, str(old), str(new), "--format", "html").stdout
    assert html.startswith('<section class="redline"')
    assert "host malware <ins>or &lt;script&gt; pages</ins>." in html
    assert "<script>" not in html
    assert 'href="#c-3"' in html


def test_colour_on_request(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(V1, encoding="utf-8")
    new.write_text(V2, encoding="utf-8")
    assert "\x1b[" in run(None, str(old), str(new), "--color").stdout
    assert "\x1b[" not in run(None, str(old), str(new)).stdout


def test_bad_arguments(tmp_path: Path) -> None:
    missing = run(None, str(tmp_path / "a.md"), str(tmp_path / "b.md"))
    assert missing.exit_code == 2
    assert "a.md: no such file" in missing.stderr
    one = tmp_path / "one.md"
    one.write_text(V1, encoding="utf-8")
    mixed = run(None, str(one), str(one), "--from", "1")
    assert mixed.exit_code == 2
    assert "--from/--to compare revisions of one POLICY" in mixed.output
    three = run(None, "a", "b", "c")
    assert three.exit_code == 2


def test_front_matter_title_and_effective_changes_are_reported(tmp_path: Path) -> None:
    # Only the title and the effective date change (QA 17): the diff must say so in every
    # format, and the JSON sides carry both.
    old = tmp_path / "old.md"
    new = tmp_path / "new.md"
    old.write_text(V1.replace('version: "1"\n', 'version: "1"\neffective: 2025-01-06\n'))
    new.write_text(
        V1.replace("title: Acceptable Use Policy", "title: Acceptable Use Rules").replace(
            'version: "1"\n', 'version: "1"\neffective: 2025-02-01\n'
        )
    )
    data = json.loads(run(None, str(old), str(new), "--format", "json").stdout)
    assert data["old"]["effective"] == "2025-01-06" and data["new"]["effective"] == "2025-02-01"
    assert data["old"]["title"] == "Acceptable Use Policy"
    assert data["new"]["title"] == "Acceptable Use Rules"
    assert data["changes"] == []
    assert data["meta_changes"] == [
        {"field": "title", "old": "Acceptable Use Policy", "new": "Acceptable Use Rules"},
        {"field": "effective", "old": "2025-01-06", "new": "2025-02-01"},
    ]
    text = run(None, str(old), str(new)).stdout
    assert "no clause changes; title and effective date changed" in text
    assert "title: “Acceptable Use Policy” → “Acceptable Use Rules”" in text
    assert "effective date: 2025-01-06 → 2025-02-01" in text
    markdown = run(None, str(old), str(new), "--format", "markdown").stdout
    assert "Effective date: 2025-01-06 → 2025-02-01" in markdown
    html = run(None, str(old), str(new), "--format", "html").stdout
    assert '<li class="redline__meta-change" data-field="effective">' in html
    assert "2025-01-06" in html and "Acceptable Use Rules" in html
    # Unchanged front matter: no meta changes, and the sides still tell the dates.
    same = json.loads(run(None, str(old), str(old), "--format", "json").stdout)
    assert same["meta_changes"] == [] and same["new"]["effective"] == "2025-01-06"


def test_front_matter_changes_between_revisions_in_git(repo: GitRepo) -> None:
    repo.commit(
        "AUP v5: effective date",
        date="2025-06-02",
        files={
            "policies/aup.md": V4.replace('version: "4"', 'version: "5"\neffective: 2025-07-01')
        },
    )
    data = json.loads(run(repo, "aup", "--format", "json").stdout)
    assert data["new"]["effective"] == "2025-07-01" and data["old"]["effective"] is None
    assert data["meta_changes"] == [{"field": "effective", "old": None, "new": "2025-07-01"}]
