"""``publisher import``: existing policies (copied text, saved web pages, Word documents) made
policy files whose clause tree has the numbers, headings and nesting of the original."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from example_history import ROOT
from gitrepo import GitRepo
from goldens import check_golden

from publisher.cli import main
from publisher.diff.sources import read_file
from publisher.document import Clause, Document
from publisher.importing import import_bytes, import_file
from publisher.markdown import parse_document
from publisher.outline import render_outline

# Copied from a hosting provider's page: numbered obligations, each with nested "•" examples.
OBLIGATIONS = """\
Acceptable Use Policy
Effective date: 1 March 2026

By using Example Hosting’s services you agree to the “Rules” below.

1. You shall not use the Services for anything unlawful. This includes:
• storing material that infringes copyright;
• offering illegal goods.
2. You shall not send spam, for example:
• bulk commercial email;
   o including email sent through open relays
• messages with forged headers.
3. You shall not mine cryptocurrency.
"""

# Titled sections, each with a list; bullets of each kind; a lettered list; a continuation.
SECTIONS = """\
TERMS OF SERVICE
Last updated: January 5, 2026

ACCOUNTS
- You must give accurate details.
- You must keep your password secret and tell us at
  once if it is stolen.

Payment Terms
* Fees are due monthly.
* Late fees apply:
    (a) after 14 days;
    (b) after 30 days, twice.

PROHIBITED CONTENT
o Malware.
o Phishing pages.

Contact Us
Write to legal@example.com.
"""

PAGE = """\
<!DOCTYPE html>
<html><head><title>Privacy Policy | Example Hosting</title>
<script>window.track = "Do not import me";</script><style>.x { color: red }</style></head>
<body>
<header class="site-header"><a href="/">Example Hosting</a> <span>Log in</span></header>
<nav><ul><li><a href="/pricing">Pricing</a></li><li><a href="/docs">Docs</a></li></ul></nav>
<div class="cookie-banner">We use cookies. <button>OK</button></div>
<main>
<h1>Privacy Policy</h1>
<p>Last updated: <time>February 2, 2026</time></p>
<p>This policy explains what we collect about <em>you</em>.</p>
<h2>1. What We Collect</h2>
<ol>
<li>Account details, such as:
  <ul><li>your name;</li><li>your email address.</li></ul>
