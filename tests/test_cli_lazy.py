"""Lazy command registration (issue 14 item 5): ``publisher --help`` lists every command from
one table of short help strings without importing any command's module, and running a
command imports its own module only."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections import defaultdict

import click
import pytest
from cli_probe_support import probe_cli
from click.testing import CliRunner

from publisher.cli import COMMAND_TABLE, all_commands, main
from publisher.cli.lazy import LazyCommand, LazyGroup

CORE = {"publisher.cli", "publisher.cli.app", "publisher.cli.lazy", "publisher.cli.options"}


def _run(*args: str) -> tuple[int | None, set[str], str, str]:
    done = probe_cli(list(args))
    return done.code, done.modules, done.stdout, done.stderr


def _command_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("publisher.cli.")} - CORE


def _listing(help_text: str) -> dict[str, str]:
    section = help_text.split("\nCommands:\n", 1)[1]
    rows = [line.split(None, 1) for line in section.splitlines() if line.strip()]
    return {name: text for name, text in rows}


def test_help_lists_every_visible_command_without_importing_one() -> None:
    code, modules, out, _ = _run("--help")
    assert code == 0
    assert _command_modules(modules) == set()
    assert "sqlalchemy" not in modules and "publisher.config" not in modules
    visible = {name: e.short_help for name, e in COMMAND_TABLE.items() if not e.hidden}
    assert _listing(out) == visible
    assert "diff-driver" not in _listing(out) and "textconv" not in _listing(out)


def test_the_table_names_exactly_the_commands_each_module_defines() -> None:
    by_module: dict[str, set[str]] = defaultdict(set)
    for name, entry in COMMAND_TABLE.items():
        by_module[entry.module].add(name)
    for module_name, names in by_module.items():
        module = importlib.import_module(f"publisher.cli.{module_name}")
        defined = {command.name for command in module.COMMANDS}
        assert defined == names, module_name


def test_loaded_commands_say_what_the_table_says() -> None:
    loaded = all_commands()
    assert set(loaded) == set(COMMAND_TABLE)
    for name, command in loaded.items():
        entry = COMMAND_TABLE[name]
        assert command.hidden == entry.hidden, name
        assert command.get_short_help_str(80) == entry.short_help, name


def test_the_listing_is_the_same_before_and_after_every_command_loads() -> None:
    probe = (
        "from click.testing import CliRunner\n"
        "from publisher.cli import all_commands, main\n"
        "before = CliRunner().invoke(main, ['--help'], prog_name='publisher').stdout\n"
        "all_commands()\n"
        "after = CliRunner().invoke(main, ['--help'], prog_name='publisher').stdout\n"
        "print(before == after, 'Commands:' in before)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]


def test_every_short_help_fits_one_line_of_the_listing_at_80_columns() -> None:
    width = 80 - 6 - max(len(name) for name in COMMAND_TABLE)
    for name, entry in COMMAND_TABLE.items():
        assert entry.short_help and "\n" not in entry.short_help, name
        assert len(entry.short_help) <= width, name


def test_a_command_imports_its_own_module_only() -> None:
    code, modules, out, _ = _run("diff", "--help")
    assert code == 0 and "--from REV" in out
    assert _command_modules(modules) == {"publisher.cli.diff"}
    code, modules, _, _ = _run("list", "--help")
    assert code == 0
    assert _command_modules(modules) == {"publisher.cli.policies"}


def test_a_mistyped_command_is_corrected_without_importing_every_module() -> None:
    code, modules, _, err = _run("lsit")
    assert code == 2
    assert "No such command 'lsit'. Did you mean 'list'?" in err
    assert _command_modules(modules) == set()


def test_a_subcommand_of_a_lazy_group_gets_the_global_options() -> None:
    result = CliRunner().invoke(main, ["db", "upgrade", "--help"], prog_name="publisher")
    assert result.exit_code == 0
    assert "--database-url URL" in result.stdout and "--policies GLOB" in result.stdout


def test_an_unknown_command_of_a_bare_lazy_group_is_none() -> None:
    group = LazyGroup(name="g", table={"diff": LazyCommand("diff", "Compare.")})
    context = click.Context(group)
    assert group.get_command(context, "nope") is None
    loaded = group.get_command(context, "diff")
    assert loaded is not None and loaded.short_help == "Compare."
    assert group.list_commands(context) == ["diff"]


def test_a_table_entry_whose_module_lacks_the_command_is_not_a_command() -> None:
    group = LazyGroup(name="g", table={"dif": LazyCommand("diff", "Compare.")})
    context = click.Context(group)
    assert group.get_command(context, "dif") is None


@pytest.mark.parametrize("args", [["--version"], ["-h"]])
def test_version_and_short_help_flag_import_no_command(args: list[str]) -> None:
    code, modules, out, _ = _run(*args)
    assert code == 0 and out
    assert _command_modules(modules) == set()
