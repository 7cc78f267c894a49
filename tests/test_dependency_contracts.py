"""The parts of our dependencies we rely on beyond their documented API.

``publisher/mistune_lines.py`` subclasses mistune 3's block parser and block state to stamp every
token with its source line: it overrides ``BlockParser.parse_method`` and reads the private
``_methods`` table, and overrides ``BlockState.append_token``, ``add_paragraph`` and
``child_state``. A mistune release that renames any of them would silently drop line numbers
(lint's file:line, the diff's source spans); this test fails loudly first, naming what moved.
The pins in pyproject.toml keep such a release out until this test is updated.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import mistune
from mistune import BlockParser, BlockState

from publisher.markdown import parse_document
from publisher.mistune_lines import MOVING, STAMPED_BY_PARSER

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_block_parser_dispatch_is_what_markdown_py_overrides() -> None:
    parser = BlockParser()
    assert _parameters(BlockParser.parse_method) == ["self", "m", "state"], (
        "mistune changed BlockParser.parse_method(m, state): update _LineBlockParser"
    )
    methods = getattr(parser, "_methods", None)
    assert isinstance(methods, dict), (
        "mistune dropped BlockParser._methods: update _LineBlockParser"
    )
    missing = (MOVING | STAMPED_BY_PARSER) - set(methods) - {"raw_html"}
    assert not missing, f"mistune renamed block rules {sorted(missing)}: update mistune_lines.py"


def test_block_state_hooks_exist_with_the_signatures_we_override() -> None:
    assert _parameters(BlockState.append_token) == ["self", "token"]
    assert _parameters(BlockState.add_paragraph) == ["self", "text"]
    assert _parameters(BlockState.child_state)[:2] == ["self", "src"]
    state = BlockState()
    for attribute in ("src", "tokens", "cursor"):
        assert hasattr(state, attribute), f"mistune's BlockState lost {attribute!r}"


def test_lines_still_reach_every_clause() -> None:
    # The behaviour the internals serve: each clause knows its first source line, inside
    # lists and block quotes too.
    text = "# T\n\n## A. One\n\nIntro.\n\n1. First\n2. Second\n\n> Quoted\n\n<p>Raw</p>\n"
    lines = {clause.text: clause.lines[0] for clause in parse_document(text).walk() if clause.text}
    assert lines["Intro."] == 5
    assert lines["First"] == 7
    assert lines["Second"] == 8


def test_pyproject_bounds_the_majors_we_rely_on() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = {re.split(r"[<>=!\[ ]", spec, maxsplit=1)[0].lower(): spec for spec in dependencies}
    assert "<4" in pins["mistune"], "pin mistune below 4: markdown.py uses its internals"
    assert "<2" in pins["mkdocs"], "pin mkdocs below 2: 2.0 drops plugins"
    assert mistune.__version__.startswith("3."), mistune.__version__
