"""The rules added for issue 7 — dangling-reference, policy-link, notice-period — each with a
failing and a passing example, plus the staged mode (what the pre-commit hook lints), rule
selection and bare repositories. Real repositories in temp dirs, the real CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo

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

## B. Fees

1. Pay on time.
2. Late fees are described in Section B(1).
"""

AUP = """---
title: Acceptable Use
slug: aup
version: "1"
effective: 2024-02-01
---
# Acceptable Use

1. Do not send spam.
2. Do not probe our network.
"""


def lint(repo: Path, *args: str) -> tuple[int, list[tuple[str, str, int]], dict[str, object]]:
    result = CliRunner().invoke(main, ["-C", str(repo), "lint", "--format", "json", *args])
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout) if result.stdout.strip() else {"findings": []}
    found = [(f["rule"], f["path"], f["line"]) for f in data["findings"]]  # type: ignore[index, union-attr]
    return result.exit_code, found, data


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    git = GitRepo.init(tmp_path / "repo")
    git.write("policies/terms.md", TERMS)
    git.write("policies/aup.md", AUP)
    git.commit("Publish terms and AUP v1", date="2024-01-10")
    return git


def test_fixture_is_clean(repo: GitRepo) -> None:
    assert lint(repo.path)[:2] == (0, [])


# --- dangling-reference ------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference", ["Section 14", "section 3.2", "Section B(5)", "Clauses A and Q"]
)
def test_dangling_reference(repo: GitRepo, reference: str) -> None:
    text = TERMS.replace('version: "1"', 'version: "2"').replace(
        "Pay on time.", f"Pay on time, as {reference} says."
    )
    repo.write("policies/terms.md", text)
    code, found, data = lint(repo.path, "--select", "dangling-reference")
    assert code == 1
    assert found == [("dangling-reference", "policies/terms.md", line_of(text, reference))]
    assert reference in json.dumps(data)


@pytest.mark.parametrize(
    "reference",
    [
        "Section B(1)",
        "Section B.2",
        "section A",
        "Sections A and B",
        "Section 2",
        "Section 230 of the Communications Decency Act",
        "17 U.S.C. Section 512",
        "Section 14 of the Terms of Service",
        "U.S. Code, Title 17, Section 512(g)",
        "[Section K. Payment](/site-policy/terms#k-payment)",
        "Section B, and (iii) the rest",
        "SECTIONS O (DISCLAIMER), P (LIABILITY), AND Q (RELEASE) OF THE AGREEMENT",
    ],
)
def test_references_that_resolve_or_point_elsewhere(repo: GitRepo, reference: str) -> None:
    text = TERMS.replace("Pay on time.", f"Pay on time, as {reference} says.")
    repo.write("policies/terms.md", text)
    assert lint(repo.path, "--select", "dangling-reference")[:2] == (0, [])


def test_paragraphs_numbered_with_dotted_numbers_can_be_referenced(repo: GitRepo) -> None:
    text = (
        TERMS
        + "\n## C. Data\n\n7.1 We delete logs after 30 days.\n\n7.2 Section 7.1 does not apply to backups; Section 7.3 does not exist.\n"
    )
    repo.write("policies/terms.md", text)
    code, found, data = lint(repo.path, "--select", "dangling-reference")
    assert (code, found) == (
        1,
        [("dangling-reference", "policies/terms.md", line_of(text, "7.2 Section"))],
    )
    assert "Section 7.3" in json.dumps(data) and "Section 7.1" not in json.dumps(data)


def test_references_in_code_blocks_are_ignored(repo: GitRepo) -> None:
    text = TERMS + "\n```\nSection 99 is an example\n```\n"
    repo.write("policies/terms.md", text)
    assert lint(repo.path, "--select", "dangling-reference")[:2] == (0, [])


def test_dangling_reference_can_be_silenced(repo: GitRepo) -> None:
    text = TERMS.replace(
        "1. Pay on time.",
        "<!-- publisher-lint: disable dangling-reference -->\n1. Pay on time (Section 9).",
    )
    repo.write("policies/terms.md", text)
    assert lint(repo.path, "--select", "dangling-reference")[:2] == (0, [])


