"""``publisher diff --format docx``: a Word redline with real tracked changes, opened and its
revisions applied ("Accept all" gives the new version's clauses, "Reject all" the old ones)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx_revisions import (
    accept_all,
    body,
    policy_paragraphs,
    readable,
    reject_all,
    revisions,
)
from example_history import ROOT, has_example_history
from gitrepo import GitRepo
from goldens import check_golden

from publisher.cache import DocumentCache
from publisher.cli import main
from publisher.config import load_settings
from publisher.diff.sources import read_file
from publisher.document import Document
from publisher.formats.docx import render_docx
from publisher.formats.layout import paragraph_text
from publisher.formats.sources import redline_of_revisions
from publisher.history import PolicyRepo

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

OLD = """\
---
title: Hosting Rules
version: "1"
---

# Hosting Rules

## A. Use

1. You must not send spam.
2. You must not host malware.
3. You must not resell the Services.

## B. Security

You must keep your password secret.

- Use a strong password.
- Turn on two-factor sign-in.

## C. Support

We answer within two days.
"""

NEW = """\
---
title: Hosting Rules
version: "2"
---

# Hosting Rules

## A. Use

1. You must not send unsolicited bulk messages.
2. You must not host malware.

## B. Support

We answer within two days.

## C. Security

You must keep your password secret.

- Use a strong password.
- Turn on two-factor sign-in.

## D. Fees

Fees are due monthly.
"""


def expected(document: Document) -> list[str]:
    return [document.title or "", *(paragraph_text(c) for c in document.walk())]


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Publish the rules", files={"policies/rules.md": OLD}, date="2025-01-06")
    repo.commit(
        "Rules v2: spam, fees, order",
        files={"policies/rules.md": NEW},
        date="2025-03-03T09:30:00+00:00",
        author=("Dana Counsel", "dana@example.com"),
    )
    return repo


def test_accept_all_gives_the_new_version_and_reject_all_the_old(
    repo: GitRepo, tmp_path: Path
) -> None:
    out = tmp_path / "redline.docx"
    result = CliRunner().invoke(
        main, ["--repo", str(repo.path), "diff", "rules", "--format", "docx", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    tree = body(out.read_bytes())
    old, new = read_file_text(OLD, tmp_path / "old.md"), read_file_text(NEW, tmp_path / "new.md")
    assert policy_paragraphs(accept_all(tree)) == expected(new)
    assert policy_paragraphs(reject_all(tree)) == expected(old)

    found = revisions(tree)
    tags = {element.tag.removeprefix(W) for element in found}
    assert {"ins", "del", "moveFrom", "moveTo"} <= tags
    for element in found:
        assert element.get(f"{W}author") == "Dana Counsel"
        assert element.get(f"{W}date") == "2025-03-03T09:30:00Z"
    # The two ends of each move share a name.
    starts = {e.get(f"{W}name") for e in tree.iter(f"{W}moveFromRangeStart")}
    ends = {e.get(f"{W}name") for e in tree.iter(f"{W}moveToRangeStart")}
    assert starts and starts == ends
    ids = [
        e.get(f"{W}id")
        for e in tree.iter()
        if e.get(f"{W}id") is not None
        and not e.tag.endswith("RangeEnd")
        and not e.tag.endswith("bookmarkEnd")
    ]
    assert len(ids) == len(set(ids))


def read_file_text(text: str, path: Path) -> Document:
    path.write_text(text, encoding="utf-8")
    return read_file(path)


def test_summary_lists_material_and_editorial_changes_apart(repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "redline.docx"
    CliRunner().invoke(
        main,
        [
            "--repo",
            str(repo.path),
            "diff",
            "rules",
            "--from",
            "1",
            "--to",
            "2",
            "--format",
            "docx",
            "-o",
            str(out),
        ],
    )
    document = docx.Document(str(out))
    texts = [p.text for p in document.paragraphs]
    material = texts.index(next(t for t in texts if t.startswith("Material changes")))
    editorial = texts.index(next(t for t in texts if t.startswith("Editorial changes")))
    assert material < editorial
    assert any("Fees" in t for t in texts[material:editorial])
    assert any(
        ("Support" in t and "renumbered" in t.lower()) or "Moved" in t for t in texts[material:]
    )
    assert document.core_properties.author == "Dana Counsel"
    # Numbering as the policy writes it: the section letters are text of the headings.
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert any(h.startswith("A.") for h in headings)


def test_two_files_use_publisher_and_the_mtime(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    os.utime(new, (1_700_000_000, 1_700_000_000))
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(
        main, ["diff", str(old), str(new), "--format", "docx", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    tree = body(out.read_bytes())
    assert {e.get(f"{W}author") for e in revisions(tree)} == {"publisher"}
    assert {e.get(f"{W}date") for e in revisions(tree)} == {"2023-11-14T22:13:20Z"}
    assert policy_paragraphs(accept_all(tree)) == expected(read_file(new))


def test_docx_to_a_pipe_and_refused_on_a_terminal(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    command = [sys.executable, "-m", "publisher", "diff", str(old), str(new), "--format", "docx"]
    piped = subprocess.run(command, capture_output=True, check=True)
    assert docx.Document(io.BytesIO(piped.stdout)).paragraphs

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(command, stdout=follower, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode != 0
    lines = done.stderr.decode().splitlines()
    assert lines[0] == "error: refusing to write docx (binary) to a terminal"
    assert "--output" in lines[1]
    assert "Traceback" not in done.stderr.decode()


def test_bad_output_directory_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    old = tmp_path / "old.md"
    old.write_text(OLD, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "diff",
            str(old),
            str(old),
            "--format",
            "docx",
            "-o",
            str(tmp_path / "missing" / "r.docx"),
        ],
    )
    assert result.exit_code == 2
    assert "is no directory" in result.output
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(not has_example_history(), reason="needs this repository's history")
@pytest.mark.parametrize("slug", ["acceptable-use", "terms-of-service", "privacy"])
@pytest.mark.parametrize(("old", "new"), [("1", "2"), ("2", "3")])
def test_example_policies_golden_and_revisions_apply(slug: str, old: str, new: str) -> None:
    settings = load_settings(ROOT, env={}, overrides={"policies": "policies/**/*.md"})
    with PolicyRepo.open(settings, cache=DocumentCache(None)) as repo:
        redline = redline_of_revisions(repo, repo.policy(slug), old, new)
    tree = body(render_docx(redline))
    assert policy_paragraphs(accept_all(tree)) == expected(redline.new)
    assert policy_paragraphs(reject_all(tree)) == expected(redline.old)
    check_golden(f"formats/docx/{slug}-v{old}-v{new}.txt", readable(tree))


def test_text_formats_go_to_output_as_they_would_to_stdout(tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    for fmt in ("text", "markdown", "html", "json"):
        out = tmp_path / f"r.{fmt}"
        printed = CliRunner().invoke(main, ["diff", str(old), str(new), "--format", fmt])
        written = CliRunner().invoke(
            main, ["diff", str(old), str(new), "--format", fmt, "--output", str(out)]
        )
        assert written.exit_code == 0 and written.stdout == ""
        assert out.read_text(encoding="utf-8") == printed.stdout, fmt
