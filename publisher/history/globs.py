"""The ``policies`` glob: which repository paths are policies."""

from __future__ import annotations

import re
from functools import cache

from publisher.errors import ConfigError

_GLOB_HINT = (
    "give a glob relative to the repository root, e.g. policies/**/*.md "
    "(setting policies, env PUBLISHER_POLICIES, flag --policies)"
)


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex for a gitignore/pathlib-style glob over repository paths.

    ``*`` and ``?`` stay within one folder, ``[...]`` is a character class, and ``**``
    matches any number of folders including none (``policies/**/*.md`` matches
    ``policies/aup.md`` and ``policies/a/b/aup.md``).

    Raises ConfigError for a glob that can never name a file of the repository: empty,
    absolute (``/etc/*.conf``), leaving it (``../**/*.md``), naming a folder
    (``policies/``), or invalid (an unclosed ``[``, a reversed range ``[z-a]``).
    """
    original = pattern
    pattern = pattern.strip().removeprefix("./")
    _check_glob(original, pattern)
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                raise ConfigError(f"the policies glob {original!r} has an unclosed [",
                                  hint=f"close it, or write [[] for a literal [; {_GLOB_HINT}")
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error as exc:
        raise ConfigError(f"the policies glob {original!r} is invalid: {exc.msg}",
                          hint=_GLOB_HINT) from exc


def _check_glob(original: str, pattern: str) -> None:
    if not pattern:
        raise ConfigError("the policies glob is empty", hint=_GLOB_HINT)
    if pattern.startswith("/") or re.match(r"[A-Za-z]:[/\\]", pattern):
        raise ConfigError(f"the policies glob {original!r} is absolute: policies are files "
                          "of the repository", hint=_GLOB_HINT)
    if ".." in pattern.split("/"):
        raise ConfigError(f"the policies glob {original!r} points outside the repository "
                          "('..')", hint=_GLOB_HINT)
    if pattern.endswith("/"):
        raise ConfigError(f"the policies glob {original!r} names a folder, not files",
                          hint=_GLOB_HINT)

