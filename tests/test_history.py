"""publisher.history and publisher.cache against real repositories built in temporary dirs."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from gitrepo import GitRepo

import publisher.markdown
from publisher.config import Settings
from publisher.errors import ConfigError, GitError, NotFoundError, PolicyError
from publisher.frontmatter import split_front_matter
from publisher.gitio import SHALLOW_HINT, SHALLOW_MESSAGE
from publisher.history import (
    Policy,
    PolicyRepo,
    compile_glob,
    effective_date_in,
    parse_english_date,
    slug_from_path,
)
from publisher.markdown import parse_document


def front(body: str, **meta: str) -> str:
    """A policy file: front matter from ``meta`` (values written as given), then ``body``."""
    if not meta:
        return body
    lines = "".join(f"{key}: {value}\n" for key, value in meta.items())
    return f"---\n{lines}---\n{body}"


AUP_V1 = "# Acceptable Use\n\n1. Do not spam.\n2. Do not phish.\n"
AUP_V1_FIXED = "# Acceptable Use\n\n1. Do not send spam.\n2. Do not phish.\n"
AUP_V2 = "# Acceptable Use\n\n1. Do not send spam.\n2. Do not phish.\n3. Do not mine crypto.\n"
TOS_1 = "# Terms\n\nEffective date: November 16, 2020\n\nBe kind.\n"
TOS_2 = "# Terms\n\nEffective date: **March 7th, 2024**\n\nBe kind and fair.\n"
TOS_3 = "# Terms\n\nBe kind, fair and honest.\n"


def git_follow(repo: GitRepo, path: str, branch: str = "HEAD") -> list[str]:
    """What git itself says the revisions of ``path`` are, oldest first."""
    return repo.log("--follow", "--first-parent", branch, "--", path)[::-1]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """Labelled AUP (moved), unlabelled ToS (two changes a day, a front-matter-only change),
    a deleted policy, a README that is no policy."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("README.md", "# Our policies\n")
    repo.write("policies/aup.md", front(AUP_V1, version='"1"', effective="2024-02-01"))
    repo.write("policies/old-faq.md", "# FAQ\n\nAsk us.\n")
    repo.commit("Publish the AUP", date="2024-01-10")
    repo.write("policies/aup.md", front(AUP_V1_FIXED, version='"1"', effective="2024-02-01"))
    repo.commit("Fix a typo in the AUP", date="2024-01-15", trailers={"Policy-Change": "editorial"})
    repo.write("policies/tos.md", TOS_1)
    repo.commit("Add the terms", date="2024-03-07T09:00:00+01:00")
    repo.write("policies/tos.md", TOS_2)
    repo.commit("Update the terms", date="2024-03-07T15:00:00+01:00")
    repo.write("policies/tos.md", front(TOS_2, title="Terms of Service"))
    repo.commit("Give the terms a title", date="2024-03-08")
    repo.write(
        "policies/aup.md",
        front(AUP_V2, version='"2"', summary="No crypto mining", title="Acceptable Use Policy"),
    )
    repo.commit("AUP v2", date="2024-03-09", author=("Bob", "bob@example.com"))
    repo.delete("policies/old-faq.md")
    repo.commit("Retire the FAQ", date="2024-03-10")
    repo.rename("policies/aup.md", "policies/use/aup.md")
    repo.commit("Move the AUP into a folder", date="2024-03-11")
    repo.write("policies/tos.md", front(TOS_3, title="Terms of Service"))
    repo.commit("Terms: honesty", date="2024-03-12")
    repo.write("README.md", "# Our policies, read them\n")
    repo.commit("Touch the README", date="2024-03-13")
    return repo


def open_repo(path: Path, **settings: str) -> PolicyRepo:
    return PolicyRepo.open(Settings(root=path, **settings))  # type: ignore[arg-type]


@pytest.fixture
def policies(repo: GitRepo) -> PolicyRepo:
    with open_repo(repo.path) as reader:
        yield reader  # type: ignore[misc]


def by_slug(reader: PolicyRepo, **kwargs: bool) -> dict[str, Policy]:
    return {p.slug: p for p in reader.policies(**kwargs)}


# ------------------------------------------------------------------------------- policies


def test_policies_at_the_tip(policies: PolicyRepo) -> None:
    found = policies.policies()
    assert [(p.slug, p.path, p.title, p.deleted) for p in found] == [
        ("tos", "policies/tos.md", "Terms of Service", False),
        ("aup", "policies/use/aup.md", "Acceptable Use Policy", False),
    ]


