"""docs/site.md documents every plugin option, every URL form, every template and every
option of `publisher build` and `publisher serve` (the docs test fails when one is missing)."""

from __future__ import annotations

import re
from pathlib import Path

from publisher.cli.site import build_command, serve_command
from publisher.mkdocs_plugin import PoliciesConfig

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "site.md").read_text(encoding="utf-8")


def _options_table() -> dict[str, str]:
    table = DOC.split("<!-- plugin-options -->", 1)[1].split("\n\n", 1)[0]
    return {m[1]: m[2] for m in re.finditer(r"^\| `(\w+)` \|[^|]*\| (.+) \|$", table, re.M)}


def test_every_plugin_option_is_in_the_options_table() -> None:
    options = {name for name, _ in PoliciesConfig._schema}
    assert options == set(_options_table())
    for name in options:
        assert re.search(rf"^\s+{name}: ", DOC, re.M), f"{name} missing from the example"


def test_every_url_form_is_documented() -> None:
    for path in (
        "/<slug>/",
        "/<slug>/versions/",
        "/<slug>/v/<label>/",
        "/<slug>/changes/<old>..<new>/",
        "/<slug>/changes/<old>..<new>/material/",
        "/<slug>/feed.xml",
        "/feed.xml",
        "/api/policies.json",
        "/api/<slug>/versions.json",
        "/api/<slug>/v/<label>.json",
        "/api/<slug>/changes/<old>..<new>.json",
    ):
        assert f"| `{path}` |" in DOC, path


def test_every_template_is_documented() -> None:
    package = ROOT / "publisher" / "templates"
    for folder in ("site", "fragments", "mkdocs_theme"):
        for template in sorted((package / folder).iterdir()):
            assert f"| `{folder}/{template.name}` |" in DOC, template.name


def test_every_command_option_is_documented() -> None:
    for command in (build_command, serve_command):
        assert f"`publisher {command.name} [" in DOC
        for param in command.params:
            for flag in param.opts:
                if flag.startswith("--"):
                    assert flag in DOC, f"{command.name} {flag}"