# --- policy-link -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "[the AUP](aup.md#c-9)",  # the file exists, the anchor does not
        "[the AUP](use.md)",  # no such file
        "[rule 2](/aup/#c-7)",  # site URL of the current version
        "[old AUP](/aup/v/9/)",  # no such version
        "[rule](/aup/v/1/#c-b)",  # anchor missing in that version
        "[rule](/acceptable-use/#c-1)",  # no policy with that slug
        "[fees](#c-c-1)",  # no such anchor in this policy
        "[rule](http://127.0.0.1:8001/aup/#c-3)",  # absolute URL on the site_url
        '<a href="../aup/#c-5">rule</a>',  # relative site URL in raw HTML
    ],
)
def test_broken_policy_link(repo: GitRepo, link: str) -> None:
    text = TERMS.replace("Pay on time.", f"Pay on time; see {link}.")
    repo.write("policies/terms.md", text)
    code, found, _ = lint(repo.path, "--select", "policy-link")
    assert code == 1, found
    assert found == [("policy-link", "policies/terms.md", line_of(text, "Pay on time"))]


@pytest.mark.parametrize(
    "link",
    [
        "[the AUP](aup.md#c-2)",
        "[the AUP](./aup.md)",
        "[rule 2](/aup/#c-2)",
        "[old AUP](/aup/v/1/#c-1)",
        "[history](/aup/versions/)",
        "[fees](#c-b-1)",
        "[rule](http://127.0.0.1:8001/aup/#c-1)",
        '<a href="../aup/#c-1">rule</a>',
        "[elsewhere](https://example.com/aup/#c-99)",
        "[mail](mailto:legal@example.com)",
        "[contact](/contact/)",
        "[readme](../README.md)",
    ],
)
def test_working_policy_link(repo: GitRepo, link: str) -> None:
    repo.write("README.md", "# Readme\n")
    text = TERMS.replace("Pay on time.", f"Pay on time; see {link}.")
    repo.write("policies/terms.md", text)
    assert lint(repo.path, "--select", "policy-link")[:2] == (0, [])


def test_section_heading_ids_of_the_site_are_anchors_too(repo: GitRepo) -> None:
    # The site gives a section both #c-b (the section) and #c-b-h (its heading).
    text = TERMS.replace("Pay on time.", "Pay on time; see [fees](#c-b-h) and [AUP](/aup/#c-1).")
    repo.write("policies/terms.md", text)
    assert lint(repo.path, "--select", "policy-link")[:2] == (0, [])


def test_github_heading_anchors_work_as_aliases(repo: GitRepo) -> None:
    # Policies written for GitHub link their headings by GitHub's slug ("C. Conduct" ->
    # #c-conduct, as in github/site-policy's Terms of Service). The site gives every section
    # that alias (publisher.anchors), so such links resolve, in the policy and across policies.
    text = (
        TERMS.replace(
            "## A. Accounts", "[Accounts](#a-accounts), [Conduct](#c-conduct)\n\n## A. Accounts"
        )
        + "\n## C. Conduct\n\n1. Be kind.\n"
    )
    repo.write("policies/terms.md", text)
    repo.write(
        "policies/aup.md",
        AUP.replace("2. Do not probe", "2. Pay as in [fees](terms.md#b-fees); do not probe"),
    )
    assert lint(repo.path, "--select", "policy-link")[:2] == (0, [])
    # A misspelt heading anchor is still an error... only when it looks like ours (c-…).
    repo.write(
        "policies/aup.md",
        AUP.replace("2. Do not probe", "2. See [x](terms.md#c-conduc); do not probe"),
    )
    code, found, _ = lint(repo.path, "--select", "policy-link")
    assert (code, found) == (
        1,
        [("policy-link", "policies/aup.md", line_of(AUP, "2. Do not probe"))],
    )


def test_link_to_a_version_being_written(repo: GitRepo) -> None:
    repo.write(
        "policies/aup.md",
        AUP.replace('version: "1"', 'version: "2"').replace(
            "2. Do not probe our network.", "2. Do not probe our network.\n3. Do not mine."
        ),
    )
    repo.write(
        "policies/terms.md", TERMS.replace("Pay on time.", "Pay on time; see [x](/aup/v/2/#c-3).")
    )
    assert lint(repo.path, "--select", "policy-link")[:2] == (0, [])
    repo.write(
        "policies/terms.md", TERMS.replace("Pay on time.", "Pay on time; see [x](/aup/v/1/#c-3).")
    )
    assert lint(repo.path, "--select", "policy-link")[0] == 1