def test_revisions_follow_renames_and_match_git(repo: GitRepo, policies: PolicyRepo) -> None:
    aup = policies.policy("aup")
    assert [r.commit for r in aup.revisions] == git_follow(repo, "policies/use/aup.md")
    assert [r.subject for r in aup.revisions] == [
        "Publish the AUP",
        "Fix a typo in the AUP",
        "AUP v2",
        "Move the AUP into a folder",
    ]
    assert [r.status for r in aup.revisions] == ["A", "M", "M", "R"]
    assert [r.path for r in aup.revisions] == ["policies/aup.md"] * 3 + ["policies/use/aup.md"]
    assert aup.paths == ("policies/aup.md", "policies/use/aup.md")
    for rev in aup.revisions:
        assert rev.blob == repo.git("rev-parse", f"{rev.commit}:{rev.path}")
    fix = aup.revisions[1]
    assert fix.trailers == (("Policy-Change", "editorial"),)
    assert fix.trailer("policy-change") == "editorial"
    assert fix.authored.isoformat() == "2024-01-15T12:00:00+00:00"
    assert fix.committed.tzinfo is not None
    assert aup.revisions[2].author_name == "Bob"
    assert aup.revisions[2].author_email == "bob@example.com"
    tos = policies.policy("tos")
    assert [r.commit for r in tos.revisions] == git_follow(repo, "policies/tos.md")


def test_labelled_versions(repo: GitRepo, policies: PolicyRepo) -> None:
    aup = policies.policy("aup")
    assert aup.labels == ("1", "2")
    v1, v2 = aup.versions
    assert v1.labelled and v2.labelled
    assert v1.first_revision.subject == "Publish the AUP"
    assert v1.revision.subject == "Fix a typo in the AUP"  # the last commit carrying "1"
    assert v1.effective == date(2024, 2, 1)
    assert v1.sha256 == parse_document(front(AUP_V1_FIXED, version='"1"')).sha256
    assert v1.title == "Acceptable Use"
    assert v1.summary is None
    assert v2.first_revision.subject == "AUP v2"
    assert v2.revision.subject == "Move the AUP into a folder"
    assert v2.effective == date(2024, 3, 9)  # no effective date anywhere: the commit date
    assert v2.summary == "No crypto mining"
    assert v2.title == "Acceptable Use Policy"
    assert v2.slug == "aup"
    assert aup.current == v2
    assert aup.revision_labels == ("1", "1", "2", "2")
    assert aup.version("1") == v1
    with pytest.raises(NotFoundError, match="no version '3'") as info:
        aup.version("3")
    assert info.value.hint and "1, 2" in info.value.hint


def test_unlabelled_versions_by_commit_date(repo: GitRepo, policies: PolicyRepo) -> None:
    tos = policies.policy("tos")
    assert tos.labels == ("2024-03-07", "2024-03-07.2", "2024-03-12")
    first, second, third = tos.versions
    assert not any(v.labelled for v in tos.versions)
    # the front-matter-only change (title) made no version: it belongs to the second one
    assert tos.revision_labels == ("2024-03-07", "2024-03-07.2", "2024-03-07.2", "2024-03-12")
    assert second.first_revision.subject == "Update the terms"
    assert second.revision.subject == "Give the terms a title"
    assert first.effective == date(2020, 11, 16)  # "Effective date: November 16, 2020"
    assert second.effective == date(2024, 3, 7)  # "Effective date: **March 7th, 2024**"
    assert third.effective == date(2024, 3, 12)  # none written: the commit date
    assert first.title == "Terms"
    assert second.title == "Terms of Service"
    assert third.sha256 == parse_document(TOS_3).sha256


INVISIBLE = [
    ("Publish", "# Terms\n\nBe kind.\n\n\n- Read [the FAQ](https://a.example/faq).\n- Ask us.\n"),
    (
        "Drop a blank line",
        "# Terms\n\nBe kind.\n\n- Read [the FAQ](https://a.example/faq).\n- Ask us.\n",
    ),
    (
        "Add a comment",
        "# Terms\n\n<!-- reviewed -->\nBe kind.\n\n- Read [the FAQ](https://a.example/faq).\n- Ask us.\n",
    ),
    (
        "Star bullets",
        "# Terms\n\n<!-- reviewed -->\nBe kind.\n\n* Read [the FAQ](https://a.example/faq).\n* Ask us.\n",
    ),
]
#: A link to another page is something a reader follows: a new target is a new version.
MOVED_FAQ = INVISIBLE[-1][1].replace("a.example", "b.example")


