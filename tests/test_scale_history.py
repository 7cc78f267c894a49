"""The synthetic histories of ``benchmarks/make_history.py`` (issue 14) and reading them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from make_history import fast_import_stream, make_history

from publisher.config import Settings
from publisher.history import PolicyRepo


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def test_history_has_the_policies_commits_and_kinds_of_edit(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=12, commits=150, seed=3)
    assert _git(repo, "rev-list", "--count", "main").strip() == "150"
    subjects = _git(repo, "log", "--format=%s", "main")
    for kind in ("Reword", "Add a section", "Insert a clause", "Remove", "Fix punctuation"):
        assert kind in subjects, kind
    with PolicyRepo.open(Settings(root=repo)) as history:
        policies = history.policies()
        assert len(policies) == 12
        revisions = sum(len(p.revisions) for p in policies)
        assert revisions >= 150 - 12  # every commit touches at least one policy
        labels = [v.label for p in policies for v in p.versions]
        assert any("." in label and label[:4] == "2024" for label in labels)  # same-day
        assert any(p.versions[-1].labelled for p in policies)
        longest = max(len(history.document(p.revisions[-1]).clauses) for p in policies)
        assert longest >= 25  # at least one very long document (sections at the top level)


def test_same_seed_same_repository_other_seed_other(tmp_path: Path) -> None:
    assert fast_import_stream(5, 30, seed=1) == fast_import_stream(5, 30, seed=1)
    assert fast_import_stream(5, 30, seed=1) != fast_import_stream(5, 30, seed=2)
    a = make_history(tmp_path / "a", 5, 30, seed=1)
    b = make_history(tmp_path / "b", 5, 30, seed=1)
    assert _git(a, "rev-parse", "main") == _git(b, "rev-parse", "main")


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="one commit per policy"):
        fast_import_stream(10, 5)
    with pytest.raises(ValueError):
        fast_import_stream(0, 5)


def _summary(repo: PolicyRepo) -> list[tuple[str, str, tuple[tuple[str, str, str], ...]]]:
    return [
        (p.slug, p.title, tuple((v.label, v.sha256, v.revision.commit) for v in p.versions))
        for p in repo.policies()
    ]


def test_a_warm_read_reads_no_blob_and_parses_nothing(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=6, commits=80, seed=5)
    settings = Settings(root=repo)
    with PolicyRepo.open(settings) as cold:
        expected = _summary(cold)
        assert cold.stats.documents_parsed > 0
        assert cold.stats.blobs_read >= cold.stats.documents_parsed
    with PolicyRepo.open(settings) as warm:
        assert _summary(warm) == expected
        assert warm.stats.blobs_read == 0
        assert warm.stats.documents_parsed == 0


def test_no_blob_is_parsed_twice_in_one_run(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=4, commits=60, seed=6)
    with PolicyRepo.open(Settings(root=repo)) as history:
        policies = history.policies()
        for policy in policies:  # the site reads every version again
            for version in policy.versions:
                history.document(version.revision)
        distinct = {r.blob for p in policies for r in p.revisions}
        assert history.stats.documents_parsed <= len(distinct)


def test_a_corrupt_or_stale_summary_index_is_a_miss(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=3, commits=30, seed=7)
    settings = Settings(root=repo)
    with PolicyRepo.open(settings) as cold:
        expected = _summary(cold)
    index_files = list((repo / ".publisher" / "cache" / "summaries").glob("*.sqlite"))
    assert len(index_files) == 1
    index_files[0].write_bytes(b"not an SQLite file at all" * 100)  # damaged
    with PolicyRepo.open(settings) as again:
        assert _summary(again) == expected
        assert again.stats.blobs_read > 0  # it had to read them again
    with PolicyRepo.open(settings) as rewritten:  # and wrote a good index back
        assert _summary(rewritten) == expected
        assert rewritten.stats.blobs_read == 0
    assert index_files[0].read_bytes().startswith(b"SQLite format 3")
    # a damaged entry is a miss, not trusted
    import sqlite3

    with sqlite3.connect(index_files[0]) as db:
        db.execute("update summary set value = '[1, 2'")
    db.close()
    with PolicyRepo.open(settings) as damaged:
        assert _summary(damaged) == expected
        assert damaged.stats.blobs_read > 0


def test_parsed_documents_held_in_memory_are_bounded(tmp_path: Path) -> None:
    from publisher.cache import DocumentCache

    repo = make_history(tmp_path / "r", policies=5, commits=120, seed=8)
    cache = DocumentCache(tmp_path / "cache", memory_limit=16)
    with PolicyRepo.open(Settings(root=repo), cache=cache) as history:
        policies = history.policies()
        for policy in policies:
            for revision in policy.revisions:
                history.document(revision)
                assert len(cache) <= 16
        distinct = {r.blob for p in policies for r in p.revisions}
        assert len(distinct) > 16
        assert history.stats.documents_parsed <= len(distinct)  # evicted ones come from disk


def test_a_warm_read_starts_no_cat_file_for_added_files(tmp_path: Path) -> None:
    """Files added next to others are checked for copies (git log --follow): the answer is
    remembered, so a warm read does not read the parent's blobs again."""
    repo = make_history(tmp_path / "r", policies=8, commits=20, seed=9)
    settings = Settings(root=repo)
    with PolicyRepo.open(settings) as cold:
        expected = _summary(cold)
        assert cold.stats.blobs_read > 0
    with PolicyRepo.open(settings) as warm:
        assert _summary(warm) == expected
        assert warm.git._cat is None  # no cat-file process at all


