"""``publisher settings``: every setting, its value and where it can be set."""

from __future__ import annotations

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.config import setting_docs


SECRETS = frozenset({"secret_key", "api_token", "smtp_password", "sendgrid_api_key"})
"""Settings whose values are never printed, only whether they are set."""


@click.command("settings")
@FORMAT_OPTION
@pass_app
def settings_command(app: App, fmt: str) -> None:
    """Show every setting with its current value and description.

    Settings are read from [tool.publisher] in pyproject.toml or publisher.toml, then from
    PUBLISHER_<NAME> environment variables, then from flags.
    """
    settings = app.settings
    docs = setting_docs()
    rows = []
    for name, doc in docs.items():
        value = getattr(settings, name)
        if name in SECRETS:
            if isinstance(value, tuple):
                value = f"<{len(value)} key(s)>" if value else "<not set>"
            else:
                value = "<set>" if value else "<not set>"
        elif isinstance(value, tuple):
            value = list(value)
        rows.append({"name": name, "env": f"PUBLISHER_{name.upper()}", "value": value, "doc": doc})
    if fmt == "json":
        echo_json({"root": str(settings.root), "settings": rows})
        return
    for row in rows:
        click.echo(f"{row['name']} = {row['value']!r}    ({row['env']})")
        click.echo(f"    {row['doc']}")


COMMANDS = [settings_command]
