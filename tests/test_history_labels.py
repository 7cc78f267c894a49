"""Version labels by commit date: many commits on one day (issue 20), and labels that never
read like ``v2024-06-01``."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

from click.testing import CliRunner
from gitrepo import GitRepo, isolated_git_env

from publisher.cli import main
from publisher.config import Settings
from publisher.document import PolicyMeta
from publisher.gitio import LogEntry
from publisher.history import PolicyRepo, Revision
from publisher.history.versions import Head, derive_versions, make_head

SAME_DAY = 5_000


def fast_import_same_day(path: Path, commits: int) -> None:
    """A repository whose ``policies/terms.md`` changes in each of ``commits`` commits, all on
    2024-06-01 (one second apart), written with one ``git fast-import``."""
    GitRepo.init(path)
    stream: list[str] = []
    base = 1_717_200_000  # 2024-06-01 00:00:00 UTC
    for i in range(commits):
        body = f"# Terms\n\n1. Rule number {i} applies.\n"
        message = f"Terms change {i}\n"
        stream.append("commit refs/heads/main\n")
        stream.append(f"committer Alice <alice@example.com> {base + i} +0000\n")
        stream.append(f"data {len(message.encode())}\n{message}")
        stream.append(f"M 100644 inline policies/terms.md\ndata {len(body.encode())}\n{body}\n")
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=path,
        input="".join(stream).encode(),
        check=True,
        env=isolated_git_env(),
    )
    subprocess.run(
        ["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=isolated_git_env()
    )


def test_five_thousand_commits_on_one_day_get_one_label_each() -> None:
    """Version derivation itself, over 5,000 revisions of one day (each a visible change)."""
    day = datetime(2024, 6, 1, tzinfo=UTC)
    revisions = tuple(
        Revision.at(
            LogEntry(
                f"{i:040x}", "Alice", "alice@example.com", day, day, f"Terms change {i}", (), ()
            ),
            "policies/terms.md",
            f"{i:040x}",
            "M",
        )
        for i in range(SAME_DAY)
    )
    heads: list[Head | None] = [
        make_head(PolicyMeta(), f"# Terms\n\n1. Rule {i}.\n") for i in range(SAME_DAY)
    ]
    versions, labels = derive_versions(
        "terms",
        revisions,
        heads,
        title_of=lambda rev, head: "Terms",
        fingerprint_of=lambda rev: rev.blob,
    )
    expected = ("2024-06-01", *(f"2024-06-01.{n}" for n in range(2, SAME_DAY + 1)))
    assert tuple(v.label for v in versions) == expected
    assert labels == expected
    assert [v.summary for v in versions] == [f"Terms change {i}" for i in range(SAME_DAY)]


def test_many_commits_on_one_day_in_a_real_repository(tmp_path: Path) -> None:
    fast_import_same_day(tmp_path / "repo", 500)
    with PolicyRepo.open(Settings(root=tmp_path / "repo")) as reader:
        (terms,) = reader.policies()
    expected = ("2024-06-01", *(f"2024-06-01.{n}" for n in range(2, 501)))
    assert terms.labels == expected
    assert terms.revision_labels == expected
    assert [v.revision.subject for v in terms.versions] == [f"Terms change {i}" for i in range(500)]


def test_a_date_label_written_in_front_matter_is_not_given_again(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", "# Terms\n\nOne.\n")
    repo.commit("First", date="2024-06-01T08:00:00+00:00")
    repo.write("policies/terms.md", '---\nversion: "2024-06-01.2"\n---\n# Terms\n\nTwo.\n')
    repo.commit("Second, labelled by hand", date="2024-06-01T09:00:00+00:00")
    repo.write("policies/terms.md", "# Terms\n\nThree.\n")
    repo.commit("Third", date="2024-06-01T10:00:00+00:00")
    with PolicyRepo.open(Settings(root=repo.path)) as reader:
        (terms,) = reader.policies()
    assert terms.labels == ("2024-06-01", "2024-06-01.2", "2024-06-01.3")
    assert [v.labelled for v in terms.versions] == [False, True, False]


def test_without_front_matter_the_commit_subject_is_the_summary(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", "# Terms\n\nEffective date: June 1, 2024\n\n1. Be kind.\n")
    repo.commit("Publish the terms", date="2024-05-20")
    repo.write("policies/terms.md", "# Terms\n\nEffective date: July 1, 2024\n\n1. Be kind.\n")
    repo.commit("Move the effective date to July", date="2024-06-10")
    repo.write(
        "policies/terms.md",
        "---\nsummary: Kindness and fairness\n---\n"
        "# Terms\n\nEffective date: August 1, 2024\n\n1. Be kind and fair.\n",
    )
    repo.commit("Add fairness", date="2024-07-10")
    with PolicyRepo.open(Settings(root=repo.path)) as reader:
        (terms,) = reader.policies()
    assert [v.label for v in terms.versions] == ["2024-05-20", "2024-06-10", "2024-07-10"]
    assert [v.summary for v in terms.versions] == [
        "Publish the terms",
        "Move the effective date to July",
        "Kindness and fairness",
    ]
    # the effective date comes from the "Effective date:" line of each version
    assert [v.effective for v in terms.versions] == [
        date(2024, 6, 1),
        date(2024, 7, 1),
        date(2024, 8, 1),
    ]


def test_labels_in_text_never_read_v_and_a_date(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/terms.md", "# Terms\n\n1. Be kind.\n")
    repo.commit("Publish the terms", date="2024-06-01")
    repo.write("policies/terms.md", "# Terms\n\n1. Be kind and fair.\n")
    repo.commit("Add fairness", date="2024-06-02")
    result = CliRunner().invoke(
        main, ["-C", str(repo.path), "diff", "terms", "--from", "2024-06-01", "--to", "2024-06-02"]
    )
    assert result.exit_code == 0, result.output
    assert "2024-06-01" in result.stdout and "2024-06-02" in result.stdout
    assert "v2024" not in result.stdout
