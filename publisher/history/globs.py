"""The ``policies`` glob: which repository paths are policies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from publisher.errors import ConfigError
from publisher.slugs import glob_base

_GLOB_HINT = (
    "give a glob relative to the repository root, e.g. policies/**/*.md "
    "(setting policies, env PUBLISHER_POLICIES, flag --policies)"
)


@cache
def compile_glob(pattern: str, what: str = "policies glob") -> re.Pattern[str]:
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
    _check_glob(original, pattern, what)
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
                raise ConfigError(
                    f"the {what} {original!r} has an unclosed [",
                    hint=f"close it, or write [[] for a literal [; {_GLOB_HINT}",
                )
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
        raise ConfigError(
            f"the {what} {original!r} is invalid: {exc.msg}", hint=_GLOB_HINT
        ) from exc


def _check_glob(original: str, pattern: str, what: str) -> None:
    if not pattern:
        raise ConfigError(f"the {what} is empty", hint=_GLOB_HINT)
    if pattern.startswith("/") or re.match(r"[A-Za-z]:[/\\]", pattern):
        raise ConfigError(
            f"the {what} {original!r} is absolute: policies are files of the repository",
            hint=_GLOB_HINT,
        )
    if ".." in pattern.split("/"):
        raise ConfigError(
            f"the {what} {original!r} points outside the repository ('..')", hint=_GLOB_HINT
        )
    if pattern.endswith("/"):
        raise ConfigError(f"the {what} {original!r} names a folder, not files", hint=_GLOB_HINT)


#: Stems of the files a repository keeps beside its policies (``README.md`` at the root under a
#: ``**/*.md`` glob): not policies, whatever the glob says.
NOT_POLICIES = frozenset(
    {
        "readme",
        "license",
        "licence",
        "copying",
        "code_of_conduct",
        "contributing",
        "changelog",
        "security",
        "authors",
    }
)


@dataclass(frozen=True)
class PolicyGlob:
    """Which repository paths are policies: those the ``policies`` glob matches, minus those an
    ``exclude`` glob matches, minus the files of :data:`NOT_POLICIES` directly in the glob's
    fixed folder (``README.md`` for ``**/*.md``, ``policies/README.md`` for
    ``policies/**/*.md``) when the glob's file name has a wildcard (a glob naming
    ``LICENSE.md`` itself keeps it)."""

    pattern: str
    regex: re.Pattern[str]
    excluded: tuple[re.Pattern[str], ...]
    base: str
    skips_names: bool

    def match(self, path: str) -> bool:
        return (
            bool(self.regex.match(path))
            and not self.is_excluded(path)
            and not self.not_a_policy(path)
        )

    def is_excluded(self, path: str) -> bool:
        return any(x.match(path) for x in self.excluded)

    def not_a_policy(self, path: str) -> bool:
        """True for a path the glob matches that is plainly no policy (``README.md``)."""
        posix = PurePosixPath(path)
        return (
            self.skips_names
            and str(posix.parent).removeprefix(".") == self.base
            and posix.stem.lower().replace("-", "_") in NOT_POLICIES
            and bool(self.regex.match(path))
        )


@cache
def policy_glob(pattern: str, exclude: tuple[str, ...] = ()) -> PolicyGlob:
    """The :class:`PolicyGlob` of settings ``policies`` and ``exclude`` (ConfigError for a
    glob that can never name a file, see :func:`compile_glob`)."""
    name = pattern.strip().removeprefix("./").rsplit("/", 1)[-1]
    return PolicyGlob(
        pattern=pattern,
        regex=compile_glob(pattern),
        excluded=tuple(compile_glob(x, "exclude glob") for x in exclude),
        base=glob_base(pattern),
        skips_names=any(ch in name for ch in "*?["),
    )
