"""The site against real git histories made in temp dirs: upcoming versions, a shallow clone,
which versions are published, deleted and renamed policies, incremental rebuilds, and
`publisher serve` rebuilding on a new commit."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from gitrepo import GitRepo, isolated_git_env
from sitebuild import SiteLinks, build_site_cli

from publisher.config import load_settings
from publisher.history import PolicyRepo
from publisher.site import SiteCache, SiteOptions
from publisher.site_builder import build_site


def policy(version: str, effective: str, *rules: str, title: str = "Acceptable Use") -> str:
    body = "\n".join(f"{i}. {rule}" for i, rule in enumerate(rules, start=1))
    return (
        f"---\ntitle: {title}\nversion: '{version}'\neffective: {effective}\n"
        f"summary: Version {version}.\n---\n\n{body}\n"
    )


def aup_repo(path: Path) -> GitRepo:
    repo = GitRepo.init(path)
    repo.commit(
        "v1",
        date="2024-01-01",
        files={
            "policies/aup.md": policy("1", "2024-02-01", "Do not send spam.", "Do not probe."),
        },
    )
    repo.commit(
        "v2",
        date="2024-03-01",
        files={
            "policies/aup.md": policy(
                "2", "2024-04-01", "Do not send bulk or unsolicited mail.", "Do not probe."
            ),
        },
    )
    return repo


def _json_build(repo: Path, tmp: Path, cache: Path) -> dict[str, object]:
    result = build_site_cli(repo, tmp, cache, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


# ------------------------------------------------------------------------------- upcoming


def test_a_future_effective_date_is_shown_as_upcoming_beside_the_one_in_force(
    tmp_path: Path,
) -> None:
    repo = aup_repo(tmp_path / "repo")
    repo.commit(
        "v3, effective in the future",
        date="2024-05-01",
        files={
            "policies/aup.md": policy(
                "3",
                "2099-01-01",
                "Do not send bulk or unsolicited mail.",
                "Do not probe.",
                "Do not mine cryptocurrency.",
            ),
        },
    )
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    main = (site / "aup" / "index.html").read_text(encoding="utf-8")
    assert 'data-version="2"' in main and "In force" in main
    assert "Version 3 is coming: it takes effect on" in main
    assert '<time datetime="2099-01-01">1 January 2099</time>' in main
    assert 'href="changes/2..3/">What will change</a>' in main
    upcoming = (site / "aup" / "v" / "3" / "index.html").read_text(encoding="utf-8")
    assert "version-banner-upcoming" in upcoming and "not in force yet" in upcoming
    assert "Superseded" not in upcoming
    older = (site / "aup" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    assert "version-banner-superseded" in older
    assert 'href="../../changes/1..2/">Compare this version with version 2</a>' in older
    api = json.loads((site / "api" / "policies.json").read_text(encoding="utf-8"))
    assert api["policies"][0]["current"] == "2"
    assert api["policies"][0]["upcoming"] == ["3"]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Version 3 takes effect 1 January 2099" in index
    for pair in ("1..2", "2..3", "1..3"):
        assert (site / "aup" / "changes" / pair / "index.html").is_file()
    assert SiteLinks.read(site).broken() == []


def test_status_follows_the_day_the_site_is_built(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    with PolicyRepo.open(load_settings(repo.path)) as reader:
        before = build_site(reader, SiteOptions(), today=date(2024, 3, 15))
        after = build_site(reader, SiteOptions(), today=date(2024, 4, 1))
    assert [(v.label, v.status) for v in before.policies[0].versions] == [
        ("1", "current"),
        ("2", "upcoming"),
    ]
    assert [(v.label, v.status) for v in after.policies[0].versions] == [
        ("1", "superseded"),
        ("2", "current"),
    ]


# ----------------------------------------------------------------------- what is published


def test_shallow_clone_gives_a_clear_message_and_keeps_the_last_site(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    shallow = repo.clone(tmp_path / "shallow", depth=1)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("the last good site")
    result = build_site_cli(shallow, site, tmp_path / "cache")
    assert result.exit_code == 2
    assert "shallow clone" in result.output
    assert "git fetch --unshallow" in result.output
    assert "Traceback" not in result.output
    assert (site / "index.html").read_text() == "the last good site"
    assert not (site / "aup").exists()


def test_mkdocs_itself_reports_the_shallow_clone(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    shallow = repo.clone(tmp_path / "shallow", depth=1)
    (shallow / "docs").mkdir()
    (shallow / "docs" / "index.md").write_text("# Home\n")
    (shallow / "mkdocs.yml").write_text("site_name: X\nplugins:\n  - policies\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=shallow,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PUBLISHER_CACHE_DIR": str(tmp_path / "c")},
    )
    assert proc.returncode != 0
    assert "shallow clone: the policy history is incomplete" in proc.stderr
    assert "git fetch --unshallow" in proc.stderr


def test_versions_option_publishes_the_last_n(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    repo.commit(
        "v3",
        date="2024-05-01",
        files={
            "policies/aup.md": policy("3", "2024-06-01", "Do not send bulk mail.", "Do not probe."),
        },
    )
    with PolicyRepo.open(load_settings(repo.path)) as reader:
        site = build_site(reader, SiteOptions(versions="2"), today=date(2025, 1, 1))
    paths = {p.path for p in site.pages}
    assert "aup/v/2/" in paths and "aup/v/3/" in paths
    assert "aup/v/1/" not in paths and not any("1.." in p for p in paths)
    assert site.policies[0].versions[0].previous is None


def test_date_labelled_versions_and_labelled_only(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("first", date="2024-01-01", files={"policies/tos.md": "# Terms\n\nOne.\n"})
    repo.commit("second", date="2024-02-01", files={"policies/tos.md": "# Terms\n\nTwo.\n"})
    repo.commit(
        "same day", date="2024-02-01T18:00:00", files={"policies/tos.md": "# Terms\n\nThree.\n"}
    )
    with PolicyRepo.open(load_settings(repo.path)) as reader:
        site = build_site(reader, SiteOptions(), today=date(2025, 1, 1))
        labelled = build_site(reader, SiteOptions(versions="labelled"), today=date(2025, 1, 1))
    labels = [v.label for v in site.policies[0].versions]
    assert labels == ["2024-01-01", "2024-02-01", "2024-02-01.2"]
    assert "tos/changes/2024-02-01..2024-02-01.2/" in {p.path for p in site.pages}
    # No front matter labels at all: "labelled" still publishes the latest version.
    assert [v.label for v in labelled.policies[0].versions] == ["2024-02-01.2"]


def test_deleted_policies_are_not_published_and_renamed_ones_keep_their_history(
    tmp_path: Path,
) -> None:
    repo = aup_repo(tmp_path / "repo")
    repo.commit(
        "add privacy",
        files={"policies/privacy.md": policy("1", "2024-01-01", "Hi.", title="Privacy")},
    )
    repo.delete("policies/privacy.md")
    repo.commit("drop privacy")
    repo.rename("policies/aup.md", "policies/use/aup.md")
    repo.commit("move the AUP")
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "site" / "privacy").exists()
    assert (tmp_path / "site" / "aup" / "changes" / "1..2" / "index.html").is_file()


def test_two_policies_with_one_slug_is_an_error(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit(
        "two",
        files={
            "policies/a.md": "---\nslug: terms\n---\nA.\n",
            "policies/b.md": "---\nslug: terms\n---\nB.\n",
        },
    )
    result = build_site_cli(repo.path, tmp_path / "site", tmp_path / "cache")
    assert result.exit_code == 2
    assert "two policies have the slug 'terms'" in result.output
    assert "Traceback" not in result.output


# ------------------------------------------------------------------------------ incremental


def test_rebuild_after_one_commit_computes_only_the_new_redlines(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    repo.commit(
        "tos",
        date="2024-03-02",
        files={
            "policies/tos.md": policy("1", "2024-04-01", "Pay on time.", title="Terms"),
        },
    )
    repo.commit(
        "tos v2",
        date="2024-03-03",
        files={
            "policies/tos.md": policy("2", "2024-05-01", "Pay within 30 days.", title="Terms"),
        },
    )
    cache = tmp_path / "cache"
    first = _json_build(repo.path, tmp_path / "s1", cache)
    assert first["redlines"] == 2 and first["computed_redlines"] == 2
    again = _json_build(repo.path, tmp_path / "s2", cache)
    assert again["computed_redlines"] == 0
    repo.commit(
        "v3",
        date="2024-06-01",
        files={
            "policies/aup.md": policy(
                "3", "2024-07-01", "Do not send bulk or unsolicited mail.", "Do not probe or scan."
            ),
        },
    )
    after = _json_build(repo.path, tmp_path / "s3", cache)
    # aup: 2..3 and 1..3 are new; 1..2 and the terms' 1..2 come from the cache.
    assert after["redlines"] == 4 and after["computed_redlines"] == 2
    # The cached pages are the same as freshly rendered ones.
    fresh = _json_build(repo.path, tmp_path / "s4", tmp_path / "fresh-cache")
    assert fresh["computed_redlines"] == 4
    for page in ("aup/changes/1..2/index.html", "aup/index.html", "api/aup/changes/1..2.json"):
        assert (tmp_path / "s3" / page).read_text() == (tmp_path / "s4" / page).read_text()


def test_rebuild_rewrites_only_changed_files_and_removes_stale_ones(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    repo.commit("tos", files={"policies/tos.md": policy("1", "2024-04-01", "Pay.", title="T")})
    site, cache = tmp_path / "site", tmp_path / "cache"
    first = _json_build(repo.path, site, cache)
    assert first["files_removed"] == 0 and first["files_unchanged"] == 0
    aup_file = site / "api" / "aup" / "changes" / "1..2.json"
    stamp = aup_file.stat().st_mtime_ns
    (site / "stray.html").write_text("from an old build")
    os.utime(site / "stray.html", (0, 0))
    (site / ".git").mkdir()  # a gh-pages checkout: hidden entries are not the build's
    (site / ".git" / "config").write_text("[core]\n")
    (site / ".nojekyll").write_text("")
    os.utime(site / ".git" / "config", (0, 0))

    repo.delete("policies/tos.md")
    repo.commit("withdraw the terms")
    second = _json_build(repo.path, site, cache)
    assert not (site / "tos").exists() and not (site / "api" / "tos").exists()
    assert not (site / "stray.html").exists()
    assert (site / ".git" / "config").is_file() and (site / ".nojekyll").is_file()
    assert second["files_removed"] >= 5  # tos/, its version, history, feed and API files
    # The AUP's files did not change (its pages did: the navigation lost the terms): left as
    # they were, not rewritten.
    assert aup_file.stat().st_mtime_ns == stamp
    assert second["files_unchanged"] > 10
    assert SiteLinks.read(site).broken() == []


def _tree(root: Path) -> dict[str, bytes]:
    # gzip stamps the time in sitemap.xml.gz; the mkdocs theme the build time in the home page.
    return {
        p.relative_to(root).as_posix(): re.sub(rb"Build Date UTC : [^\n]*", b"", p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "sitemap.xml.gz"
    }


def test_incremental_build_equals_a_fresh_build(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    repo.commit("tos", files={"policies/tos.md": policy("1", "2024-04-01", "Pay.", title="T")})
    (repo.path / "docs").mkdir()
    (repo.path / "docs" / "index.md").write_text("# Home\n\n<!-- policies -->\n")
    config = repo.path / "mkdocs.yml"
    config.write_text("site_name: Example\nplugins:\n  - search\n  - policies\n")
    site, cache = tmp_path / "site", tmp_path / "cache"
    first = _json_build(repo.path, site, cache)
    assert first["pages_rendered"] == first["pages"]
    again = _json_build(repo.path, site, cache)
    assert again["pages_rendered"] == 2  # the policies' own pages; the rest is unchanged

    repo.commit("v3", files={"policies/aup.md": policy("3", "2024-07-01", "Be kind.")})
    after = _json_build(repo.path, site, cache)
    assert 2 < int(after["pages_rendered"]) < int(after["pages"])  # type: ignore[call-overload]
    fresh = _json_build(repo.path, tmp_path / "fresh", tmp_path / "fresh-cache")
    assert _tree(site) == _tree(tmp_path / "fresh")
    assert fresh["pages_rendered"] == fresh["pages"]

    # Anything around the pages (here the site's name, in every page's header) renders all.
    config.write_text("site_name: Renamed\nplugins:\n  - search\n  - policies\n")
    renamed = _json_build(repo.path, site, cache)
    assert renamed["pages_rendered"] == renamed["pages"]
    assert "Renamed" in (site / "aup" / "v" / "1" / "index.html").read_text(encoding="utf-8")


def test_site_cache_survives_a_corrupt_entry(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    with PolicyRepo.open(load_settings(repo.path)) as reader:
        build_site(reader, SiteOptions(), today=date(2025, 1, 1), cache=SiteCache(tmp_path))
        for entry in (tmp_path / "site").rglob("*"):
            if entry.is_file():
                entry.write_bytes(b"not a pickle")
        cache = SiteCache(tmp_path)
        site = build_site(reader, SiteOptions(), today=date(2025, 1, 1), cache=cache)
    assert site.stats.computed == 1  # the corrupt entries were misses, recomputed


# ------------------------------------------------------------------------------------ serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, text: str, deadline: float) -> str:
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                last = response.read().decode("utf-8")
            if text in last:
                return last
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} never showed {text!r}; last response:\n{last[:500]}")


def test_serve_rebuilds_when_a_commit_lands(tmp_path: Path) -> None:
    repo = aup_repo(tmp_path / "repo")
    port = _free_port()
    env = isolated_git_env(PUBLISHER_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher",
            "-C",
            str(repo.path),
            "serve",
            "--dev-addr",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/aup/"
        _wait_for(url, 'data-version="2"', time.monotonic() + 60)
        repo.commit(
            "v3",
            date="2024-06-01",
            files={
                "policies/aup.md": policy(
                    "3", "2024-07-01", "Do not send bulk mail.", "Do not probe."
                ),
            },
        )
        page = _wait_for(url, 'data-version="3"', time.monotonic() + 60)
        assert 'href="changes/2..3/">What changed</a>' in page
        _wait_for(f"http://127.0.0.1:{port}/aup/changes/2..3/", "<del>", time.monotonic() + 60)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_explains_a_shallow_clone_and_a_busy_port(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from publisher.cli import main

    repo = aup_repo(tmp_path / "repo")
    shallow = repo.clone(tmp_path / "shallow", depth=1)
    runner = CliRunner()
    env = {"PUBLISHER_CACHE_DIR": str(tmp_path / "cache")}
    result = runner.invoke(main, ["-C", str(shallow), "serve", "-a", "127.0.0.1:1"], env=env)
    assert result.exit_code == 2
    assert "shallow clone" in result.output and "Traceback" not in result.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            main, ["-C", str(repo.path), "serve", "-a", f"127.0.0.1:{port}"], env=env
        )
    assert result.exit_code == 2
    assert f"cannot serve on 127.0.0.1:{port}" in result.output
    assert "--dev-addr" in result.output