def test_unlabelled_versions_change_only_with_what_a_reader_sees(tmp_path: Path) -> None:
    """Blank lines, comments and bullet markers make no new version; a link's target and the
    words do. A version's content is the last commit carrying it, and its sha256 that
    commit's body."""
    repo = GitRepo.init(tmp_path / "repo")
    for subject, text in INVISIBLE:
        repo.commit(subject, files={"policies/terms.md": text})
    repo.commit("Move the FAQ", files={"policies/terms.md": MOVED_FAQ})
    repo.commit("Be fair", files={"policies/terms.md": MOVED_FAQ.replace("kind", "fair")})
    repo.commit(
        "Title it",
        files={
            "policies/terms.md": front(MOVED_FAQ.replace("kind", "fair"), title="Terms of Service")
        },
    )
    with open_repo(repo.path) as reader:
        terms = reader.policy("terms")
    first, moved, fair = terms.versions
    assert [r.subject for r in terms.revisions] == [s for s, _ in INVISIBLE] + [
        "Move the FAQ",
        "Be fair",
        "Title it",
    ]
    assert terms.revision_labels == (first.label,) * 4 + (moved.label,) + (fair.label,) * 2
    assert first.first_revision.subject == "Publish"
    assert first.revision.subject == "Star bullets"
    assert first.sha256 == parse_document(INVISIBLE[-1][1]).sha256
    assert moved.revision.subject == "Move the FAQ"
    assert fair.revision.subject == "Title it"
    docs = [parse_document(text) for _, text in INVISIBLE]
    assert len({d.sha256 for d in docs}) == 4
    assert len({d.fingerprint for d in docs}) == 1
    assert parse_document(MOVED_FAQ).fingerprint != docs[0].fingerprint
    changed = parse_document(INVISIBLE[-1][1].replace("kind", "fair"))
    assert changed.fingerprint != docs[0].fingerprint
    retitled = parse_document(INVISIBLE[0][1].replace("# Terms", "# Terms of Use"))
    assert retitled.fingerprint != docs[0].fingerprint
    # a numbered item for a bullet is visible: the clause's kind and number changed
    assert (
        parse_document("# T\n\n- A.\n").fingerprint != parse_document("# T\n\n1. A.\n").fingerprint
    )


def test_deleted_policy(repo: GitRepo, policies: PolicyRepo) -> None:
    assert "old-faq" not in by_slug(policies)
    everything = by_slug(policies, include_deleted=True)
    faq = everything["old-faq"]
    assert faq.deleted
    assert faq.path == "policies/old-faq.md"
    assert [r.subject for r in faq.revisions] == ["Publish the AUP"]
    assert faq.deleted_in is not None and faq.deleted_in.subject == "Retire the FAQ"
    assert not everything["aup"].deleted
    with pytest.raises(NotFoundError, match=r"was deleted in commit [0-9a-f]{12}") as info:
        policies.policy("old-faq")
    assert faq.deleted_in.commit[:12] in info.value.message
    assert "Retire the FAQ" in info.value.message
    assert policies.policy("old-faq", include_deleted=True) == faq
    assert policies.policy("policies/old-faq.md", include_deleted=True) == faq


