"""``publisher settings``: every setting, its value and where it can be set."""

from __future__ import annotations

import re
from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.config import explain_settings, setting_docs
from publisher.counting import counted

SECRETS = frozenset({"secret_key", "api_token", "api_tokens", "smtp_password", "sendgrid_api_key"})
"""Settings whose values are never printed, only whether they are set."""


@click.command("settings")
@FORMAT_OPTION
@pass_app
def settings_command(app: App, fmt: str) -> None:
    """Show every setting with its current value and description.

    Settings are read from [tool.publisher] in pyproject.toml or publisher.toml, then from
    PUBLISHER_<NAME> environment variables, then from flags.
    """
    settings, sources = explain_settings(Path(app.repo), overrides=app.overrides)
    docs = setting_docs()
    rows = []
    for name, doc in docs.items():
        value = getattr(settings, name)
        if name in SECRETS:
            if isinstance(value, tuple):
                value = f"<{counted(len(value), 'key')}>" if value else "<not set>"
            else:
                value = "<set>" if value else "<not set>"
        elif isinstance(value, tuple):
            value = list(value)
        elif name == "database_url":
            value = mask_password(value)
        rows.append(
            {
                "name": name,
                "env": f"PUBLISHER_{name.upper()}",
                "value": value,
                "source": sources[name],
                "doc": doc,
            }
        )
    if fmt == "json":
        echo_json({"root": str(settings.root), "settings": rows})
        return
    for row in rows:
        click.echo(f"{row['name']} = {row['value']!r}    (from {row['source']}; env {row['env']})")
        click.echo(f"    {row['doc']}")


def mask_password(url: str) -> str:
    """A database URL with its password replaced by ``***``."""
    return re.sub(r"^([a-z0-9+.-]+://[^:/@]*:)[^@]*@", r"\1***@", url, flags=re.I)


COMMANDS = [settings_command]
