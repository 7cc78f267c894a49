"""Each lint rule with a failing and a passing example, silencing, and the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

from publisher.cli import main
from publisher.lint import RULES

GOOD = """---
title: Terms
slug: terms
version: "1"
effective: 2024-02-01
---
# Terms

## A. Accounts

1. Keep your password safe.
2. Tell us about breaches.

## B. Fees

1. Pay on time.
"""


def lint(repo: Path, *args: str) -> tuple[int, dict[str, object], str]:
    result = CliRunner().invoke(main, ["-C", str(repo), "lint", "--format", "json", *args])
    data = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, data, result.stderr


def rules_of(data: dict[str, object]) -> list[tuple[str, str, int]]:
    findings = data["findings"]
    assert isinstance(findings, list)
    return [(f["rule"], f["path"], f["line"]) for f in findings]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git = GitRepo.init(tmp_path / "repo")
    git.write("policies/terms.md", GOOD)
    git.commit("Publish terms v1", date="2024-01-10")
    return git


def test_clean_repository_passes(repo: GitRepo) -> None:
    code, data, _ = lint(repo.path)
    assert code == 0
    assert data["findings"] == []


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("version: [1, 2]\n", 4, "version"),
        ("effective: 2024-02-30\n", 4, "effective"),
        ("title: [unclosed\n", 4, "YAML"),  # where the "[" opens (issue 12 item 10)
        ("reaccept: sometimes\n", 4, "reaccept"),
    ],
)
def test_front_matter_errors_have_file_and_line(
    repo: GitRepo, front: str, line: int, message: str
) -> None:
    text = GOOD.replace('version: "1"\n', "").replace("effective: 2024-02-01\n", "")
    text = text.replace("slug: terms\n", "slug: terms\n" + front)
    repo.write("policies/terms.md", text)
    code, data, _ = lint(repo.path)
    assert code == 1
    [(rule, path, at)] = rules_of(data)
    assert (rule, path) == ("front-matter", "policies/terms.md")
    assert at == line
    assert message in json.dumps(data)


def test_binary_file_is_an_encoding_finding(repo: GitRepo) -> None:
    repo.write("policies/logo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    code, data, _ = lint(repo.path)
    assert code == 1
    assert rules_of(data) == [("encoding", "policies/logo.md", 3)]  # the line with the NUL byte


NEW = GOOD.replace("slug: terms", "slug: new")


def test_numbering_gap_and_repeat(repo: GitRepo) -> None:
    text = NEW.replace("## B. Fees", "## D. Fees").replace(
        "2. Tell us about breaches.", "2. Tell us about breaches.\n\n<!-- x -->\n\n2\\. Again."
    )
    repo.write("policies/new.md", text)
    code, data, _ = lint(repo.path)
    assert code == 1
    found = {(rule, line) for rule, _, line in rules_of(data)}
    assert ("numbering-gap", text.splitlines().index("## D. Fees") + 1) in found
    assert any(rule == "numbering-repeat" for rule, _ in found)


def test_lettered_then_roman_items_are_not_gaps(repo: GitRepo) -> None:
    text = NEW.replace(
        "1. Pay on time.\n",
        "1. Pay on time.\n\n(h) late fees apply.\n\n(i) and interest.\n\n(j) and costs.\n",
    )
    repo.write("policies/new.md", text)
    code, data, _ = lint(repo.path)
    assert code == 0, data


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_list_markers_written_in_the_source_are_linted(repo: GitRepo) -> None:
    # Markdown renders "1. 2. 4." as 1, 2, 3: the clause keeps the shown number (3), but
    # the skipped marker is reported where it is written, and so is a repeated one.
    text = NEW.replace(
        "1. Pay on time.\n",
        "1. Pay on time.\n2. Pay in euros.\n4. Pay by card.\n"
        "\nSee Section 4.\n\n1. Keep receipts.\n2. Ask for help.\n2. Complain.\n",
    )
    repo.write("policies/new.md", text)
    code, data, _ = lint(repo.path, "--select", "numbering-gap,numbering-repeat")
    assert code == 1
    assert rules_of(data) == [
        ("numbering-gap", "policies/new.md", line_of(text, "4. Pay by card.")),
        ("numbering-repeat", "policies/new.md", line_of(text, "2. Complain.")),
    ]
    gap = json.dumps(data["findings"][0])  # type: ignore[index]
    assert "'4.'" in gap and "'2.'" in gap and "shows it as '3.'" in gap


@pytest.mark.parametrize(
    "items",
    [
        "1. a\n1. b\n1. c\n",  # every item written "1.": Markdown numbers them
        "3. a\n4. b\n5. c\n",  # a list may start anywhere
        "1) a\n2) b\n\n1. c\n2. d\n",  # another delimiter starts another list
        "1. a\n2. b\n\n   3. part of b\n",
    ],
)
def test_list_markers_in_order_or_all_alike_pass(repo: GitRepo, items: str) -> None:
    repo.write("policies/new.md", NEW.replace("1. Pay on time.\n", items))
    code, data, _ = lint(repo.path, "--select", "numbering-gap,numbering-repeat")
    assert (code, data["findings"]) == (0, [])


def test_silencing_one_place_and_one_file(repo: GitRepo) -> None:
    gap = NEW.replace("## B. Fees", "## D. Fees")
    repo.write("policies/new.md", gap)
    assert lint(repo.path)[0] == 1
    repo.write(
        "policies/new.md",
        gap.replace("## D. Fees", "<!-- publisher-lint: disable numbering-gap -->\n## D. Fees"),
    )
    assert lint(repo.path)[0] == 0
    repo.write(
        "policies/new.md",
        gap.replace("# Terms\n", "# Terms\n<!-- publisher-lint: disable-file numbering-gap -->\n"),
    )
    assert lint(repo.path)[0] == 0


def test_duplicate_slug(repo: GitRepo) -> None:
    repo.write("policies/other.md", GOOD)
    code, data, _ = lint(repo.path)
    assert code == 1
    assert ("duplicate-slug", "policies/terms.md", 3) in rules_of(data) or (
        "duplicate-slug",
        "policies/other.md",
        3,
    ) in rules_of(data)
    repo.write("policies/other.md", GOOD.replace("slug: terms", "slug: other"))
    assert lint(repo.path)[0] == 0


def test_changed_body_without_new_label(repo: GitRepo) -> None:
    changed = GOOD.replace("Pay on time.", "Pay within 7 days.")
    repo.write("policies/terms.md", changed)
    code, data, _ = lint(repo.path)
    assert code == 1
    assert rules_of(data) == [("unversioned-change", "policies/terms.md", 4)]
    # Committed too: still an error until the text gets its own label.
    repo.commit("Edit terms in place")
    assert rules_of(lint(repo.path)[1]) == [("unversioned-change", "policies/terms.md", 4)]
    repo.write("policies/terms.md", changed.replace('version: "1"', 'version: "2"'))
    assert lint(repo.path)[0] == 0
    # Front matter changes alone are fine.
    repo.write("policies/terms.md", GOOD.replace("title: Terms", "title: Terms of Use"))
    repo.commit("Retitle")
    assert lint(repo.path, str(repo.path / "policies/terms.md"))[0] == 0


def test_text_output_names_file_line_rule_and_hint(repo: GitRepo) -> None:
    repo.write("policies/new.md", NEW.replace("## B. Fees", "## C. Fees"))
    result = CliRunner().invoke(main, ["-C", str(repo.path), "lint"])
    assert result.exit_code == 1
    assert "policies/new.md:14: error:" in result.stderr
    assert "[numbering-gap]" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_an_error(repo: GitRepo) -> None:
    code, _, err = lint(repo.path, "policies/none.md")
    assert code == 2 and "no such file" in err


def test_every_rule_is_listed() -> None:
    result = CliRunner().invoke(main, ["lint", "--rules"])
    assert result.exit_code == 0
    for rule in RULES:
        assert rule in result.stdout


def test_example_policies_lint_clean() -> None:
    root = Path(__file__).resolve().parents[1]
    code, data, _ = lint(root, "--ignore", "translation-lag")
    assert code == 0, data


def test_the_example_french_translation_lags_on_purpose() -> None:
    """Issue 15: the example shows a translation that lags a version already in force."""
    root = Path(__file__).resolve().parents[1]
    code, data, _ = lint(root)
    assert code == 1
    assert rules_of(data) == [("translation-lag", "policies/privacy.fr.md", 4)]