def test_policy_moved_out_of_the_glob_counts_as_deleted(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Add", files={"policies/draft.md": "# Draft\n", "policies/keep.md": "# Keep\n"})
    repo.rename("policies/draft.md", "archive/draft.md")
    repo.commit("Archive the draft")
    with open_repo(repo.path) as reader:
        assert [p.slug for p in reader.policies()] == ["keep"]
        (draft,) = [p for p in reader.policies(include_deleted=True) if p.deleted]
        assert draft.path == "policies/draft.md"
        assert draft.deleted_in is not None and draft.deleted_in.subject == "Archive the draft"


def test_a_move_git_does_not_detect_joins_the_lineages(tmp_path: Path) -> None:
    """A policy deleted in the commit that adds a file with the same slug elsewhere (a move
    with too many edits for git's rename detection), or re-created later under another path
    with the same slug, is one policy: the deleted lineage is the start of the later one."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit(
        "Add",
        files={
            "policies/cookies.md": "# Cookies\n\nWe use some.\n",
            "policies/faq.md": "# FAQ\n\nAsk.\n",
            "policies/other.md": "# Other\n\nText.\n",
        },
    )
    repo.delete("policies/cookies.md")
    repo.write("policies/privacy/cookies.md", "# Cookie Notice\n\nEntirely new words here.\n")
    moved = repo.commit("Move into a folder, rewritten")
    repo.delete("policies/faq.md")
    gone = repo.commit("Retire the FAQ")
    repo.commit("Bring the FAQ back", files={"policies/help/faq.md": "# Help\n\nNew.\n"})
    repo.delete("policies/other.md")
    repo.commit("Retire the other", files={"policies/different.md": "# Different\n\nNo.\n"})
    with open_repo(repo.path) as reader:
        everything = reader.policies(include_deleted=True)
        assert sorted((p.slug, p.deleted) for p in everything) == [
            ("cookies", False),
            ("different", False),
            ("faq", False),
            ("other", True),
        ]
        cookies = reader.policy("cookies")
        assert cookies.paths == ("policies/cookies.md", "policies/privacy/cookies.md")
        assert [r.subject for r in cookies.revisions] == ["Add", "Move into a folder, rewritten"]
        assert [r.status for r in cookies.revisions] == ["A", "R"]
        assert cookies.revisions[1].commit == moved
        assert reader.policy("policies/cookies.md") == cookies  # its former path
        faq = reader.policy("faq")
        assert [r.subject for r in faq.revisions] == ["Add", "Bring the FAQ back"]
        assert len(faq.versions) == 2
        assert faq.revisions[1].status == "A"  # re-created later: no move
        assert gone not in {r.commit for r in faq.revisions}


def test_deleted_and_recreated_policy_keeps_its_history_like_git(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Add", files={"policies/a.md": "# A\n\nOld.\n"})
    repo.delete("policies/a.md")
    repo.commit("Remove")
    repo.commit("Re-add", files={"policies/a.md": "# A\n\nNew.\n"})
    with open_repo(repo.path) as reader:
        (policy,) = reader.policies(include_deleted=True)
        assert not policy.deleted
        # git log --follow lists the deletion too; it is no revision (there is no file there)
        assert [r.subject for r in policy.revisions] == ["Add", "Re-add"]
        assert [r.status for r in policy.revisions] == ["A", "A"]
        remove = repo.head("HEAD~1")
        assert [r.commit for r in policy.revisions] == [
            c for c in git_follow(repo, "policies/a.md") if c != remove
        ]


def test_copies_are_followed_unless_the_source_is_a_living_policy(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    body = "# Terms\n\n" + "".join(f"{n}. Clause number {n} of the terms.\n" for n in range(1, 15))
    repo.commit("Add terms", files={"policies/terms.md": body, "policies/old-beta.md": body})
    repo.commit("Edit beta", files={"policies/old-beta.md": body + "15. Beta only.\n"})
    repo.commit("Copy terms", files={"policies/enterprise.md": body + "15. Enterprise.\n"})
    repo.commit("Copy beta", files={"policies/beta.md": body + "15. Beta only!\n"})
    repo.delete("policies/old-beta.md")
    repo.commit("Retire the old beta")
    with open_repo(repo.path) as reader:
        enterprise = reader.policy("enterprise")
        beta = reader.policy("beta")
    # the source of "beta" is gone at the tip: followed, like git --follow does
    assert [r.subject for r in beta.revisions] == ["Add terms", "Edit beta", "Copy beta"]
    assert [r.commit for r in beta.revisions] == git_follow(repo, "policies/beta.md")
    assert [r.status for r in beta.revisions] == ["A", "M", "C"]
    # the source of "enterprise" is a living policy: enterprise starts at the copy
    assert [r.subject for r in enterprise.revisions] == ["Copy terms"]
    assert [r.status for r in enterprise.revisions] == ["A"]


def test_moves_across_folders_and_merges_follow_git(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    body = "# Privacy\n\n" + "".join(
        f"{n}. We keep clause {n} of the privacy policy.\n" for n in range(1, 12)
    )
    repo.commit("Add", files={"policies/privacy.md": body})
    repo.rename("policies/privacy.md", "policies/legal/privacy-policy.md")
    repo.write("policies/legal/privacy-policy.md", body + "12. A new clause.\n")
    repo.commit("Move and edit")
    repo.branch("topic")
    repo.checkout("topic")
    repo.commit(
        "Edit on a branch", files={"policies/legal/privacy-policy.md": body + "12. Changed.\n"}
    )
    repo.rename("policies/legal/privacy-policy.md", "policies/data/privacy.md")
    repo.commit("Move on a branch")
    repo.checkout("main")
    repo.merge("topic", "Merge the privacy move")
    repo.commit("Edit after merge", files={"policies/data/privacy.md": body + "12. Final.\n"})
    with open_repo(repo.path) as reader:
        (privacy,) = reader.policies()
        assert privacy.path == "policies/data/privacy.md"
        assert [r.commit for r in privacy.revisions] == git_follow(repo, privacy.path)
        assert [r.subject for r in privacy.revisions] == [
            "Add",
            "Move and edit",
            "Merge the privacy move",
            "Edit after merge",
        ]
        assert [r.status for r in privacy.revisions] == ["A", "R", "R", "M"]


def test_binary_file_under_the_glob(tmp_path: Path) -> None:
    """The current file of a policy is what gets published: unreadable, it is an error."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit(
        "Add", files={"policies/ok.md": "# OK\n", "policies/logo.md": b"\x89PNG\r\n\x1a\n\0\0\0"}
    )
    with open_repo(repo.path) as reader:
        with pytest.raises(PolicyError) as info:
            reader.policies()
        assert info.value.path == "policies/logo.md"
        assert "at commit" in info.value.message
        ok = reader.policy("ok")
        assert reader.read(ok.latest) == "# OK\n"


