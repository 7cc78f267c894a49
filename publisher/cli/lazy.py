"""A click group that imports a command's module only when that command runs.

The group is given a table, command name → :class:`LazyCommand` (the module of
``publisher.cli`` that defines it, in its ``COMMANDS``, and its short help). ``publisher
--help`` lists every visible command from the table without importing any of their modules;
``publisher diff a.md b.md`` imports ``publisher.cli.diff`` and nothing of the other
commands (no SQLAlchemy, Jinja, mkdocs, Starlette, GitPython). A loaded command gets the
table's short help, so the listing says the same whether a command is loaded or not.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import click

__all__ = ["LazyCommand", "LazyGroup"]


class LazyCommand(NamedTuple):
    """Where a command is defined and what ``--help`` of its group says about it (a named
    tuple: cheaper to define than a dataclass, at every start)."""

    module: str
    """Module of ``publisher.cli`` whose ``COMMANDS`` list holds the command."""
    short_help: str
    """One line for the group's command list (hidden commands: what git runs it for)."""
    hidden: bool = False


class LazyGroup(click.Group):
    """A group whose commands load from their modules on first use (see the module doc).

    ``table`` names every lazily loaded command; ``prepare`` runs once on each command as it
    is registered (the CLI adds the global options there)."""

    def __init__(
        self,
        *args: Any,
        table: Mapping[str, LazyCommand] | None = None,
        prepare: Callable[[click.Command], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.table: Mapping[str, LazyCommand] = table or {}
        self.prepare = prepare

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.table))

    def visible_commands(self) -> list[str]:
        """The names ``--help`` lists (and a mistyped name may be corrected to)."""
        return [
            name
            for name in sorted(set(self.commands) | set(self.table))
            if not (self.commands[name] if name in self.commands else self.table[name]).hidden
        ]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.table:
            return command
        module = importlib.import_module(f"publisher.cli.{self.table[cmd_name].module}")
        for found in module.COMMANDS:
            self._register(found)
        return super().get_command(ctx, cmd_name)

    def _register(self, command: click.Command) -> None:
        if command.name in self.commands:  # loaded before, through another of its names
            return
        entry = self.table.get(command.name or "")
        if entry is not None:
            command.short_help = entry.short_help
        if self.prepare is not None:
            self.prepare(command)
        self.add_command(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, from the table (no module imported) and the loaded commands."""
        rows = []
        for name in self.visible_commands():
            loaded = self.commands.get(name)
            if loaded is not None:
                rows.append((name, loaded.get_short_help_str(formatter.width)))
            else:
                rows.append((name, self.table[name].short_help))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
