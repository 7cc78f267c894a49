"""State shared by every command: where the repository is and its settings, loaded lazily."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the settings load when a command asks for them, not for `diff A B`
    from publisher.config import Settings

__all__ = ["FORMAT_OPTION", "App", "echo_json", "echo_table", "pass_app"]


@dataclass
class App:
    repo: str
    overrides: dict[str, Any] = field(default_factory=dict)
    debug: bool = False

    def apply(
        self,
        *,
        repo: str | None = None,
        policies: str | None = None,
        database_url: str | None = None,
        debug: bool = False,
    ) -> None:
        """Apply global options given after the subcommand (None/False: not given)."""
        if repo is not None:
            self.repo = repo
        for name, value in (("policies", policies), ("database_url", database_url)):
            if value is not None:
                self.overrides[name] = value
        self.debug = self.debug or debug
        self.__dict__.pop("settings", None)  # read again with the new values

    @cached_property
    def settings(self) -> Settings:
        from publisher.config import load_settings

        return load_settings(Path(self.repo), overrides=self.overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Settings with command-specific flags applied (None = not given)."""
        from publisher.config import load_settings

        merged = {**self.overrides, **{k: v for k, v in overrides.items() if v is not None}}
        return load_settings(Path(self.repo), overrides=merged)


pass_app = click.make_pass_decorator(App)

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format; json prints one JSON document on stdout.",
)


def echo_json(data: Any) -> None:
    """Print one JSON document on stdout."""
    import json  # --format json only: `publisher diff a.md b.md` prints text

    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def echo_table(headers: list[str], rows: list[list[str]]) -> None:
    """Print rows as aligned plain-text columns (never wrapped: pipes and greps stay easy)."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(click.style(line.rstrip(), bold=True))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
