"""The example site's Atom feeds and JSON API: well-formed feeds (ids, updated, links, one
entry per version), and change sets equal to `publisher diff --format json` for each pair."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sitebuild import REPO_ROOT, build_site_cli

from publisher.cli import main
from publisher.config import load_settings
from publisher.history import PolicyRepo

ATOM = "{http://www.w3.org/2005/Atom}"
SITE_URL = "http://127.0.0.1:8001/"  # site_url of mkdocs.yml


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("feeds")
    result = build_site_cli(REPO_ROOT, tmp / "site", tmp / "cache")
    assert result.exit_code == 0, result.output
    return tmp / "site"


@pytest.fixture(scope="module")
def versions() -> dict[str, list[str]]:
    with PolicyRepo.open(load_settings(REPO_ROOT)) as repo:
        return {p.slug: [v.label for v in p.versions] for p in repo.policies()}


def _check_feed(root: ET.Element, self_href: str) -> list[ET.Element]:
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == self_href
    assert root.findtext(f"{ATOM}title")
    datetime.fromisoformat(root.findtext(f"{ATOM}updated") or "")
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == self_href  # type: ignore[union-attr]
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:
        assert entry.findtext(f"{ATOM}title")
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "").tzinfo
        alternate = entry.find(f"{ATOM}link[@rel='alternate']")
        assert alternate is not None and alternate.get("href") == entry.findtext(f"{ATOM}id")
    updated = [datetime.fromisoformat(e.findtext(f"{ATOM}updated") or "") for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert max(updated) == datetime.fromisoformat(root.findtext(f"{ATOM}updated") or "")
    return entries


def test_policy_feeds_have_one_entry_per_version(
    site: Path, versions: dict[str, list[str]]
) -> None:
    for slug, labels in versions.items():
        root = ET.parse(site / slug / "feed.xml").getroot()
        entries = _check_feed(root, f"{SITE_URL}{slug}/feed.xml")
        assert [e.findtext(f"{ATOM}id") for e in entries] == [
            f"{SITE_URL}{slug}/v/{label}/" for label in reversed(labels)
        ]
        for entry, label in zip(entries, reversed(labels), strict=True):
            related = entry.find(f"{ATOM}link[@rel='related']")
            if label == labels[0]:
                assert related is None
            else:
                previous = labels[labels.index(label) - 1]
                assert related is not None
                assert related.get("href") == f"{SITE_URL}{slug}/changes/{previous}..{label}/"


def test_site_feed_has_every_version_of_every_policy(
    site: Path, versions: dict[str, list[str]]
) -> None:
    root = ET.parse(site / "feed.xml").getroot()
    entries = _check_feed(root, f"{SITE_URL}feed.xml")
    assert sorted(e.findtext(f"{ATOM}id") or "" for e in entries) == sorted(
        f"{SITE_URL}{slug}/v/{label}/" for slug, labels in versions.items() for label in labels
    )


def test_feeds_are_linked_from_the_pages(site: Path) -> None:
    html = (site / "privacy" / "index.html").read_text(encoding="utf-8")
    assert 'href="feed.xml" type="application/atom+xml"' in html


def test_api_policies_and_versions(site: Path, versions: dict[str, list[str]]) -> None:
    index = json.loads((site / "api" / "policies.json").read_text(encoding="utf-8"))
    assert {p["slug"]: p["current"] for p in index["policies"]} == {
        slug: labels[-1] for slug, labels in versions.items()
    }
    with PolicyRepo.open(load_settings(REPO_ROOT)) as repo:
        for policy in repo.policies():
            data = json.loads((site / "api" / policy.slug / "versions.json").read_text())
            assert [v["label"] for v in data["versions"]] == list(policy.labels)
            assert [v["commit"] for v in data["versions"]] == [
                v.first_revision.commit for v in policy.versions
            ]
            assert [v["last_commit"] for v in data["versions"]] == [
                v.revision.commit for v in policy.versions
            ]
            assert [v["sha256"] for v in data["versions"]] == [v.sha256 for v in policy.versions]
            current = json.loads(
                (site / "api" / policy.slug / "v" / f"{policy.current.label}.json").read_text()
            )
            document = repo.document(policy.current.revision)
            assert [c["id"] for c in current["clauses"]] == [c.id for c in document.clauses]
            assert [c["anchor"] for c in current["clauses"]] == [c.anchor for c in document.clauses]


@pytest.mark.parametrize("slug", ["acceptable-use", "terms-of-service", "privacy"])
def test_api_change_sets_equal_publisher_diff_compact_json(
    site: Path, versions: dict[str, list[str]], slug: str
) -> None:
    labels = versions[slug]
    pairs = {(a, b) for a, b in itertools.pairwise(labels)}
    pairs |= {(a, labels[-1]) for a in labels[:-1]}
    runner = CliRunner()
    for old, new in sorted(pairs):
        result = runner.invoke(
            main,
            [
                *("-C", str(REPO_ROOT), "diff", slug, "--from", old, "--to", new),
                *("--format", "json", "--compact"),
            ],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        expected = json.loads(result.stdout)
        published = json.loads(
            (site / "api" / slug / "changes" / f"{old}..{new}.json").read_text(encoding="utf-8")
        )
        assert published == expected, (old, new)
        assert published["changes"], "the example versions all differ"
