"""docs/acceptance.md documents every store command, option and acceptance setting."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from publisher.cli import command
from publisher.config import setting_docs

DOC = (Path(__file__).resolve().parents[1] / "docs" / "acceptance.md").read_text()
GROUPS = ("db", "customers", "acceptance", "audit")
SETTINGS = (
    "database_url",
    "secret_key",
    "accept_url",
    "site_url",
    "link_max_age_days",
    "api_token",
    "status_cache_size",
    "trusted_proxy_header",
    "trusted_proxies",
    "evidence_key",
    "anchor_interval",
    "retention_days",
)


def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = [("web", command("web"))]
    for name in GROUPS:
        group = command(name)
        assert isinstance(group, click.Group)
        found += [(f"{name} {sub}", command) for sub, command in group.commands.items()]
    return found


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: str(v))
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    assert f"publisher {name}" in DOC
    for parameter in command.params:
        for option in getattr(parameter, "opts", []):
            if option.startswith("--") and option not in ("--help", "--database-url"):
                assert option in DOC, f"{name} {option} is not in docs/acceptance.md"


@pytest.mark.parametrize("name", SETTINGS)
def test_every_acceptance_setting_is_documented(name: str) -> None:
    assert name in setting_docs()
    assert f"| `{name}` | `PUBLISHER_{name.upper()}` |" in DOC
