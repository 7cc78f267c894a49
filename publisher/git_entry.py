"""The commands git starts once per file, before the command line loads: ``python -m
publisher diff-driver …`` and ``textconv FILE`` (:mod:`publisher.diffdriver`) skip click,
the command table and the global options (start-up, issue 14)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

__all__ = ["git_call"]


def git_call(args: Sequence[str]) -> Callable[[], int] | None:
    """The driver or the textconv when ``args`` (``sys.argv[1:]``) are how git calls them:
    ``diff-driver`` and 7 or 9 arguments, ``textconv`` and a file that is not a folder, no
    argument that looks like an option. None for anything else: the command line handles
    it (``--help``, usage errors, an unmerged path)."""
    if not args or any(arg.startswith("-") for arg in args[1:]):
        return None
    name, rest = args[0], list(args[1:])
    if name == "diff-driver" and len(rest) in (7, 9):
        return lambda: _driver(rest)
    if name == "textconv" and len(rest) == 1 and not os.path.isdir(rest[0]):
        return lambda: _textconv(rest[0])
    return None


def _driver(args: list[str]) -> int:
    from publisher.diffdriver import run_driver  # the diff engine, only for git's call

    return run_driver(args)


def _textconv(file: str) -> int:
    from publisher.diffdriver import run_textconv

    return run_textconv(file)