def test_a_bad_revision_is_skipped_with_one_warning(tmp_path: Path) -> None:
    """A broken commit in history (malformed front matter, a huge file) is no version; it
    blocks neither the later revisions nor the other policies, even once deleted."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Add", files={"policies/aup.md": AUP_V1, "policies/tos.md": TOS_1})
    bad = repo.commit("Break", files={"policies/aup.md": "---\ntitle: [oops\n---\n" + AUP_V1})
    repo.commit("Fix", files={"policies/aup.md": AUP_V2})
    huge = repo.commit("Huge", files={"policies/dump.md": "x" * (5 * 1024 * 1024 + 1)})
    repo.delete("policies/dump.md")
    repo.commit("Remove the dump")
    warned: list[str] = []
    with PolicyRepo.open(Settings(root=repo.path), warn=warned.append) as reader:
        everything = by_slug(reader, include_deleted=True)
        assert sorted(everything) == ["aup", "tos"]  # the dump never had a readable revision
        aup = everything["aup"]
        assert [r.commit for r in aup.revisions][1] == bad  # still a revision, like git says
        assert len(aup.versions) == 2  # but no version
        assert bad not in {v.revision.commit for v in aup.versions}
        assert aup.current.revision.subject == "Fix"
        assert reader.version_of(aup, aup.revisions[1]) == aup.versions[0]
        assert reader.policy("tos").labels == everything["tos"].labels
        reader.policies(include_deleted=True)  # asked again: no second warning
        assert reader.warnings == tuple(warned)
    assert len(warned) == 2
    assert any(bad[:12] in w and "policies/aup.md" in w for w in warned)
    assert any(huge[:12] in w and "policies/dump.md" in w for w in warned)


def test_slug_and_title_fallbacks(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit(
        "Add",
        files={
            "policies/Terms_of Service.md": "Just text, no heading.\n",
            "policies/cookies.md": "# Cookie Notice\n\nWe use cookies.\n",
            "policies/x.md": front("# Heading\n", slug="privacy", title="Privacy Policy"),
        },
    )
    with open_repo(repo.path) as reader:
        found = {p.slug: p.title for p in reader.policies()}
    assert found == {
        "terms-of-service": "Terms_of Service",
        "cookies": "Cookie Notice",
        "privacy": "Privacy Policy",
    }


# --------------------------------------------------------------------------- naming policies


def test_policy_by_path(repo: GitRepo, policies: PolicyRepo) -> None:
    aup = policies.policy("aup")
    assert policies.policy("policies/use/aup.md") == aup
    assert policies.policy("./policies/use/../use/aup.md") == aup
    assert policies.policy(str(repo.path / "policies/use/aup.md")) == aup
    assert policies.policy("policies/aup.md") == aup  # its former path


def test_policy_errors(repo: GitRepo, policies: PolicyRepo, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no policy 'nope'") as info:
        policies.policy("nope")
    assert info.value.hint == "known policies: aup, tos"
    with pytest.raises(PolicyError, match="outside the repository"):
        policies.policy(str(tmp_path / "elsewhere.md"))
    with pytest.raises(PolicyError, match="outside the repository"):
        policies.policy("../elsewhere.md")
    with pytest.raises(NotFoundError, match=r"README\.md is not a policy") as info:
        policies.policy("README.md")
    assert info.value.hint and "--policies" in info.value.hint


def test_duplicate_front_matter_slugs_are_ambiguous(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit(
        "Add",
        files={
            "policies/a/x.md": front("# A\n", slug="terms"),
            "policies/b/y.md": front("# B\n", slug="terms"),
        },
    )
    with open_repo(repo.path) as reader:
        with pytest.raises(PolicyError, match="more than one policy"):
            reader.policy("terms")
        assert reader.policy("policies/b/y.md").title == "B"


def test_repeated_file_names_get_their_folders_in_the_slug(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Add", files={"policies/a/terms.md": "# A\n", "policies/b/terms.md": "# B\n"})
    with open_repo(repo.path) as reader:
        assert [p.slug for p in reader.policies()] == ["a-terms", "b-terms"]
        assert reader.policy("b-terms").title == "B"


# ------------------------------------------------------------------------------ resolving


def test_resolve(repo: GitRepo, policies: PolicyRepo) -> None:
    aup = policies.policy("aup")
    tos = policies.policy("tos")
    by_subject = {r.subject: r for r in aup.revisions + tos.revisions}
    assert policies.resolve(aup, "1") == by_subject["Fix a typo in the AUP"]
    assert policies.resolve(aup, "2") == aup.latest
    sha = by_subject["AUP v2"].commit
    assert policies.resolve(aup, sha) == by_subject["AUP v2"]
    assert policies.resolve(aup, sha[:8]) == by_subject["AUP v2"]
    # a commit that did not touch the policy: the revision in force then
    retire = repo.head("HEAD~3")
    assert policies.resolve(aup, retire) == by_subject["AUP v2"]
    assert policies.resolve(tos, "HEAD~1") == by_subject["Terms: honesty"]
    assert policies.resolve(tos, "HEAD~5") == by_subject["Give the terms a title"]
    repo.tag("v-march", "HEAD~5")
    assert policies.resolve(aup, "v-march") == by_subject["Fix a typo in the AUP"]
    assert policies.resolve(tos, "main") == tos.latest
    # labels win over dates: "2024-03-07" is the first version of that day ...
    assert policies.resolve(tos, "2024-03-07") == by_subject["Add the terms"]
    # ... a plain date is the revision in force at the end of that day
    assert policies.resolve(tos, "2024-03-08") == by_subject["Give the terms a title"]
    assert policies.resolve(aup, "2024-03-08") == by_subject["Fix a typo in the AUP"]
    assert policies.resolve(aup, "2030-01-01") == aup.latest


def test_resolve_errors(repo: GitRepo, policies: PolicyRepo) -> None:
    aup = policies.policy("aup")
    tos = policies.policy("tos")
    with pytest.raises(NotFoundError, match="'nope' is not a version, commit or date") as info:
        policies.resolve(aup, "nope")
    assert info.value.hint and "versions of aup: 1, 2" in info.value.hint
    with pytest.raises(NotFoundError, match="did not exist yet on 2024-01-01"):
        policies.resolve(aup, "2024-01-01")
    with pytest.raises(NotFoundError, match="did not exist yet at commit"):
        policies.resolve(tos, repo.head("HEAD~8"))
    with pytest.raises(NotFoundError, match="not a valid date"):
        policies.resolve(aup, "2024-02-30")
    with pytest.raises(NotFoundError):
        policies.resolve(aup, "--all")
    faq = policies.policy("old-faq", include_deleted=True)
    with pytest.raises(NotFoundError, match="was deleted in commit"):
        policies.resolve(faq, "HEAD")
    with pytest.raises(NotFoundError, match="was deleted on 2024-03-10"):
        policies.resolve(faq, "2024-03-10")
    assert policies.resolve(faq, "2024-03-09") == faq.latest


def test_resolve_a_commit_outside_the_branch(repo: GitRepo) -> None:
    repo.branch("draft")
    repo.checkout("draft")
    draft = repo.commit(
        "Draft AUP v3", files={"policies/use/aup.md": front(AUP_V2 + "4. New.\n", version='"3"')}
    )
    repo.checkout("main")
    with open_repo(repo.path) as reader:
        aup = reader.policy("aup")
        revision = reader.resolve(aup, "draft")
        assert revision.commit == draft
        assert revision.status == ""
        assert revision.path == "policies/use/aup.md"
        assert reader.read(revision).endswith("4. New.\n")
        assert reader.document(revision).meta.version == "3"
        assert reader.version_of(aup, revision) is None
        assert reader.version_of(aup, aup.revisions[0]) == aup.versions[0]
        assert reader.version_of(aup, aup.latest) == aup.current


def test_branch_setting(repo: GitRepo) -> None:
    repo.branch("release", "HEAD~4")
    with open_repo(repo.path, branch="release") as reader:
        aup = reader.policy("aup")
        assert aup.path == "policies/aup.md"
        assert aup.labels == ("1", "2")
        assert "old-faq" in by_slug(reader)
    with open_repo(repo.path, branch="nope") as reader, pytest.raises(GitError, match="no branch"):
        reader.policies()


# ------------------------------------------------------------------------- repositories


def test_bare_repository_reads_the_same(repo: GitRepo, tmp_path: Path) -> None:
    bare = repo.clone(tmp_path / "site.git", bare=True)
    with open_repo(repo.path) as work, open_repo(bare) as served:
        assert served.policies(include_deleted=True) == work.policies(include_deleted=True)
        assert served.policy(str(bare / "policies/tos.md")).slug == "tos"
    assert list((bare / ".publisher" / "cache" / "documents").glob("*/*.json"))


def test_reads_git_objects_not_the_work_tree(repo: GitRepo) -> None:
    (repo.path / "policies/tos.md").write_text("# Uncommitted\n", encoding="utf-8")
    (repo.path / "policies/new.md").write_text("# New\n", encoding="utf-8")
    with open_repo(repo.path) as reader:
        assert {p.slug for p in reader.policies()} == {"aup", "tos"}
        tos = reader.policy("tos")
        assert reader.read(tos.latest) == front(TOS_3, title="Terms of Service")


def test_shallow_clone_is_refused(repo: GitRepo, tmp_path: Path) -> None:
    shallow = repo.clone(tmp_path / "shallow", depth=1)
    with pytest.raises(GitError) as info:
        open_repo(shallow)
    assert info.value.message == SHALLOW_MESSAGE
    assert info.value.hint == SHALLOW_HINT


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="is not a git repository") as info:
        open_repo(tmp_path)
    assert info.value.hint is not None


def test_custom_glob(repo: GitRepo) -> None:
    notes: list[str] = []
    with PolicyRepo.open(Settings(root=repo.path, policies="**/*.md"), warn=notes.append) as reader:
        assert {p.slug for p in reader.policies()} == {"aup", "tos"}
        reader.policies(include_deleted=True)
    assert notes == [
        "note: skipped README.md: not policies, though the policies glob "
        "'**/*.md' matches them (set `exclude` to skip other files)"
    ]
    with open_repo(repo.path, policies="README.md") as reader:  # named, not matched by chance
        assert {p.slug for p in reader.policies()} == {"readme"}
    with PolicyRepo.open(
        Settings(root=repo.path, policies="**/*.md", exclude=("policies/use/**",))
    ) as reader:
        assert {p.slug for p in reader.policies()} == {"tos"}
    with open_repo(repo.path, policies="policies/*.md") as reader:
        assert {p.slug for p in reader.policies()} == {"tos"}
        assert {p.slug for p in reader.policies(include_deleted=True)} == {"tos", "aup", "old-faq"}


def test_a_full_read_spawns_three_git_processes(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = open_repo(repo.path)
    spawned: list[str] = []
    real_popen = subprocess.Popen

    class CountingPopen(real_popen):  # type: ignore[misc,valid-type]
        def __init__(self, args: list[str], *rest: object, **kwargs: object) -> None:
            spawned.append(args[args.index("--git-dir") + 2])  # the git command
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", CountingPopen)
    try:
        found = reader.policies(include_deleted=True)
        for policy in found:
            for revision in policy.revisions:
                reader.read(revision)
                reader.document(revision)
            reader.resolve(policy, "2024-03-09")
            if not policy.deleted:
                reader.resolve(policy, "HEAD~1")
    finally:
        reader.close()
    assert sum(len(p.revisions) for p in found) == 9
    # the log is streamed, so the tip's files come from its tree (ls-tree), not from
    # replaying every commit held in memory
    assert len(spawned) == 3, spawned
    assert spawned == ["log", "ls-tree", "cat-file"]


# -------------------------------------------------------------------------------- cache


def test_listing_parses_only_what_needs_a_heading(
    repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions need front matter and body hashes; the Markdown is parsed just for a title
    that front matter does not give, and, for a policy without labels, for the two sides of
    each body change (did what a reader sees change?). Each text is parsed once."""
    parsed: list[str] = []
    real = publisher.markdown.parse_document

    def counting(text: str, *, path: str | None = None) -> object:
        parsed.append(text)
        return real(text, path=path)

    monkeypatch.setattr(publisher.markdown, "parse_document", counting)
    with open_repo(repo.path) as reader:
        found = reader.policies(include_deleted=True)
        wanted = {v.revision for p in found for v in p.versions} | {p.latest for p in found}
        untitled = {
            reader.read(r) for r in wanted if not split_front_matter(reader.read(r))[0].title
        }
        compared: set[str] = set()
        for policy in found:
            texts = [reader.read(r) for r in policy.revisions]
            heads = [split_front_matter(t) for t in texts]
            for i in range(1, len(texts)):
                if heads[i][0].version is None and heads[i][1] != heads[i - 1][1]:
                    compared |= {texts[i], texts[i - 1]}
    assert untitled and compared - untitled
    assert sorted(parsed) == sorted(untitled | compared)


