"""docs/notices.md documents every notice command, option and mail setting."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from publisher.cli import command
from publisher.config import setting_docs

DOC = (Path(__file__).resolve().parents[1] / "docs" / "notices.md").read_text()
SETTINGS = (
    "mailer",
    "outbox_dir",
    "notice_days",
    "mail_from",
    "reply_to",
    "contact",
    "remind_after_days",
    "receipts",
    "mail_timeout",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password",
    "sendgrid_api_key",
    "sendgrid_host",
    "sendgrid_webhook_key",
)


def _commands() -> list[tuple[str, click.Command]]:
    group = command("notice")
    assert isinstance(group, click.Group)
    return [(f"notice {name}", command) for name, command in group.commands.items()]


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: str(v))
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    assert f"publisher {name}" in DOC
    for parameter in command.params:
        for option in getattr(parameter, "opts", []):
            if option.startswith("--") and option not in ("--help", "--database-url"):
                assert option in DOC, f"{name} {option} is not in docs/notices.md"


@pytest.mark.parametrize("name", SETTINGS)
def test_every_mail_setting_is_documented(name: str) -> None:
    assert name in setting_docs()
    assert f"| `{name}` | `PUBLISHER_{name.upper()}` |" in DOC