# --- notice-period -----------------------------------------------------------------------


def v2(effective: date, **front: object) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in front.items())
    return (
        TERMS.replace('version: "1"', 'version: "2"')
        .replace(
            "effective: 2024-02-01", f"effective: {effective.isoformat()}\n{extra}".rstrip("\n")
        )
        .replace("within 72 hours", "within 24 hours")
    )


def test_notice_period_for_a_new_version_counts_from_today(repo: GitRepo) -> None:
    text = v2(date.today() + timedelta(days=5))
    repo.write("policies/terms.md", text)
    code, found, data = lint(repo.path, "--select", "notice-period")
    assert code == 1
    assert found == [("notice-period", "policies/terms.md", line_of(text, "effective:"))]
    message = data["findings"][0]  # type: ignore[index]
    assert "material change" in message["message"] and "5 days from today" in message["message"]
    assert (date.today() + timedelta(days=30)).isoformat() in message["hint"]
    repo.write("policies/terms.md", v2(date.today() + timedelta(days=30)))
    assert lint(repo.path, "--select", "notice-period")[:2] == (0, [])


def test_notice_period_for_a_committed_version_counts_from_its_commit(repo: GitRepo) -> None:
    repo.write("policies/terms.md", v2(date(2024, 3, 20)))
    repo.commit("Terms v2", date="2024-03-01")
    code, found, data = lint(repo.path, "--select", "notice-period")
    assert code == 1 and found[0][0] == "notice-period"
    assert "19 days after it was published on 2024-03-01" in json.dumps(data)
    repo.write("policies/terms.md", v2(date(2024, 3, 31)))
    repo.commit("Terms v2: give 30 days", date="2024-03-01T13:00:00")
    assert lint(repo.path, "--select", "notice-period")[:2] == (0, [])


def test_editorial_changes_need_no_notice(repo: GitRepo) -> None:
    text = (
        TERMS.replace('version: "1"', 'version: "2"')
        .replace("effective: 2024-02-01", f"effective: {date.today().isoformat()}")
        .replace("Pay on time.", "Pay on time!")
    )
    repo.write("policies/terms.md", text)
    assert lint(repo.path, "--select", "notice-period")[:2] == (0, [])


