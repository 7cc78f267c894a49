"""The document cache (and the site cache) on disk: plain JSON that round-trips every
document exactly, never a pickle, so a file planted in ``.publisher/cache`` cannot run code;
stale, foreign and corrupt entries are misses."""

from __future__ import annotations

import json
import pickle
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import GitRepo, isolated_git_env

from publisher.cache import DocumentCache, decode_document, encode_document
from publisher.cli import main
from publisher.document import PolicyMeta
from publisher.markdown import parse_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

POLICY = """---
title: Acceptable Use
slug: aup
version: "2"
effective: 2024-03-07
summary: Tighter rules on bulk mail.
notice_days: 45
redirect_from:
  - /aup-old
  - /legal/aup
reviewed: 2024-02-29
published_at: 2024-03-01T09:30:00+01:00
owners: {legal: Ada, "$date": not a date}
1999: a year as a key
---
# Acceptable Use

## A. Mail

1. Do not send bulk mail.
2. Do not spoof **senders**.
   - Not even for tests.

| who | what |
|---|---|
| you | mail |

> Quoted text.
"""


class Payload:
    """A pickle that, when loaded, creates a file: proof that loading ran code."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.proof), "w"))


def run(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(repo), *args])
    return result.exit_code, result.stdout + result.stderr


def test_a_planted_pickle_never_runs(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/aup.md", POLICY.replace('"2"', '"1"').replace("bulk", "much"))
    repo.commit("Publish the AUP")
    repo.write("policies/aup.md", POLICY)
    repo.commit("AUP v2")
    assert run(repo.path, "lint")[0] == 0  # fills the cache
    code, _ = run(repo.path, "build", "--site-dir", str(tmp_path / "site"))
    assert code == 0
    cache = repo.path / ".publisher" / "cache"
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert any("documents" in p.parts for p in entries)
    kinds = {p.relative_to(cache / "site").parts[0] for p in entries if "site" in p.parts}
    assert kinds >= {"changesets", "pairs", "versions"}  # every kind of value is stored
    proof = tmp_path / "pwned"
    evil = pickle.dumps(Payload(proof))
    blob = repo.git("rev-parse", "HEAD:policies/aup.md")
    planted = [*entries, cache / "documents" / blob[:2] / f"{blob}.pkl"]
    for entry in planted:
        entry.write_bytes(evil)

    code, out = run(repo.path, "lint")
    assert code == 0, out
    code, out = run(repo.path, "build", "--site-dir", str(tmp_path / "site"))
    assert code == 0, out
    assert not proof.exists()
    assert "Do not spoof" in (tmp_path / "site/aup/index.html").read_text()


def test_documents_round_trip_exactly(tmp_path: Path) -> None:
    doc = parse_document(POLICY, path="policies/aup.md")
    extra = doc.meta.extra
    assert isinstance(extra["reviewed"], date) and isinstance(extra["published_at"], datetime)
    assert extra[1999] == "a year as a key" and extra["owners"]["$date"] == "not a date"

    decoded = decode_document(json.loads(json.dumps(encode_document(doc))))
    assert decoded == doc
    assert decoded.meta.extra == extra  # extra is left out of ==: compare it too
    assert [type(v) for v in decoded.meta.extra.values()] == [type(v) for v in extra.values()]
    assert list(decoded.walk()) == list(doc.walk())
    assert all(type(c.children) is tuple and type(c.lines) is tuple for c in decoded.walk())

    cache = DocumentCache(tmp_path / "cache", version="p1")
    cache.put("ab" * 20, doc)
    entry = DocumentCache(tmp_path / "cache", version="p1").get("ab" * 20)
    assert entry == doc and entry is not None and entry.meta.extra == extra


def test_a_value_json_cannot_hold_stays_in_memory(tmp_path: Path) -> None:
    base = parse_document("# T\n\nText.\n")
    odd = type(base)(
        meta=PolicyMeta(extra={"tags": {"a", "b"}}),
        title=base.title,
        clauses=base.clauses,
        body=base.body,
    )
    cache = DocumentCache(tmp_path / "cache")
    cache.put("cd" * 20, odd)
    assert cache.get("cd" * 20) is odd
    path = cache.path("cd" * 20)
    assert path is not None and not path.exists()


def test_stale_foreign_and_corrupt_entries_are_misses(tmp_path: Path) -> None:
    doc = parse_document(POLICY)
    cache = DocumentCache(tmp_path / "cache", version="p1")
    blob = "ab" * 20
    assert cache.get(blob) is None
    cache.put(blob, doc)
    path = cache.path(blob)
    assert path == tmp_path / "cache" / "documents" / "ab" / f"{blob}.json"
    assert DocumentCache(tmp_path / "cache", version="p1").get(blob) == doc
    assert DocumentCache(tmp_path / "cache", version="p2").get(blob) is None  # parser changed
    good = path.read_bytes()
    for bad in (
        b"not json",
        good[: len(good) // 2],
        b'["something", "else"]',
        json.dumps([2, "p1", "ef" * 20, encode_document(doc)]).encode(),  # other blob
        json.dumps([2, "p1", blob, [1, 2]]).encode(),
        b"\x80\x04K\x01.",
    ):
        path.write_bytes(bad)
        fresh = DocumentCache(tmp_path / "cache", version="p1")
        assert fresh.get(blob) is None, bad
        fresh.put(blob, doc)  # rewritten
        assert DocumentCache(tmp_path / "cache", version="p1").get(blob) == doc
    assert not list(path.parent.glob("*.tmp"))


def test_the_cache_survives_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = DocumentCache(blocker / "cache")
    doc = parse_document("# T\n")
    cache.put("cd" * 20, doc)  # logs a warning, does not raise
    assert cache.get("cd" * 20) == doc  # still served from memory


@pytest.mark.skipif(
    not (CORPUS / "github-site-policy.bundle").is_file(),
    reason="corpus not found (../shared/corpus)",
)
def test_every_corpus_revision_round_trips(tmp_path: Path) -> None:
    from publisher.config import Settings
    from publisher.history import PolicyRepo

    root = tmp_path / "site-policy"
    subprocess.run(
        ["git", "clone", "-q", str(CORPUS / "github-site-policy.bundle"), str(root)],
        check=True,
        env=isolated_git_env(),
    )
    settings = Settings(root=root, policies="Policies/**/*.md")
    seen = 0
    with PolicyRepo.open(settings, cache=DocumentCache(None)) as repo:
        for policy in repo.policies(include_deleted=True):
            for revision in policy.revisions:
                doc = repo.document(revision)
                decoded = decode_document(json.loads(json.dumps(encode_document(doc))))
                assert decoded == doc and decoded.meta.extra == doc.meta.extra
                seen += 1
    assert seen > 800


def test_dates_are_iso_strings_on_disk(tmp_path: Path) -> None:
    doc = parse_document(POLICY)
    cache = DocumentCache(tmp_path)
    cache.put("ab" * 20, doc)
    path = cache.path("ab" * 20)
    assert path is not None
    text = path.read_text(encoding="utf-8")
    assert '"2024-03-07"' in text and '{"$date":"2024-02-29"}' in text
    assert datetime(2024, 3, 1, 8, 30, tzinfo=UTC) == doc.meta.extra["published_at"]


def test_site_cache_values_round_trip(tmp_path: Path) -> None:
    from publisher.diff import compare
    from publisher.site import SiteCache

    old = parse_document(POLICY)
    new = parse_document(
        POLICY.replace("bulk mail", "bulk or unsolicited mail")
        .replace("## A. Mail", "## A. Email")
        .replace("> Quoted", "Plain")
    )
    changeset = compare(old, new)
    assert changeset.changes and any(c.inline for c in changeset.changes)
    SiteCache(tmp_path).put("changesets", "k" * 40, changeset)
    assert SiteCache(tmp_path).get("changesets", "k" * 40) == changeset
    entry = tmp_path / "site" / "changesets" / "kk" / ("k" * 40)
    data = json.loads(entry.read_bytes())
    assert data["objects"][data["value"]["#"]][0] == "ChangeSet"
    stored = sum(1 for name, *_ in data["objects"] if name == "Clause")
    assert stored <= len(list(old.walk())) + len(list(new.walk()))  # each clause once

    for planted in (
        {"objects": [["ChangeSet", {"#": 5}]], "value": {"#": 0}},  # forward
        {"objects": [["PosixPath", "/"]], "value": {"#": 0}},  # not registered
        {"objects": [["Change", "added"]], "value": {"#": 0}},
    ):  # too few fields
        entry.write_text(json.dumps(planted))
        assert SiteCache(tmp_path).get("changesets", "k" * 40) is None

    odd = SiteCache(tmp_path)
    odd.put("other", "m" * 40, {"a": [1]})  # not a registered value: memory only
    assert odd.get("other", "m" * 40) == {"a": [1]}
    assert not (tmp_path / "site" / "other").exists()
