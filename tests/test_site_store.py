"""The site's page store and per-policy page cache (publisher.site_store,
publisher.site_builder): pages live on disk by content hash, a policy whose inputs did not
change reuses its pages, and the site cache keeps few values in memory."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from gitrepo import GitRepo
from sitebuild import build_site_cli

from publisher import site_builder, site_docx
from publisher.config import load_settings
from publisher.history import PolicyRepo
from publisher.site import Site, SiteCache, SiteOptions
from publisher.site_builder import build_site
from publisher.site_cache import VersionRecord
from publisher.site_store import PageStore


def policy(version: str, effective: str, *rules: str, title: str) -> str:
    body = "\n".join(f"{i}. {rule}" for i, rule in enumerate(rules, start=1))
    return f"---\ntitle: {title}\nversion: '{version}'\neffective: {effective}\n---\n\n{body}\n"


def two_policies(path: Path) -> GitRepo:
    repo = GitRepo.init(path)
    repo.commit(
        "v1",
        date="2024-01-01",
        files={
            "policies/aup.md": policy("1", "2024-02-01", "No spam.", "No probes.", title="AUP"),
            "policies/tos.md": policy("1", "2024-02-01", "Pay.", title="Terms"),
        },
    )
    repo.commit(
        "v2",
        date="2024-03-01",
        files={
            "policies/aup.md": policy(
                "2", "2024-04-01", "No bulk mail.", "No probes.", title="AUP"
            ),
            "policies/tos.md": policy("2", "2024-04-01", "Pay on time.", title="Terms"),
        },
    )
    return repo


def _build(repo: GitRepo, cache: Path, today: date = date(2025, 1, 1)) -> Site:
    with PolicyRepo.open(load_settings(repo.path)) as reader:
        return build_site(reader, SiteOptions(), today=today, cache=SiteCache(cache))


def test_pages_are_written_to_the_store_by_their_digest(tmp_path: Path) -> None:
    site = _build(two_policies(tmp_path / "repo"), tmp_path / "cache")
    store = tmp_path / "cache" / "site" / "pages"
    assert site.store.directory == store
    assert len(site.pages) > 10
    for page in site.pages:
        assert page.file.parent.parent == store
        data = page.file.read_bytes()
        assert page.content == (data if isinstance(page.content, bytes) else data.decode())
    aup = next(p for p in site.pages if p.path == "aup/v/2/")
    assert "No bulk mail." in aup.text


def test_a_rebuild_with_nothing_new_reuses_every_policys_pages(tmp_path: Path) -> None:
    repo, cache = two_policies(tmp_path / "repo"), tmp_path / "cache"
    first = _build(repo, cache)
    assert first.stats.reused == 0
    again = _build(repo, cache)
    assert again.stats.reused == again.stats.policies == 2
    assert again.stats.computed == 0
    assert [(p.path, p.digest) for p in again.pages] == [(p.path, p.digest) for p in first.pages]
    assert again.policies == first.policies


def test_a_new_commit_renders_only_its_policy_again(tmp_path: Path) -> None:
    repo, cache = two_policies(tmp_path / "repo"), tmp_path / "cache"
    _build(repo, cache)
    repo.commit(
        "aup v3",
        date="2024-06-01",
        files={"policies/aup.md": policy("3", "2024-07-01", "Be kind.", title="AUP")},
    )
    after = _build(repo, cache)
    assert after.stats.reused == 1
    fresh = _build(repo, tmp_path / "fresh")
    assert [(p.path, p.digest) for p in after.pages] == [(p.path, p.digest) for p in fresh.pages]


def test_a_new_day_that_changes_a_status_renders_the_policies_again(tmp_path: Path) -> None:
    repo, cache = two_policies(tmp_path / "repo"), tmp_path / "cache"
    _build(repo, cache, today=date(2024, 3, 15))
    assert _build(repo, cache, today=date(2024, 3, 16)).stats.reused == 2  # nothing moved
    later = _build(repo, cache, today=date(2024, 4, 1))  # version 2 takes effect
    assert later.stats.reused == 0
    assert later.policies[0].current == "2"


def test_a_custom_template_that_prints_the_day_renders_each_day(tmp_path: Path) -> None:
    repo, cache = two_policies(tmp_path / "repo"), tmp_path / "cache"
    templates = tmp_path / "templates" / "site"
    templates.mkdir(parents=True)
    builtin = Path(__file__).resolve().parents[1] / "publisher" / "templates" / "site"
    text = (builtin / "versions.html").read_text(encoding="utf-8")
    (templates / "versions.html").write_text(text + "<p>Built {{ today }}</p>\n")
    options = SiteOptions(templates=templates.parent)
    with PolicyRepo.open(load_settings(repo.path)) as reader:
        build_site(reader, options, today=date(2025, 1, 1), cache=SiteCache(cache))
        same = build_site(reader, options, today=date(2025, 1, 1), cache=SiteCache(cache))
        next_day = build_site(reader, options, today=date(2025, 1, 2), cache=SiteCache(cache))
    assert same.stats.reused == 2 and next_day.stats.reused == 0
    history = next(p for p in next_day.pages if p.path == "aup/versions/")
    assert "Built 2025-01-02" in history.text


def test_a_page_lost_from_the_store_renders_its_policy_again(tmp_path: Path) -> None:
    repo, cache = two_policies(tmp_path / "repo"), tmp_path / "cache"
    first = _build(repo, cache)
    lost = next(p for p in first.pages if p.path == "tos/v/1/")
    lost.file.unlink()
    again = _build(repo, cache)
    assert again.stats.reused == 1
    assert "Pay." in next(p for p in again.pages if p.path == "tos/v/1/").text


def test_storing_the_same_content_twice_writes_it_once(tmp_path: Path) -> None:
    store = PageStore(tmp_path)
    digest, binary = store.put("<p>same</p>")
    assert not binary
    before = store.file(digest).stat().st_mtime_ns
    assert store.put("<p>same</p>") == (digest, False)
    assert store.file(digest).stat().st_mtime_ns == before
    assert store.put(b"\x00bytes")[1] is True
    assert store.read(digest, binary=False) == "<p>same</p>"


def test_the_site_cache_keeps_only_recent_values_in_memory(tmp_path: Path) -> None:
    cache = SiteCache(tmp_path)
    count = SiteCache.MEMORY_ENTRIES + 10
    for i in range(count):
        cache.put(
            "versions", f"key{i:03}", VersionRecord(body=f"<p>{i}</p>", toc=(), clauses_json="")
        )
    for entry in (tmp_path / "site").rglob("*"):
        if entry.is_file():
            entry.unlink()
    assert cache.get("versions", "key000") is None  # forgotten in memory, gone from disk
    last = cache.get("versions", f"key{count - 1:03}")
    assert isinstance(last, VersionRecord) and last.body == f"<p>{count - 1}</p>"
    in_memory = SiteCache(None)  # without a directory, everything stays
    for i in range(count):
        in_memory.put("versions", f"key{i:03}", "value")
    assert in_memory.get("versions", "key000") == "value"


def test_the_built_site_has_every_pages_text_not_its_marker(tmp_path: Path) -> None:
    repo = two_policies(tmp_path / "repo")
    site = tmp_path / "site"
    result = build_site_cli(repo.path, site, tmp_path / "cache", "--format", "json")
    assert result.exit_code == 0, result.output
    built = json.loads(result.stdout)
    assert built["policies_reused"] == 0
    page = (site / "aup" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    assert "No spam." in page
    for html in site.rglob("*.html"):
        assert "policies: the content of" not in html.read_text(encoding="utf-8"), html
    again = json.loads(
        build_site_cli(repo.path, site, tmp_path / "cache", "--format", "json").stdout
    )
    assert again["policies_reused"] == again["policies"] == 2
    assert again["files_written"] == 0


def test_word_redlines_made_by_the_workers_are_those_made_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = two_policies(tmp_path / "repo")
    monkeypatch.setattr(site_builder, "default_jobs", lambda: 2)
    monkeypatch.setattr(site_docx, "MIN_PARALLEL", 0)  # every redline by a worker
    pooled = _build(repo, tmp_path / "pooled")
    monkeypatch.setattr(site_docx, "MIN_PARALLEL", 10**6)  # every redline here
    here = _build(repo, tmp_path / "here")
    assert pooled.stats.docx == here.stats.docx == 2
    assert (pooled.stats.docx_by_workers, here.stats.docx_by_workers) == (2, 0)
    words = {p.path: p.content for p in pooled.pages if p.path.endswith(".docx")}
    assert len(words) == 2
    assert words == {p.path: p.content for p in here.pages if p.path.endswith(".docx")}