def test_document_cache_on_disk(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_repo(repo.path) as reader:
        cold = reader.policies(include_deleted=True)
        docs = {r.blob: reader.document(r) for p in cold for r in p.revisions}
    entries = sorted((repo.path / ".publisher/cache/documents").glob("*/*.json"))
    assert {e.stem for e in entries} == set(docs)
    assert all(e.parent.name == e.stem[:2] for e in entries)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm cache must not parse")

    monkeypatch.setattr(publisher.markdown, "parse_document", no_parsing)
    with open_repo(repo.path) as reader:
        warm = reader.policies(include_deleted=True)
        assert warm == cold
        assert {r.blob: reader.document(r) for p in warm for r in p.revisions} == docs


# ---------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("policies/**/*.md", "policies/aup.md", True),
        ("policies/**/*.md", "policies/a/b/aup.md", True),
        ("policies/**/*.md", "other/aup.md", False),
        ("policies/**/*.md", "policies/aup.txt", False),
        ("policies/**/*.md", "policies.md", False),
        ("Policies/**/*.md", "policies/aup.md", False),
        ("**/*.md", "aup.md", True),
        ("**/*.md", "a/b/aup.md", True),
        ("*.md", "a/aup.md", False),
        ("./docs/*.md", "docs/x.md", True),
        ("docs/?.md", "docs/x.md", True),
        ("docs/[!x].md", "docs/x.md", False),
        ("docs/[ab].md", "docs/b.md", True),
        ("docs/**", "docs/a/b.md", True),
        ("a+b/(c).md", "a+b/(c).md", True),
        ("docs/[[]x].md", "docs/[x].md", True),
    ],
)
def test_compile_glob(pattern: str, path: str, matches: bool) -> None:
    assert bool(compile_glob(pattern).match(path)) is matches


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("/etc/*.conf", "absolute"),
        ("//server/share/*.md", "absolute"),
        ("../**/*.md", "outside the repository"),
        ("policies/../../*.md", "outside the repository"),
        ("policies/..", "outside the repository"),
        ("[", "unclosed ["),
        ("policies/[ab.md", "unclosed ["),
        ("policies/[z-a].md", "invalid"),
        ("", "empty"),
        ("   ", "empty"),
        ("policies/", "folder"),
    ],
)
def test_compile_glob_refuses_what_can_never_name_a_policy(pattern: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_glob(pattern)
    assert problem in caught.value.message and caught.value.hint
    assert "policies/**/*.md" in caught.value.hint


def test_a_bad_policies_glob_is_an_error_not_an_empty_list(repo: GitRepo) -> None:
    from click.testing import CliRunner

    from publisher.cli import main

    for pattern in ("../**/*.md", "/etc/*.conf", "["):
        result = CliRunner().invoke(main, ["-C", str(repo.path), "--policies", pattern, "list"])
        assert result.exit_code == 2, result.output
        assert "policies glob" in result.stderr and "hint:" in result.stderr
        assert "Traceback" not in result.stderr and "no policies match" not in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-11-16", date(2020, 11, 16)),
        ("November 16, 2020", date(2020, 11, 16)),
        ("Nov. 16th 2020", date(2020, 11, 16)),
        ("16 November 2020", date(2020, 11, 16)),
        ("1st of Sept, 2022", date(2022, 9, 1)),
        ("**April 19, 2019**", date(2019, 4, 19)),
        ("February 30, 2020", None),
        ("Smarch 3, 2020", None),
        ("soon", None),
    ],
)
def test_parse_english_date(text: str, expected: date | None) -> None:
    assert parse_english_date(text) == expected


def test_effective_date_in_body() -> None:
    assert effective_date_in("# T\n\nEffective date: November 16, 2020\n") == date(2020, 11, 16)
    assert effective_date_in("**Effective Date:** March 17, 2026\n") == date(2026, 3, 17)
    assert effective_date_in("Effective date: **May 25, 2018**\n") == date(2018, 5, 25)
    assert effective_date_in("Version Effective Date: April 1, 2025\n") == date(2025, 4, 1)
    assert effective_date_in("_Effective date: 2020-11-16_\n") == date(2020, 11, 16)
    assert effective_date_in("This starts on the Effective Date of the Agreement.\n") is None
    assert effective_date_in("# T\n\nNothing here.\n") is None


def test_slug_from_path() -> None:
    assert slug_from_path("Policies/GitHub Terms_of-Service.md") == "github-terms-of-service"
    assert slug_from_path("policies/aup.md") == "aup"
    assert slug_from_path("policies/__.md") == "policy"
