"""publisher.history on a real policy repository: github/site-policy's Policies/ folder.

The bundle (344 commits, 57 policies, renames and moves across folders, deletions,
re-creations) is cloned once per session; every policy's revisions are checked against
``git log --follow --first-parent`` itself, and the Terms of Service against the corpus index
(blobs, paths and subjects recorded independently of git's rename detection).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.config import Settings
from publisher.diff import compare
from publisher.history import Policy, PolicyRepo
from publisher.markdown import parse_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BUNDLE = CORPUS / "github-site-policy.bundle"
GLOB = "Policies/**/*.md"
TOS = "Policies/github-terms/github-terms-of-service.md"
AUP = "Policies/acceptable-use-policies/github-acceptable-use-policies.md"

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="session")
def site_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not BUNDLE.is_file():
        pytest.skip(f"corpus bundle not found at {BUNDLE}")
    dest = tmp_path_factory.mktemp("corpus") / "site-policy"
    subprocess.run(["git", "clone", "-q", str(BUNDLE), str(dest)], check=True)
    return dest


@pytest.fixture(scope="session")
def reader(site_policy: Path) -> Iterator[PolicyRepo]:
    with PolicyRepo.open(Settings(root=site_policy, policies=GLOB)) as repo:
        yield repo


@pytest.fixture(scope="session")
def policies(reader: PolicyRepo) -> dict[str, Policy]:
    return {p.path: p for p in reader.policies()}


def git_follow(root: Path, path: str) -> tuple[list[str], set[str]]:
    """git's own revisions of ``path``, oldest first, and those among them that delete it."""
    out = subprocess.run(
        [
            "git",
            "log",
            "--follow",
            "--first-parent",
            "--name-status",
            "--format=%x01%H",
            "--",
            path,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commits: list[str] = []
    deletions: set[str] = set()
    for record in out.split("\x01")[1:]:
        sha, *changes = record.strip().split("\n")
        commits.append(sha)
        if any(line.startswith("D\t") for line in changes if line):
            deletions.add(sha)
    return commits[::-1], deletions


def test_exactly_57_policies(policies: dict[str, Policy], site_policy: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "HEAD", "--", "Policies"],
        cwd=site_policy,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(policies) == 57
    assert sorted(policies) == sorted(p for p in listed if p.endswith(".md"))
    assert len({p.slug for p in policies.values()}) == 57


def test_every_policy_has_gits_revisions(policies: dict[str, Policy], site_policy: Path) -> None:
    """Each policy's revisions are exactly ``git log --follow --first-parent``'s commits,
    except a commit that deleted the file mid-history (git lists it; there is no file there,
    so it is no revision)."""
    deletions_seen = 0
    for path, policy in policies.items():
        commits, deletions = git_follow(site_policy, path)
        ours = [r.commit for r in policy.revisions]
        assert ours == [c for c in commits if c not in deletions], path
        assert len(ours) == len(commits) - len(deletions), path
        deletions_seen += len(deletions)
    # github-sponsors-additional-terms.md was deleted by a bad sync and re-added later
    assert deletions_seen == 1


def test_terms_of_service_has_44_revisions_as_git_says(
    policies: dict[str, Policy], site_policy: Path
) -> None:
    tos = policies[TOS]
    commits, deletions = git_follow(site_policy, TOS)
    assert not deletions
    assert len(tos.revisions) == 44
    assert [r.commit for r in tos.revisions] == commits
    assert tos.slug == "github-terms-of-service"
    assert tos.title == "GitHub Terms of Service"


@pytest.mark.parametrize(
    ("path", "folder"),
    [(TOS, "github-terms-of-service"), (AUP, "github-acceptable-use-policies")],
)
def test_revisions_match_the_corpus_index(
    policies: dict[str, Policy], path: str, folder: str
) -> None:
    """Blobs, paths (through the moves into folders) and subjects as recorded in the corpus."""
    index = json.loads((CORPUS / "github-site-policy" / folder / "index.json").read_text())
    # the bundle holds only Policies/; the AUP's first revision lived outside it
    entries = [e for e in index["entries"] if e["path"].startswith("Policies/")]
    revisions = policies[path].revisions
    assert [r.blob for r in revisions] == [e["blob"] for e in entries]
    assert [r.path for r in revisions] == [e["path"] for e in entries]
    assert [r.subject for r in revisions] == [e["subject"] for e in entries]
    assert [r.committed.isoformat() for r in revisions] == [e["commit_date"] for e in entries]


def test_terms_of_service_versions_follow_visible_changes(
    reader: PolicyRepo, policies: dict[str, Policy]
) -> None:
    """Without version labels, each change a reader can see (title, clauses) is a version
    labelled by its commit date, whose content is the last commit before the next one;
    checked against the corpus files parsed on their own."""
    folder = CORPUS / "github-site-policy" / "github-terms-of-service"
    index = json.loads((folder / "index.json").read_text())["entries"]
    expected: list[str] = []
    contents: list[str] = []
    previous = None
    for entry in index:
        document = parse_document((folder / entry["file"]).read_text(encoding="utf-8"))
        if document.fingerprint != previous:
            day = entry["commit_date"][:10]
            same_day = sum(1 for label in expected if label.split(".")[0] == day)
            expected.append(day if not same_day else f"{day}.{same_day + 1}")
            contents.append(entry["sha"])
        else:
            contents[-1] = entry["sha"]
        previous = document.fingerprint
    tos = policies[TOS]
    assert list(tos.labels) == expected
    assert len(expected) < len(index)  # some commits changed nothing a reader sees
    assert not any(v.labelled for v in tos.versions)
    assert tos.current.effective is not None
    assert tos.current == tos.versions[-1]
    assert len({v.revision.commit for v in tos.versions}) == len(tos.versions)
    for version in tos.versions:
        assert reader.document(version.revision).sha256 == version.sha256


def test_consecutive_versions_always_differ_in_the_diff(
    reader: PolicyRepo, policies: dict[str, Policy]
) -> None:
    """A new version is never one that ``compare`` calls unchanged: for every policy, every
    pair of consecutive versions has at least one clause or title/effective-date change."""
    unchanged: list[str] = []
    pairs = 0
    for policy in policies.values():
        for old, new in zip(policy.versions, policy.versions[1:], strict=False):
            pairs += 1
            changes = compare(reader.document(old.revision), reader.document(new.revision))
            if not changes.changes and not changes.meta_changes:
                unchanged.append(f"{policy.slug} {old.label} -> {new.label}")
    assert pairs > 100
    assert unchanged == []


def test_deleted_policies_are_listed_with_include_deleted(reader: PolicyRepo) -> None:
    everything = reader.policies(include_deleted=True)
    deleted = [p for p in everything if p.deleted]
    assert len(everything) == 57 + len(deleted)
    assert deleted
    for policy in deleted:
        assert policy.deleted_in is not None
        assert policy.path not in {p.path for p in everything if not p.deleted}
    privacy = [
        p for p in deleted if p.path == "Policies/privacy-policies/github-privacy-statement.md"
    ]
    assert privacy and privacy[0].revisions[0].path == "Policies/github-privacy-statement.md"
    # moves git did not detect (deleted and added, rewritten, in one commit) are joined
    assert len({p.slug for p in everything}) == len(everything)
    cookies = [p for p in deleted if p.slug == "github-subprocessors-and-cookies"]
    assert cookies and cookies[0].paths == (
        "Policies/github-subprocessors-and-cookies.md",
        "Policies/privacy-policies/github-subprocessors-and-cookies.md",
    )
    assert len(cookies[0].revisions) == 25 + 8
