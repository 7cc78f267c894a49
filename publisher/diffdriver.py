"""``git diff`` with clause-level changes: git's external diff driver, and a textconv.

With ``*.md diff=policy`` (or the policies glob) in ``.gitattributes`` or
``.git/info/attributes``, and in git's config (``publisher hooks install --diff-driver``
sets both)::

    [diff "policy"]
        command = <python> -m publisher diff-driver    # git diff, git log -p --ext-diff
        textconv = <python> -m publisher textconv      # git log -p, git show, blame

git runs the **command** for each changed policy with the ``GIT_EXTERNAL_DIFF`` arguments
(``path old-file old-hex old-mode new-file new-hex new-mode``, two more for a rename) and
shows what it prints: our clause-level diff (:func:`driver_output`). ``git log`` and
``git show`` run external diff commands only with ``--ext-diff``; without it they use the
**textconv**: each side becomes a clause outline (:func:`outline`), one line per clause with
its id and whole text, so git's own line diff shows which clauses changed.

Both never fail on a bad file (git would abort the whole diff): a policy that does not parse
is shown as a plain line diff, or as its raw text, with a one-line note why.

git starts one process per changed file, so both start without the command line (click):
``python -m publisher`` hands git's argument shapes straight to :func:`run_driver` and
:func:`run_textconv` (:mod:`publisher.git_entry`); ``publisher diff-driver`` and
``publisher textconv`` run the same functions.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from publisher.ansi import strip
from publisher.diff import compare, render_text
from publisher.diff.model import WORKING_TREE, Side
from publisher.document import Clause, Document, PolicyMeta
from publisher.errors import PublisherError
from publisher.gitrun import diff_color_wanted
from publisher.markdown import decode_policy, parse_document

NULL = "/dev/null"
_ZERO = frozenset({"0" * 40, "0" * 64, "."})
_EMPTY = Document(meta=PolicyMeta(), title=None, clauses=())


def _read(file: str, path: str) -> tuple[str, Document]:
    if file == NULL:
        return "", _EMPTY
    text = decode_policy(Path(file).read_bytes(), path=path)
    return text, parse_document(text, path=path)


def _raw(file: str) -> list[str]:
    if file == NULL:
        return []
    return Path(file).read_bytes().decode("utf-8", "replace").splitlines(keepends=True)


def driver_output(args: Sequence[str], *, color: bool = False) -> str:
    """What git shows for one file: a ``diff --policy a/… b/…`` header, then the clause diff
    (or, for a file that does not parse, a plain line diff with a note why)."""
    if len(args) < 7:
        return f"* Unmerged path {args[0]}\n" if args else ""
    path, old_file, old_hex, _old_mode, new_file, new_hex, _new_mode = args[:7]
    new_path = args[7] if len(args) >= 9 else path
    header = f"diff --policy a/{path} b/{new_path}\n"
    if len(args) >= 9 and args[8].strip():
        header += args[8] if args[8].endswith("\n") else args[8] + "\n"
    try:
        _, old = _read(old_file, path)
        _, new = _read(new_file, new_path)
    except (PublisherError, OSError) as exc:
        note = exc.message if isinstance(exc, PublisherError) else str(exc)
        lines = difflib.unified_diff(_raw(old_file), _raw(new_file), f"a/{path}", f"b/{new_path}")
        plain = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        return f"{header}(not a clause diff: {note})\n{plain}"

    def side(file: str, hexsha: str, document: Document, other: Document) -> Side:
        """A committed (or staged) side is named by its version label; the working tree
        (git passes a zero hex) only by a label of its own: edits under the old label are
        not that version's text."""
        version = document.meta.version
        if file == NULL:
            return Side(rev=NULL, version=version)
        if hexsha in _ZERO:
            if version == other.meta.version:
                version = None
            return Side(rev=WORKING_TREE, version=version, sha256=document.sha256)
        return Side(rev=hexsha[:12], version=version, sha256=document.sha256)

    changes = compare(old, new).labelled(
        policy=new.meta.slug or old.meta.slug or new_path,
        old=side(old_file, old_hex, old, new),
        new=side(new_file, new_hex, new, old),
    )
    return header + render_text(changes, color=color)


def _clause_lines(clause: Clause, depth: int) -> list[str]:
    marker = (
        "•"
        if clause.kind == "bullet" and not clause.number
        else f"({clause.kind})"
        if clause.kind in ("table", "code", "quote")
        else None
    )
    lead = " ".join(p for p in (marker, clause.number) if p)
    text = " — ".join(p for p in (clause.heading, clause.text) if p)
    body = " ".join(p for p in (lead, text) if p)
    lines = [f"{'  ' * depth}[{clause.id}] {body}".rstrip()]
    for child in clause.children:
        lines.extend(_clause_lines(child, depth + 1))
    return lines


def outline(document: Document) -> str:
    """A policy as git's line diff should see it: its front matter facts, then one line per
    clause (indented by depth) with the clause id, number, heading and whole text."""
    meta = document.meta
    facts = [
        f"{name}: {value}"
        for name, value in (
            ("title", meta.title or document.title),
            ("slug", meta.slug),
            ("version", meta.version),
            ("effective", meta.effective.isoformat() if meta.effective else None),
            ("notice_days", meta.notice_days),
            ("summary", " ".join(meta.summary.split()) if meta.summary else None),
        )
        if value is not None
    ]
    lines = [*facts, ""] if facts else []
    for clause in document.clauses:
        lines.extend(_clause_lines(clause, 0))
    return "\n".join(lines) + "\n"


def textconv(file: str) -> str:
    """The textconv of one file: its outline, or its raw text (with a note) when it does not
    parse as a policy."""
    try:
        _, document = _read(file, file)
    except (PublisherError, OSError) as exc:
        note = exc.message if isinstance(exc, PublisherError) else str(exc)
        return f"(not a clause outline: {note})\n" + "".join(_raw(file))
    return outline(document)


def run_driver(args: Sequence[str]) -> int:
    """``publisher diff-driver ARGS``: print :func:`driver_output`, coloured when git colours
    diffs here (``color.diff``/``color.ui``; ``auto`` on a terminal or in git's pager) and
    NO_COLOR is not set. Returns the exit status (0)."""
    terminal = sys.stdout.isatty() or os.environ.get("GIT_PAGER_IN_USE") == "true"
    colour = "NO_COLOR" not in os.environ and diff_color_wanted(Path.cwd(), terminal=terminal)
    _write(driver_output(args, color=colour), colour)
    return 0


def run_textconv(file: str) -> int:
    """``publisher textconv FILE``: print :func:`textconv` of FILE. Returns 0."""
    _write(textconv(file), sys.stdout.isatty())
    return 0


def _write(text: str, colour: bool) -> None:
    """Write to stdout as ``click.echo`` would: escape sequences only when colouring."""
    sys.stdout.write(text if colour else strip(text))
    sys.stdout.flush()