</li>
<li>Billing details.</li>
</ol>
<h2>2. Your Rights</h2>
<p><strong>Access.</strong> You may ask for a copy of your data.</p>
<p><img src="chart.png" alt="Data flow chart"></p>
<table><tr><th>Data</th><th>Kept for</th></tr><tr><td>Logs</td><td>30 days</td></tr></table>
</main>
<aside>Related: Terms of Service</aside>
<footer class="site-footer">© 2026 Example Hosting · <a href="/privacy">Privacy</a></footer>
<script>alert("nor me")</script>
</body></html>
"""

GOLDEN = "formats/import"


def tree(document: Document) -> list[str]:
    """The clause tree as a person draws it: indentation, number, heading, text."""
    lines: list[str] = []

    def walk(clause: Clause, depth: int) -> None:
        label = " ".join(p for p in (clause.number, clause.heading) if p)
        lines.append("  " * depth + (f"{label} | " if label else "") + clause.text)
        for child in clause.children:
            walk(child, depth + 1)

    for clause in document.clauses:
        walk(clause, 0)
    return lines


def imported_tree(data: str | bytes, kind: str) -> tuple[Document, tuple[str, ...]]:
    raw = data.encode() if isinstance(data, str) else data
    result = import_bytes(raw, kind=kind)
    return parse_document(result.markdown, path="imported.md"), result.unplaced


def test_numbered_obligations_with_nested_bullets() -> None:
    document, unplaced = imported_tree(OBLIGATIONS, "text")
    assert document.title == "Acceptable Use Policy"
    assert document.meta.effective is not None
    assert document.meta.effective.isoformat() == "2026-03-01"
    assert tree(document) == [
        "Effective date: 1 March 2026",
        "By using Example Hosting’s services you agree to the “Rules” below.",
        "1. | You shall not use the Services for anything unlawful. This includes:",
        "  storing material that infringes copyright;",
        "  offering illegal goods.",
        "2. | You shall not send spam, for example:",
        "  bulk commercial email;",
        "    including email sent through open relays",
        "  messages with forged headers.",
        "3. | You shall not mine cryptocurrency.",
    ]
    assert [c.kind for c in document.clauses[2].children] == ["bullet", "bullet"]
    assert unplaced == ()


def test_titled_sections_with_lists_of_each_bullet_kind() -> None:
    document, unplaced = imported_tree(SECTIONS, "text")
    assert document.title == "TERMS OF SERVICE"
    assert document.meta.effective is not None
    assert document.meta.effective.isoformat() == "2026-01-05"
    assert tree(document) == [
        "Last updated: January 5, 2026",
        "ACCOUNTS | ",
        "  You must give accurate details.",
        "  You must keep your password secret and tell us at once if it is stolen.",
        "Payment Terms | ",
        "  Fees are due monthly.",
        "  Late fees apply:",
        "    (a) | after 14 days;",
        "    (b) | after 30 days, twice.",
        "PROHIBITED CONTENT | ",
        "  Malware.",
        "  Phishing pages.",
        "Contact Us | ",
        "  Write to legal@example.com.",
    ]
    assert unplaced == ()


def test_html_page_keeps_main_content_only() -> None:
    result = import_bytes(PAGE.encode(), kind="html")
    for furniture in (
        "Pricing",
        "Log in",
        "cookies",
        "Related",
        "©",
        "Do not import",
        "nor me",
        "color: red",
    ):
        assert furniture not in result.markdown
    document = parse_document(result.markdown, path="p.md")
    assert document.title == "Privacy Policy"
    assert tree(document) == [
        "Last updated: February 2, 2026",
        "This policy explains what we collect about you.",
        "1. What We Collect | ",
        "  1. | Account details, such as:",
        "    your name;",
        "    your email address.",
        "  2. | Billing details.",
        "2. Your Rights | ",
        "  Access | You may ask for a copy of your data.",
        "  Data | Kept for / Logs | 30 days",
    ]
    assert result.unplaced == ("line 21: <img> Data flow chart not imported",)
    check_golden(f"{GOLDEN}/page.md", result.markdown)


def test_word_document_made_with_python_docx(tmp_path: Path) -> None:
    word = docx.Document()
    word.add_heading("Reseller Terms", level=1)
    word.add_paragraph("Effective date: April 1, 2026")
    word.add_heading("Obligations", level=2)
    word.add_paragraph("You shall not resell without a reseller agreement.", style="List Number")
    word.add_paragraph("You shall keep your customers’ data safe.", style="List Number")
    # python-docx's template has one-level lists: a typed label nests under the Word list.
    word.add_paragraph("(a) Encrypt backups.")
    word.add_heading("Termination", level=2)
    word.add_paragraph("Either party may end these terms with 30 days’ notice.")
    path = tmp_path / "reseller.docx"
    word.save(str(path))
    result = import_file(path)
    document = parse_document(result.markdown, path="r.md")
    assert document.title == "Reseller Terms"
    assert result.effective is not None and result.effective.isoformat() == "2026-04-01"
    assert tree(document) == [
        "Effective date: April 1, 2026",
        "Obligations | ",
        "  1. | You shall not resell without a reseller agreement.",
        "  2. | You shall keep your customers’ data safe.",
        "    (a) | Encrypt backups.",
        "Termination | ",
        "  Either party may end these terms with 30 days’ notice.",
    ]


@pytest.mark.parametrize("slug", ["acceptable-use", "terms-of-service", "privacy"])
def test_example_policies_round_trip_through_their_site_page(slug: str) -> None:
    """The site's page of each example policy, imported, gives the same clause tree."""
    from publisher.pages import policy_body
    from publisher.sanitize import clause_bodies

    original = read_file(ROOT / "policies" / f"{slug}.md")
    page = (
        f"<html><head><title>{original.title} | Northwind</title></head><body>"
        "<nav><a href='/'>Home</a></nav><main>"
        f"<h1>{original.title}</h1>{policy_body(original, clause_bodies(original))}"
        "</main><footer>Northwind Cloud Ltd.</footer></body></html>"
    )
    result = import_bytes(page.encode(), kind="html")
    document = parse_document(result.markdown, path=f"{slug}.md")
    assert [(c.id, c.kind, c.number, c.heading, c.text) for c in document.walk()] == [
        (c.id, c.kind, c.number, c.heading, c.text) for c in original.walk()
    ]
    assert result.unplaced == ()
    check_golden(f"{GOLDEN}/{slug}.md", result.markdown)


def test_what_cannot_be_placed_is_reported() -> None:
    text = "Rules\n\n    • an example with nothing above it\nUpdated: soon\n1. One.\n3. Three.\n"
    result = import_bytes(text.encode(), kind="text")
    assert result.unplaced == (
        "line 4: the date in “Updated: soon” is not understood; no effective date set from it",
        "line 3: “an example with nothing above it” is indented under no list item; "
        "placed at the top level",
        "numbering jumps from 1. to 3.; the list is renumbered from 1.",
    )