def test_policy_change_trailer_and_front_matter_notice_days(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("policies/terms.md", v2(date(2024, 3, 11)))
    repo.commit("Terms v2", date="2024-03-01", trailers={"Policy-Change": "editorial"})
    assert lint(repo.path, "--select", "notice-period")[:2] == (0, [])
    # A message being written (commit-msg hook) counts too.
    v3 = v2(date.today() + timedelta(days=3)).replace('"2"', '"3"').replace("safe", "secret")
    repo.write("policies/terms.md", v3)
    assert lint(repo.path, "--select", "notice-period")[0] == 1
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text("Terms v3\n\nPolicy-Change: editorial\n# Please enter the commit message\n")
    assert lint(repo.path, "--select", "notice-period", "--message-file", str(message))[0] == 0
    # The policy's own notice_days wins over the setting.
    repo.write("policies/terms.md", v3.replace("slug: terms", "slug: terms\nnotice_days: 3"))
    assert lint(repo.path, "--select", "notice-period")[0] == 0


def test_notice_days_setting(repo: GitRepo) -> None:
    repo.write("policies/terms.md", v2(date.today() + timedelta(days=10)))
    assert lint(repo.path, "--select", "notice-period")[0] == 1
    repo.write("publisher.toml", "notice_days = 7\n")
    assert lint(repo.path, "--select", "notice-period")[0] == 0


def test_notice_period_for_unlabelled_policies_uses_the_effective_date_line(repo: GitRepo) -> None:
    body = "# Privacy\n\nEffective date: {when}\n\nWe keep logs for {days} days.\n"
    repo.write("policies/privacy.md", body.format(when="January 1, 2024", days=90))
    repo.commit("Privacy", date="2024-01-01")
    soon = date.today() + timedelta(days=2)
    repo.write(
        "policies/privacy.md", body.format(when=f"{soon:%B} {soon.day}, {soon.year}", days=30)
    )
    code, found, _ = lint(repo.path, "--select", "notice-period")
    assert (code, found) == (1, [("notice-period", "policies/privacy.md", 3)])
    repo.write("policies/privacy.md", body.format(when="January 1, 2024", days=90))
    assert lint(repo.path, "--select", "notice-period")[0] == 0


# --- staged mode, selection, skipping, bare repositories ---------------------------------


def test_staged_mode_lints_the_index_not_the_work_tree(repo: GitRepo) -> None:
    broken = TERMS.replace("title: Terms", "title: [unclosed")
    repo.write("policies/terms.md", broken)  # staged
    (repo.path / "policies/terms.md").write_text(TERMS)  # fixed in the work tree only
    assert lint(repo.path)[0] == 0
    code, found, data = lint(repo.path, "--staged")
    assert (code, found) == (1, [("front-matter", "policies/terms.md", 2)])  # the "[" line
    assert data["checked"] == ["policies/terms.md"]
    # Only staged policies are checked: an unstaged broken file does not count.
    repo.git("add", "policies/terms.md")
    (repo.path / "policies/aup.md").write_text("---\nversion: [\n---\n")
    assert lint(repo.path, "--staged")[:2] == (0, [])


def test_staged_mode_honours_git_index_file(repo: GitRepo, tmp_path: Path) -> None:
    other_index = tmp_path / "other-index"
    env = {"GIT_INDEX_FILE": str(other_index)}
    repo.git("read-tree", "HEAD", env=env)
    (repo.path / "policies/terms.md").write_text(TERMS.replace("## B. Fees", "## D. Fees"))
    repo.git("add", "policies/terms.md", env=env)
    (repo.path / "policies/terms.md").write_text(TERMS)
    assert lint(repo.path, "--staged")[:2] == (0, [])  # the normal index is clean
    result = CliRunner(env=env).invoke(main, ["-C", str(repo.path), "lint", "--staged"])
    assert result.exit_code == 1 and "[numbering-gap]" in result.stderr


def test_select_and_ignore(repo: GitRepo) -> None:
    repo.write(
        "policies/terms.md",
        TERMS.replace("## B. Fees", "## C. Fees")
        .replace("Pay on time.", "Pay on time (Section 14).")
        .replace('"1"', '"2"'),
    )
    every = {"numbering-gap", "dangling-reference", "notice-period"}
    assert {r for r, _, _ in lint(repo.path)[1]} == every
    assert {r for r, _, _ in lint(repo.path, "--ignore", "numbering-gap")[1]} == every - {
        "numbering-gap"
    }
    assert {r for r, _, _ in lint(repo.path, "--ignore", "numbering-gap,notice-period")[1]} == {
        "dangling-reference"
    }
    assert {r for r, _, _ in lint(repo.path, "--select", "numbering-gap")[1]} == {"numbering-gap"}
    result = CliRunner().invoke(main, ["-C", str(repo.path), "lint", "--select", "nonsense"])
    assert result.exit_code == 2 and "unknown rule" in result.stderr


def test_files_that_are_not_policies_are_skipped(repo: GitRepo) -> None:
    repo.write("README.md", "# Readme\n\n## B. x\n\n## D. y\n")
    code, found, data = lint(repo.path, "README.md", "policies/terms.md")
    assert (code, found) == (0, [])
    assert data["skipped"] == ["README.md"] and data["checked"] == ["policies/terms.md"]


def test_bare_repository_lints_the_branch_tip(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("policies/terms.md", TERMS.replace("## B. Fees", "## C. Fees").replace('"1"', '"2"'))
    repo.commit("Terms v2 with a gap", date="2024-01-20")
    bare = repo.clone(tmp_path / "bare.git", bare=True)
    code, found, _ = lint(bare)
    assert (code, found) == (
        1,
        [
            ("numbering-gap", "policies/terms.md", 14),
            ("dangling-reference", "policies/terms.md", 17),
        ],
    )  # "Section B(1)"
