"""Shared by the change-kind tests: parse synthetic policies, compare them, and check the
four renderings against golden files under ``tests/golden/diff/kinds/`` (``UPDATE_GOLDEN=1``
rewrites them)."""

from __future__ import annotations

import json
from pathlib import Path

from goldens import check_golden

from publisher.diff import (
    ChangeSet,
    compare,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from publisher.markdown import parse_document

GOLDEN = Path(__file__).resolve().parent / "golden" / "diff" / "kinds"


def policy(body: str) -> str:
    return "---\ntitle: Terms\nslug: terms\n---\n\n# Terms\n\n" + body


def diff(old: str, new: str, golden: str | None = None) -> ChangeSet:
    changes = compare(parse_document(policy(old)), parse_document(policy(new)))
    if golden is not None:
        check(f"{golden}.txt", render_text(changes))
        check(f"{golden}.md", render_markdown(changes))
        check(f"{golden}.html", render_html(changes))
        check(
            f"{golden}.json", json.dumps(render_json(changes), indent=2, ensure_ascii=False) + "\n"
        )
    return changes


def check(name: str, text: str) -> None:
    check_golden(GOLDEN / name, text)


def kinds(changes: ChangeSet) -> list[str]:
    return [c.kind for c in changes.changes]