def run(*args: str, repo: Path | None = None) -> tuple[int, str, str]:
    prefix = ["--repo", str(repo)] if repo else []
    result = CliRunner().invoke(main, [*prefix, *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_output_force_and_json(tmp_path: Path) -> None:
    source = tmp_path / "aup.txt"
    source.write_text(OBLIGATIONS, encoding="utf-8")
    out = tmp_path / "aup.md"
    code, stdout, stderr = run("import", str(source), "--output", str(out))
    assert code == 0, stderr
    assert stdout == ""
    assert out.read_text(encoding="utf-8").startswith("---\ntitle: Acceptable Use Policy\n")
    assert "aup.md: written (0 to check)" in stderr

    code, _, stderr = run("import", str(source), "--output", str(out))
    assert code == 2
    assert stderr.splitlines()[0] == f"error: {out} exists"
    assert "--force" in stderr and "Traceback" not in stderr

    code, stdout, _ = run("import", str(source), "-o", str(out), "--force", "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    assert data["title"] == "Acceptable Use Policy" and data["effective"] == "2026-03-01"
    assert data["unplaced"] == [] and data["markdown"] == out.read_text(encoding="utf-8")


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "policy.rtf"
    odd.write_text("{\\rtf1}", encoding="utf-8")
    code, _, stderr = run("import", str(odd))
    assert code == 2
    assert stderr.splitlines()[0] == f"error: {odd}: cannot tell what kind of file .rtf is"
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    code, _, stderr = run("import", str(broken))
    assert code == 2
    assert stderr.startswith(f"error: {broken}: not a readable Word document")
    assert "Traceback" not in stderr
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    code, _, stderr = run("import", str(empty))
    assert code == 2 and "no policy text found" in stderr


def test_commit_two_imports_and_diff_them(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Start", files={"README.md": "Policies\n"})
    first = tmp_path / "v1.txt"
    first.write_text(OBLIGATIONS, encoding="utf-8")
    target = repo.path / "policies" / "acceptable-use.md"
    target.parent.mkdir()
    code, _, stderr = run("import", str(first), "-o", str(target), "--commit", repo=repo.path)
    assert code == 0, stderr
    assert repo.log("--format=%s")[0] == "Import Acceptable Use Policy from v1.txt"
    code, stdout, _ = run("show", "acceptable-use", repo=repo.path)
    assert code == 0
    assert render_outline(read_file(target)) == stdout

    code, _, stderr = run(
        "import", str(first), "-o", str(target), "--commit", "--force", repo=repo.path
    )
    assert code == 2 and "already has history" in stderr

    second = tmp_path / "v2.txt"
    second.write_text(
        OBLIGATIONS.replace("1 March 2026", "1 June 2026").replace(
            "3. You shall not mine cryptocurrency.\n",
            "3. You shall not mine cryptocurrency on shared hosts.\n4. You shall not resell.\n",
        ),
        encoding="utf-8",
    )
    old = tmp_path / "old.md"
    new = tmp_path / "new.md"
    assert run("import", str(first), "-o", str(old))[0] == 0
    assert run("import", str(second), "-o", str(new))[0] == 0
    code, stdout, _ = run("diff", str(old), str(new), "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    kinds = sorted((c["kind"], (c["new"] or c["old"])["id"]) for c in data["changes"])
    assert kinds == [("added", "4"), ("modified", "3")]
    assert data["meta_changes"] == [
        {"field": "effective", "old": "2026-03-01", "new": "2026-06-01"},
        {"field": "line", "old": "1 March 2026", "new": "1 June 2026", "label": "Effective date"},
    ]


def test_numbered_title_case_headings_and_dotted_clauses() -> None:
    text = (
        "Hosting Terms\nLast Updated: June 1, 2024\n\n1. Introduction\nThese terms govern "
        "your use of our hosting.\n\n2. DEFINITIONS\n2.1 “Account” means your account.\n"
        "2.2 “Services” means our hosting.\n\n3. Prohibited Activities\nYou may not use "
        "the Services to:\n• send spam;\n• host malware.\n"
    )
    document, unplaced = imported_tree(text, "text")
    assert [(c.id, c.number, c.heading, c.text) for c in document.walk()] == [
        ("p1", None, None, "Last Updated: June 1, 2024"),
        ("1", "1.", "Introduction", ""),
        ("1.p1", None, None, "These terms govern your use of our hosting."),
        ("2", "2.", "DEFINITIONS", ""),
        ("2.2-1", "2.1", None, "“Account” means your account."),
        ("2.2-2", "2.2", None, "“Services” means our hosting."),
        ("3", "3.", "Prohibited Activities", ""),
        ("3.p1", None, None, "You may not use the Services to:"),
        ("3.l1", None, None, "send spam;"),
        ("3.l2", None, None, "host malware."),
    ]
    assert unplaced == ()
