"""A site that grows linearly (issue 14 item 4), its Word redlines (issue 18) and rebuilds
that write nothing (issue 14 item 3): the redline window, the redirects that keep the old
addresses, compact change-set JSON, the .docx beside each redline, and file mtimes kept."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from datetime import date
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx_revisions import accept_all, body, policy_paragraphs, reject_all
from gitrepo import GitRepo
from sitebuild import SiteLinks, build_site_cli

from publisher.cli import main
from publisher.config import load_settings
from publisher.errors import ConfigError
from publisher.history import PolicyRepo
from publisher.site import SiteCache, SiteOptions
from publisher.site_builder import build_site
from publisher.site_versions import dropped_pairs, redline_pairs, version_status


def policy(version: str, effective: str, *rules: str) -> str:
    body = "\n".join(f"{i}. {rule}" for i, rule in enumerate(rules, start=1))
    return (
        f"---\ntitle: Acceptable Use\nversion: '{version}'\neffective: {effective}\n---\n\n{body}\n"
    )


YEARS = ("2019", "2020", "2021", "2022", "2023", "2024")


def yearly_repo(path: Path) -> GitRepo:
    """Six versions of one policy, one a year (effective on 1 March), each rewording rule 1."""
    repo = GitRepo.init(path)
    for n, year in enumerate(YEARS, start=1):
        repo.commit(
            f"v{n}",
            date=f"{year}-01-15",
            files={
                "policies/aup.md": policy(
                    str(n), f"{year}-03-01", f"Do not send spam, edition {n}.", "Do not probe."
                )
            },
        )
    return repo


def _versions(repo: GitRepo) -> tuple[object, ...]:
    with PolicyRepo.open(load_settings(repo.path)) as opened:
        (found,) = opened.policies()
        return found.versions


def test_only_versions_in_the_window_get_redlines_to_the_version_in_force(
    tmp_path: Path,
) -> None:
    versions = _versions(yearly_repo(tmp_path / "repo"))
    current, statuses = version_status(versions, date(2025, 1, 1))  # type: ignore[arg-type]
    assert current == 5
    # 400 days before v6 took effect (2024-03-01): v5 (replaced 2024-03-01) and v4 (replaced
    # 2023-03-01, 366 days before) were in force within it; v1-v3 were not.
    pairs = redline_pairs(versions, current, statuses, 400)  # type: ignore[arg-type]
    assert pairs == [(0, 1), (1, 2), (2, 3), (3, 4), (3, 5), (4, 5)]
    assert dropped_pairs(versions, current, statuses, 400) == [(0, 5), (1, 5), (2, 5)]  # type: ignore[arg-type]
    # No window: every version to the one in force, as before.
    every = redline_pairs(versions, current, statuses, None)  # type: ignore[arg-type]
    assert every == sorted({(i, i + 1) for i in range(5)} | {(i, 5) for i in range(5)})
    assert dropped_pairs(versions, current, statuses, None) == []  # type: ignore[arg-type]
    # A window of 0 days keeps only the version the one in force replaced.
    assert redline_pairs(versions, current, statuses, 0) == [  # type: ignore[arg-type]
        (0, 1),
        (1, 2),
        (2, 3),
        (3, 4),
        (4, 5),
    ]


def test_the_window_is_counted_from_the_version_in_force_not_the_day_of_the_build(
    tmp_path: Path,
) -> None:
    versions = _versions(yearly_repo(tmp_path / "repo"))
    for today in (date(2024, 6, 1), date(2031, 6, 1)):
        current, statuses = version_status(versions, today)  # type: ignore[arg-type]
        assert redline_pairs(versions, current, statuses, 400) == [  # type: ignore[arg-type]
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 4),
            (3, 5),
            (4, 5),
        ]


@pytest.mark.parametrize("value", [-1, "soon", True, 2.5])
def test_a_bad_window_is_a_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match="redline_window must be a number of days"):
        SiteOptions.window(value)
    if isinstance(value, int):
        with pytest.raises(ConfigError, match="redline_window"):
            SiteOptions(redline_window=value)


def test_window_values_as_written() -> None:
    assert SiteOptions.window("all") is None
    assert SiteOptions.window("30") == 30
    assert SiteOptions.window(0) == 0


def _mkdocs_yml(repo: GitRepo, **options: object) -> None:
    lines = "".join(f"      {k}: {v}\n" for k, v in options.items())
    (repo.path / "docs").mkdir(exist_ok=True)
    (repo.path / "docs" / "index.md").write_text("# Home\n\n<!-- policies -->\n")
    (repo.path / "mkdocs.yml").write_text(
        f"site_name: Example\nsite_url: https://p.example/\nplugins:\n  - policies:\n{lines}"
    )


def _build(repo: GitRepo, site: Path, cache: Path) -> dict[str, int]:
    result = build_site_cli(repo.path, site, cache, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, int] = json.loads(result.stdout)
    return data


def test_old_addresses_redirect_to_the_history_and_every_link_resolves(tmp_path: Path) -> None:
    repo = yearly_repo(tmp_path / "repo")
    _mkdocs_yml(repo, redline_window=400, docx="false")
    site = tmp_path / "site"
    built = _build(repo, site, tmp_path / "cache")
    assert built["redlines"] == 6 and built["redirects"] == 3
    assert (site / "aup" / "changes" / "4..6" / "index.html").is_file()
    page = (site / "aup" / "changes" / "4..6" / "index.html").read_text(encoding="utf-8")
    assert "changes from version 4 to version 6" in page
    for old in ("1", "2", "3"):
        for rel in (
            f"aup/changes/{old}..6/index.html",
            f"aup/changes/{old}..6/material/index.html",
        ):
            html = (site / rel).read_text(encoding="utf-8")
            assert len(html) < 1500, rel
            target = "../../versions/" if "material" not in rel else "../../../versions/"
            assert f'<meta http-equiv="refresh" content="0; url={target}#v-{old}">' in html
            assert f'<link rel="canonical" href="https://p.example/aup/versions/#v-{old}">' in html
            assert f'<a href="{target}#v-{old}">' in html
        stub = json.loads((site / "api" / "aup" / "changes" / f"{old}..6.json").read_text())
        assert stub["published"] is False
        assert stub["versions"] == "https://p.example/api/aup/versions.json"
    # The superseded page of a version outside the window links its next redline instead.
    v2 = (site / "aup" / "v" / "2" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../changes/2..3/">What changed in version 3</a>' in v2
    assert "2..6" not in v2
    v4 = (site / "aup" / "v" / "4" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../changes/4..6/">Compare this version with version 6</a>' in v4
    links = SiteLinks.read(site)
    assert links.broken() == []
    assert "aup/versions/index.html" in links.ids and "v-2" in links.ids["aup/versions/index.html"]


def _history(path: Path, count: int) -> GitRepo:
    """``count`` yearly versions of a 40-clause policy, each rewording one clause."""
    repo = GitRepo.init(path)
    rules = [f"Rule {i} says what it says." for i in range(40)]
    for n in range(1, count + 1):
        rules[n % 40] = f"Rule {n % 40} now says edition {n}."
        repo.commit(
            f"v{n}",
            date=f"{1975 + n}-01-15",
            files={"policies/aup.md": policy(str(n), f"{1975 + n}-03-01", *rules)},
        )
    return repo


def _site_bytes(repo: GitRepo, cache: Path) -> int:
    options = SiteOptions(docx=False)
    with PolicyRepo.open(load_settings(repo.path)) as opened:
        site = build_site(opened, options, today=date(2100, 1, 1), cache=SiteCache(cache))
    return sum(len(p.content) for p in site.pages)


def test_output_grows_linearly_with_the_versions(tmp_path: Path) -> None:
    small = _site_bytes(_history(tmp_path / "r20", 20), tmp_path / "c20")
    large = _site_bytes(_history(tmp_path / "r60", 60), tmp_path / "c60")
    # Three times the versions: about three times the bytes (quadratic would be nine).
    assert large / small < 3.6, (small, large)


def test_change_set_json_refers_to_clause_texts_by_id_and_hash(tmp_path: Path) -> None:
    repo = yearly_repo(tmp_path / "repo")
    site = tmp_path / "site"
    _build(repo, site, tmp_path / "cache")
    data = json.loads((site / "api" / "aup" / "changes" / "5..6.json").read_text())
    assert data["compact"] is True
    (change,) = data["changes"]
    assert "text" not in change["old"] and "heading" not in change["old"]
    clauses = {
        c["id"]: c
        for c in json.loads((site / "api" / "aup" / "v" / "6.json").read_text())["clauses"]
    }
    new = clauses[change["new"]["id"]]
    assert change["new"]["sha256"] == new["sha256"]
    assert new["sha256"] == hashlib.sha256(new["text"].encode()).hexdigest()
    # The inline runs: unchanged ones by length, cut out of the two texts.
    old = json.loads((site / "api" / "aup" / "v" / "5.json").read_text())["clauses"]
    old_text = next(c["text"] for c in old if c["id"] == change["old"]["id"])
    rebuilt_old, rebuilt_new, at = "", "", 0
    for tag, value in change["inline"]:
        if tag == "=":
            assert isinstance(value, int)
            rebuilt_old += old_text[at : at + value]
            rebuilt_new += old_text[at : at + value]
            at += value
        elif tag == "-":
            rebuilt_old += value
            at += len(value)
        else:
            rebuilt_new += value
    assert rebuilt_old == old_text and rebuilt_new == new["text"]
    # `publisher diff --compact` prints the same; without it, the full texts.
    runner = CliRunner()
    args = ["-C", str(repo.path), "diff", "aup", "--from", "5", "--to", "6", "--format", "json"]
    compact = runner.invoke(main, [*args, "--compact"], catch_exceptions=False)
    assert json.loads(compact.stdout) == data
    full = json.loads(runner.invoke(main, args, catch_exceptions=False).stdout)
    assert "compact" not in full and full["changes"][0]["new"]["text"] == new["text"]


def test_each_redline_page_links_its_word_redline(tmp_path: Path) -> None:
    repo = yearly_repo(tmp_path / "repo")
    site, cache = tmp_path / "site", tmp_path / "cache"
    first = _build(repo, site, cache)
    assert first["docx_made"] == first["redlines"]
    for folder in ("5..6", "5..6/material"):
        html = (site / "aup" / "changes" / folder / "index.html").read_text(encoding="utf-8")
        found = re.search(
            r'<a class="redline-docx" href="([^"]+)" download="aup-5-to-6.docx"', html
        )
        assert found, folder
        assert (site / "aup" / "changes" / folder / found[1]).resolve() == (
            site / "aup" / "changes" / "5..6.docx"
        ).resolve()
    data = (site / "aup" / "changes" / "5..6.docx").read_bytes()
    document = docx.Document(io.BytesIO(data))
    assert "Redline" in document.core_properties.subject
    accepted = "\n".join(policy_paragraphs(accept_all(body(data))))
    rejected = "\n".join(policy_paragraphs(reject_all(body(data))))
    assert "Do not send spam, edition 6." in accepted and "edition 5" not in accepted
    assert "Do not send spam, edition 5." in rejected and "edition 6" not in rejected
    # The same bytes as `publisher diff --format docx`.
    out = tmp_path / "cli.docx"
    args = ["-C", str(repo.path), "diff", "aup", "--from", "5", "--to", "6", "--format", "docx"]
    result = CliRunner().invoke(main, [*args, "--output", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert policy_paragraphs(accept_all(body(out.read_bytes()))) == accepted.split("\n")
    # A warm build takes them from the cache.
    again = _build(repo, tmp_path / "site2", cache)
    assert again["docx_made"] == 0
    assert (tmp_path / "site2" / "aup" / "changes" / "5..6.docx").read_bytes() == data


def test_docx_false_publishes_no_word_redline(tmp_path: Path) -> None:
    repo = yearly_repo(tmp_path / "repo")
    _mkdocs_yml(repo, docx="false")
    site = tmp_path / "site"
    built = _build(repo, site, tmp_path / "cache")
    assert built["docx_made"] == 0
    assert not list(site.rglob("*.docx"))
    assert "redline-docx" not in (site / "aup" / "changes" / "5..6" / "index.html").read_text()


def test_a_rebuild_with_no_new_commit_writes_nothing(tmp_path: Path) -> None:
    repo = yearly_repo(tmp_path / "repo")
    site, cache = tmp_path / "site", tmp_path / "cache"
    _build(repo, site, cache)
    files = sorted(p for p in site.rglob("*") if p.is_file())
    stamps = {p: p.stat().st_mtime_ns for p in files}
    for p in files:  # an old mtime shows any rewrite, whatever the clock's resolution
        os.utime(p, ns=(10**18, 10**18))
    again = _build(repo, site, cache)
    rewritten = [p for p in files if p.stat().st_mtime_ns != 10**18]
    assert rewritten == []
    assert again["files_written"] == 0 and again["files_removed"] == 0
    assert again["computed_redlines"] == 0 and again["docx_made"] == 0
    # Built-in configuration (no mkdocs.yml): only the policy's own page is rendered again.
    assert again["pages_rendered"] == 1 < again["pages"]
    rewritten = [p for p in files if p.stat().st_mtime_ns != 10**18]
    assert rewritten == []
    assert sorted(p for p in site.rglob("*") if p.is_file()) == files
    assert stamps  # the site has files