def test_a_remembered_copy_source_follows_the_copy(tmp_path: Path) -> None:
    from gitrepo import GitRepo

    repo = GitRepo.init(tmp_path / "repo")
    text = "# Terms\n\n" + "".join(f"{i}. Clause number {i} of the terms.\n" for i in range(1, 9))
    repo.write("policies/terms.md", text)
    repo.commit("Add terms")
    repo.write("policies/terms-v2.md", text.replace("Clause number 8", "Clause 8"))
    repo.commit("Start the new terms from a copy")
    repo.delete("policies/terms.md")
    repo.commit("Retire the old terms")
    for _ in range(2):  # cold, then from the index
        with PolicyRepo.open(Settings(root=repo.path)) as history:
            (policy,) = history.policies()
            assert [r.path for r in policy.revisions] == [
                "policies/terms.md",
                "policies/terms-v2.md",
            ]


def test_a_cold_read_on_several_processes_gives_the_same_history(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=6, commits=220, seed=10)
    results = []
    for jobs in (1, 2):
        shutil.rmtree(repo / ".publisher", ignore_errors=True)
        with PolicyRepo.open(Settings(root=repo), jobs=jobs) as history:
            results.append(_summary(history))
            distinct = {r.blob for p in history.policies() for r in p.revisions}
            assert history.stats.documents_parsed <= len(distinct)
            if jobs == 2:
                assert history.stats.parsed_in_pool > 64
                # the workers filled the document cache: reading every version afterwards
                # (as the site does) parses only what the pool did not need to
                for p in history.policies():
                    for v in p.versions:
                        history.document(v.revision)
                assert history.stats.documents_parsed <= len(distinct)
    assert results[0] == results[1]


def test_a_broken_revision_among_many_is_skipped_with_its_warning(tmp_path: Path) -> None:
    from gitrepo import GitRepo

    repo = GitRepo.init(tmp_path / "repo")
    for i in range(80):
        repo.write("policies/terms.md", f"# Terms\n\n1. Rule {i} applies.\n")
        repo.commit(f"Change {i}")
        if i == 40:
            repo.write("policies/terms.md", "---\ntitle: [unclosed\n---\n# Terms\n")
            repo.commit("Break the front matter")
    warnings: list[str] = []
    with PolicyRepo.open(Settings(root=repo.path), jobs=2, warn=warnings.append) as history:
        (policy,) = history.policies()
        assert len(policy.versions) == 80
    assert len(warnings) == 1 and "Break the front matter" in warnings[0]


def test_walked_commits_are_not_kept_in_memory(tmp_path: Path) -> None:
    """The log is a stream: once walked, a commit is gone (only the deleting commits of
    deleted policies stay, as their ``deleted_in``)."""
    import gc

    from publisher.gitio import LogEntry

    def entries() -> list[LogEntry]:
        gc.collect()
        return [o for o in gc.get_objects() if isinstance(o, LogEntry)]

    repo = make_history(tmp_path / "r", policies=5, commits=200, seed=11)
    # other tests in this process may hold entries of their own: count only new ones
    before = {id(o) for o in entries()}
    with PolicyRepo.open(Settings(root=repo)) as history:
        policies = history.policies(include_deleted=True)
        alive = [o for o in entries() if id(o) not in before]
        assert sum(len(p.revisions) for p in policies) >= 190
        assert len(alive) <= sum(p.deleted for p in policies)


def test_the_summary_index_holds_a_bounded_number_of_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.history import summaries

    monkeypatch.setattr(summaries, "MEMORY", 8)
    monkeypatch.setattr(summaries, "FLUSH", 4)
    repo = make_history(tmp_path / "r", policies=6, commits=120, seed=12)
    settings = Settings(root=repo)
    with PolicyRepo.open(settings, jobs=1) as cold:
        expected = _summary(cold)
        assert cold.summaries.in_memory <= 8 + 4
        assert len(cold.summaries) > 50  # all of them on disk
    with PolicyRepo.open(settings) as warm:
        assert _summary(warm) == expected
        assert warm.stats.blobs_read == 0
        assert warm.summaries.in_memory <= 8


def test_an_unwritable_summary_index_lives_in_memory(tmp_path: Path) -> None:
    repo = make_history(tmp_path / "r", policies=3, commits=30, seed=13)
    settings = Settings(root=repo)
    with PolicyRepo.open(settings) as fine:
        expected = _summary(fine)
    folder = repo / ".publisher" / "cache" / "summaries"
    shutil.rmtree(folder)
    folder.write_text("a file where the folder should be")
    with PolicyRepo.open(settings) as history:
        assert _summary(history) == expected
        assert _summary(history) == expected
        assert history.stats.blobs_read > 0


def test_one_new_commit_costs_one_blob(tmp_path: Path) -> None:
    """After a warm read, one commit editing one policy reads that one blob (and parses it
    at most once): nothing else of the history is read again."""
    repo = make_history(tmp_path / "r", policies=6, commits=90, seed=14)
    settings = Settings(root=repo)
    with PolicyRepo.open(settings) as cold:
        before = _summary(cold)
    target = repo / "policies" / "product" / "policy-0001.md"
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    target.write_text(target.read_text().replace("1. ", "1. Notwithstanding that, ", 1))
    _git(repo, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qam", "Edit")
    with PolicyRepo.open(settings) as warm:
        after = _summary(warm)
        assert warm.stats.blobs_read == 1
        assert warm.stats.documents_parsed <= 1
    assert len(after) == len(before) and after != before
