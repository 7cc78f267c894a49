"""Terminal colours: ANSI escape codes, the same bytes as ``click.style`` writes, without
importing click (git's diff driver runs without it: start-up, issue 14)."""

from __future__ import annotations

import re

__all__ = ["COLOURS", "strip", "style"]

COLOURS = {
    "black": 30,
    "red": 31,
    "green": 32,
    "yellow": 33,
    "blue": 34,
    "magenta": 35,
    "cyan": 36,
    "white": 37,
    "reset": 39,
    "bright_black": 90,
    "bright_red": 91,
    "bright_green": 92,
    "bright_yellow": 93,
    "bright_blue": 94,
    "bright_magenta": 95,
    "bright_cyan": 96,
    "bright_white": 97,
}
"""Foreground colour names (click's) and their SGR codes."""

_RESET = "\033[0m"
_ESCAPE = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")


def style(
    text: str,
    fg: str | None = None,
    *,
    bold: bool | None = None,
    underline: bool | None = None,
    strikethrough: bool | None = None,
) -> str:
    """``text`` in colour ``fg`` (a name of :data:`COLOURS`; KeyError for another), bold,
    underlined or struck through, then a reset: what ``click.style`` returns for the same
    arguments."""
    codes = [] if fg is None else [COLOURS[fg]]
    for flag, on, off in ((bold, 1, 22), (underline, 4, 24), (strikethrough, 9, 29)):
        if flag is not None:
            codes.append(on if flag else off)
    return "".join(f"\033[{code}m" for code in codes) + text + _RESET


def strip(text: str) -> str:
    """``text`` without ANSI escape sequences (as ``click.echo`` writes to a file)."""
    return _ESCAPE.sub("", text)
