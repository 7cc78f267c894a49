"""Issue 11 item 2: lint and the parser stay linear on pathological input (ReDoS).

A 40 KB policy of "[" took 53 s in the pre-receive hook; "1.1.1…" in a heading,
"Section 1 and 2 and …", "![" x 50k and "<!--" x 25k took 2–47 s. Each shape is linted at
100,000 characters the way the pre-receive hook does (``run_lint`` at a commit of a real
repository), under a generous bound; a hypothesis test mixes the shapes' pieces. The times
themselves are measured in ``benchmarks/bench_pathological.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import GitRepo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.config import load_settings
from publisher.html_text import html_text
from publisher.lint import run_lint
from publisher.markdown import parse_document

SIZE = 100_000
BOUND_S = (
    30.0  # generous: under 1 s each on a quiet machine, ~8 s at load 15; quadratic was minutes
)

FRONT = "---\ntitle: Shapes\n---\n"


def _repeat(piece: str, size: int = SIZE, prefix: str = "") -> str:
    return prefix + piece * ((size - len(prefix)) // len(piece)) + "\n"


#: The shapes of the attack run, and pieces of the others the rules' patterns look for.
SHAPES: dict[str, Callable[[], str]] = {
    "brackets": lambda: _repeat("["),
    "dotted-heading": lambda: _repeat("1.", prefix="## "),
    "dotted-heading-text": lambda: _repeat("1.", prefix="### ") + "x\n",
    "section-and": lambda: _repeat(" and 2", prefix="See Section 1") + ".\n",
    "images": lambda: _repeat("!["),
    "comments": lambda: _repeat("<!--"),
    "escaped-brackets": lambda: _repeat("\\["),
    "link-openers": lambda: _repeat("[a]("),
    "link-titles": lambda: _repeat('[a](u "'),
    "close-bracket": lambda: _repeat(") ["),
    "sections": lambda: _repeat("Section 1 "),
    "statutes": lambda: _repeat("Title 17, Section 512 "),
    "linked-references": lambda: _repeat("[Section 9](/x) Section 9 "),
    "unclosed-tags": lambda: _repeat("<a ", prefix="<div>\n"),
    "unclosed-attributes": lambda: _repeat('<a b="', prefix="<div>\n"),
    "declarations": lambda: _repeat("<![ ", prefix="<div>\n"),
    "nested-divs": lambda: _repeat("<div>", prefix="<div>\n"),
    "nested-html-lists": lambda: _repeat("<ul><li>", prefix="<div>\n"),
    "html-items": lambda: _repeat("<li>y", prefix="<ul>\n"),
    "silencing": lambda: _repeat("<!-- publisher-lint: disable numbering-gap "),
    "dotted-items": lambda: _repeat("4."),
}


def _lint_at_commit(tmp_path: Path, body: str) -> tuple[float, int]:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/shapes.md", FRONT + body)
    repo.commit("Add a pathological policy")
    start = time.perf_counter()
    report = run_lint(load_settings(repo.path), rev="HEAD")
    return time.perf_counter() - start, len(report.findings)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_lints_in_bounded_time(tmp_path: Path, shape: str) -> None:
    body = SHAPES[shape]()
    assert len(body) >= SIZE - 50
    elapsed, _ = _lint_at_commit(tmp_path, body)
    assert elapsed < BOUND_S, f"{shape}: lint took {elapsed:.1f} s at {len(body):,} characters"


def test_many_references_quote_a_long_one_shortly(tmp_path: Path) -> None:
    """ "Section 1 and 2 and …" names one missing number 16,000 times: one finding for it,
    whose message does not quote all 100 KB of the reference."""
    _, count = _lint_at_commit(tmp_path, SHAPES["section-and"]())
    assert count == 2  # "1" and "2": no clause has either number
    repo = GitRepo(tmp_path / "repo")
    report = run_lint(load_settings(repo.path), rev="HEAD")
    assert all(len(f.message) < 300 for f in report.findings)


PIECES = [
    "[",
    "]",
    "(",
    ")",
    "![",
    "\\",
    "<!--",
    "-->",
    "<a ",
    '"',
    "'",
    "=",
    ">",
    "<",
    "1.",
    "Section ",
    "and ",
    "(a)",
    "of the ",
    "U.S.C. ",
    "*",
    "_",
    "`",
    "#",
    "\n",
    " ",
    "href=",
    "publisher-lint: disable ",
    "B",
    "§",
]


@settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=4), st.sampled_from(["", "## ", "1. "])
)
def test_mixtures_of_pieces_parse_in_bounded_time(pieces: list[str], prefix: str) -> None:
    """Any short run of the patterns' pieces, repeated to 100 KB on one line: the parser
    and every rule that needs no history stay under the bound (and raise nothing)."""
    from publisher.lint.links import policy_link_findings
    from publisher.lint.repository import LintTarget, lint_source

    body = _repeat("".join(pieces).replace("\n", " "), prefix=prefix)
    start = time.perf_counter()
    document, _ = lint_source(LintTarget("policies/p.md", FRONT + body))
    assert document is not None
    policy_link_findings(document, FRONT + body, "policies/p.md", _NoPolicies())
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND_S, f"{pieces!r}: {elapsed:.1f} s"


class _NoPolicies:
    """A repository with this one policy and no other file."""

    def slugs(self) -> set[str]:
        return {"p"}

    def slug_at(self, path: str) -> str | None:
        return "p" if path == "policies/p.md" else None

    def exists(self, path: str) -> bool:
        return path == "policies/p.md"

    def labels(self, slug: str) -> set[str]:
        return set()

    def document_of(self, slug: str, label: str | None = None) -> None:
        return None


# --- the HTML of a policy: what a reader sees, now from a linear scan ---------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>Fees &amp; charges</p>", " Fees & charges "),
        ('<img alt="Logo &amp; mark" src="l.png">', " Logo & mark "),
        ('<a href="x>y" title=\'a "b"\'>link</a>', "link"),
        ("<script>var x = '<p>';</script>shown", "shown"),
        ("<STYLE>p { }</STYLE>shown", "shown"),
        ("<template><b>hidden</b></template>shown", "shown"),
        ("<!-- a -->kept<!-- unclosed", "kept"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
        ("<![CDATA[x]]>after", "after"),
        ("<?php echo 1 ?>after", "after"),
        ('text <a href="unclosed', "text "),
        ("<![ <![ x", ""),
    ],
)
def test_html_text(raw: str, text: str) -> None:
    assert html_text(raw) == text


def test_a_declaration_in_an_html_block_does_not_crash_the_parser() -> None:
    """``HTMLParser`` raised AssertionError on ``<![ ``: a policy with it could not be parsed."""
    document = parse_document("<div>\n<![ a <![ b\n</div>\n\nAfter.\n")
    assert [c.text for c in document.clauses] == ["After."]
