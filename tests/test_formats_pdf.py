"""PDFs of a redline (``publisher diff --format pdf``) and of a version (``publisher show
--format pdf``), read back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from example_history import ROOT, has_example_history
from gitrepo import GitRepo
from goldens import check_golden

from publisher.cli import main
from publisher.formats.pdf import redline_pdf_html, site_css

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs pdftotext (Debian package poppler-utils)"
)

V1 = """\
---
title: Hosting “Rules”
version: "1"
effective: 2025-01-06
---

# Hosting “Rules”

1. You must not send spam.
2. You must not host malware.
"""

V2 = (
    V1.replace('version: "1"', 'version: "2"')
    .replace("2025-01-06", "2025-03-03")
    .replace("send spam.", "send unsolicited bulk messages.")
    + "3. You must not mine cryptocurrency.\n"
)


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def pages(text: str) -> list[str]:
    return text.split("\f")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Publish", files={"policies/rules.md": V1}, date="2025-01-06")
    repo.commit("Rules v2", files={"policies/rules.md": V2}, date="2025-03-03")
    return repo


def test_redline_pdf_has_header_page_numbers_and_the_changes(repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "redline.pdf"
    result = CliRunner().invoke(
        main, ["--repo", str(repo.path), "diff", "rules", "--format", "pdf", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    first = pages(text)[0]
    header = first.strip().splitlines()[0]
    assert "Hosting “Rules”" in header
    assert "v1 (2025-01-06) → v2 (2025-03-03)" in header
    assert re.search(r"Page 1 of \d", first)
    flat = " ".join(text.split())
    assert "You must not send spam unsolicited bulk messages." in flat
    assert "You must not mine cryptocurrency." in flat
    assert "1 added, 1 modified" in flat


def test_version_pdf_prints_the_text_with_version_and_dates(repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "v1.pdf"
    result = CliRunner().invoke(
        main,
        [
            "--repo",
            str(repo.path),
            "show",
            "rules",
            "--version",
            "1",
            "--format",
            "pdf",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    header = pages(text)[0].strip().splitlines()[0]
    assert "Hosting “Rules”" in header and "Version 1 · effective 2025-01-06" in header
    flat = " ".join(text.split())
    assert "Published 2025-01-06" in flat
    assert "1. You must not send spam." in flat
    assert "mine cryptocurrency" not in flat
    assert "¶" not in flat and "§" not in flat  # the site's self-links are not printed
    assert "Page 1 of 1" in text


def test_struck_and_underlined_text_does_not_rely_on_colour() -> None:
    css = site_css()
    printed = css[css.index("@media print") :]
    assert ".redline ins { background: none; color: #000; }" in printed
    assert ".redline del { background: none; color: #000; }" in printed
    assert "text-decoration: underline" in css and "text-decoration: line-through" in css


def test_pdf_on_a_terminal_is_refused_before_any_work(repo: GitRepo) -> None:
    import os
    import pty
    import sys

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "publisher",
                "--repo",
                str(repo.path),
                "show",
                "rules",
                "--format",
                "pdf",
            ],
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("error: refusing to write pdf (binary) to a terminal")


@pytest.mark.skipif(not has_example_history(), reason="needs this repository's history")
def test_example_redline_page_golden() -> None:
    from publisher.cache import DocumentCache
    from publisher.config import load_settings
    from publisher.diff.sources import compare_revisions
    from publisher.history import PolicyRepo

    settings = load_settings(ROOT, env={}, overrides={"policies": "policies/**/*.md"})
    with PolicyRepo.open(settings, cache=DocumentCache(None)) as repo:
        changes = compare_revisions(repo, "acceptable-use", "2", "3")
    html = redline_pdf_html(changes)
    body = html[html.index("<body>") :]
    check_golden("formats/pdf/acceptable-use-v2-v3.body.html", body)
    page = html[html.index("@page") : html.index("</style>")]
    assert '"Acceptable Use Policy"' in page
    assert '"Redline v2 (2025-07-01) → v3 (2026-03-01)"' in page


def test_material_only_redline_page_leaves_editorial_changes_out(tmp_path: Path) -> None:
    from publisher.diff.sources import compare_files

    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(V1, encoding="utf-8")
    new.write_text(V2.replace("host malware.", "host malware!"), encoding="utf-8")
    changes = compare_files(old, new)
    assert not all(c.material for c in changes.changes)
    page = redline_pdf_html(changes, material_only=True)
    assert "editorial change not listed" in page
    assert "host malware!" not in page
    assert "host malware!" in redline_pdf_html(changes)
