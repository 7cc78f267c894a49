"""Build real git repositories in temporary directories, for tests.

    from gitrepo import GitRepo

    def test_something(tmp_path):
        repo = GitRepo.init(tmp_path / "repo")
        repo.write("policies/aup.md", "---\\nversion: '1'\\n---\\n# AUP\\n\\nBe nice.\\n")
        first = repo.commit("Add the AUP", date="2024-03-07")
        repo.write("policies/aup.md", "# AUP\\n\\nBe very nice.\\n")
        repo.commit("Tighten the AUP", date="2024-03-07T15:00:00+01:00",
                    trailers={"Policy-Change": "material"})
        repo.rename("policies/aup.md", "policies/use/aup.md")
        repo.commit("Move the AUP")            # dates default to one day after the previous commit
        bare = repo.clone(tmp_path / "bare.git", bare=True)

Commits are reproducible: author and committer default to ``Alice Example
<alice@example.com>``, dates to 2024-01-01 12:00 UTC and one day later for every further commit
unless given, and git runs with no user or system configuration (no signing, no hooks, no
templates), so tests behave the same on every machine. ``tests/`` has no ``__init__.py``:
pytest puts it on ``sys.path``, hence ``from gitrepo import GitRepo``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DEFAULT_AUTHOR = ("Alice Example", "alice@example.com")
FIRST_DATE = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)

Trailers = Mapping[str, str] | Iterable[tuple[str, str]]


def isolated_git_env(**extra: str) -> dict[str, str]:
    """An environment in which git ignores the user's and the system's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    env.update(extra)
    return env


def to_datetime(value: str | date | datetime) -> datetime:
    """A commit date from ``2024-03-07`` (noon UTC), an ISO 8601 timestamp, a date or a
    datetime (naive ones are taken as UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, 12, 0)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class GitRepo:
    """A git repository on disk with a fluent API to write, move, delete and commit files."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._next_date = FIRST_DATE

    @classmethod
    def init(cls, path: Path | str, *, branch: str = "main") -> GitRepo:
        """``git init`` a new work tree at ``path`` (created if needed)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "--template=", f"--initial-branch={branch}")
        repo.git("config", "commit.gpgsign", "false")
        return repo

    # -- running git ---------------------------------------------------------------------

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run ``git <args>`` here and return its stdout (stripped); raise with git's stderr."""
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env=isolated_git_env(**(env or {})),
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc.stdout.strip()

    # -- the work tree -------------------------------------------------------------------

    def write(self, path: str, content: str | bytes) -> Path:
        """Write a file (creating folders) and stage it. Text is written as UTF-8, verbatim."""
        target = self.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)
        self.git("add", "--", path)
        return target

    def read(self, path: str) -> str:
        return (self.path / path).read_text(encoding="utf-8")

    def rename(self, old: str, new: str) -> None:
        """``git mv`` (creating the destination folder)."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)

    def delete(self, path: str) -> None:
        """``git rm``."""
        self.git("rm", "-q", "--", path)

    # -- commits -------------------------------------------------------------------------

    def commit(
        self,
        message: str,
        *,
        date: str | date | datetime | None = None,
        committed: str | date | datetime | None = None,
        author: tuple[str, str] = DEFAULT_AUTHOR,
        trailers: Trailers = (),
        files: Mapping[str, str | bytes] | None = None,
        allow_empty: bool = False,
    ) -> str:
        """Commit what is staged (after writing ``files``, if given) and return the new sha.

        ``date`` is the author date, ``committed`` the committer date (default: ``date``);
        without ``date`` each commit is one day after the previous one. ``trailers`` are
        appended to the message as ``Key: value`` lines.
        """
        for path, content in (files or {}).items():
            self.write(path, content)
        authored = to_datetime(date) if date is not None else self._next_date
        commit_date = to_datetime(committed) if committed is not None else authored
        self._next_date = max(authored, commit_date) + timedelta(days=1)
        pairs = list(trailers.items()) if isinstance(trailers, Mapping) else list(trailers)
        if pairs:
            message = message.rstrip("\n") + "\n\n" + "\n".join(f"{k}: {v}" for k, v in pairs)
        name, email = author
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": authored.isoformat(),
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": commit_date.isoformat(),
        }
        args = ["commit", "-q", "--no-verify", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, env=env)
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        """The full sha of ``rev``."""
        return self.git("rev-parse", "--verify", f"{rev}^{{commit}}")

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def checkout(self, rev: str) -> None:
        self.git("checkout", "-q", rev)

    def tag(self, name: str, rev: str = "HEAD") -> None:
        self.git("tag", name, rev)

    def merge(self, rev: str, message: str, *, date: str | date | datetime | None = None) -> str:
        """A merge commit (``--no-ff``) of ``rev`` into the current branch."""
        when = to_datetime(date) if date is not None else self._next_date
        self._next_date = when + timedelta(days=1)
        env = {
            "GIT_AUTHOR_DATE": when.isoformat(),
            "GIT_COMMITTER_DATE": when.isoformat(),
            "GIT_AUTHOR_NAME": DEFAULT_AUTHOR[0],
            "GIT_AUTHOR_EMAIL": DEFAULT_AUTHOR[1],
            "GIT_COMMITTER_NAME": DEFAULT_AUTHOR[0],
            "GIT_COMMITTER_EMAIL": DEFAULT_AUTHOR[1],
        }
        self.git("merge", "-q", "--no-ff", "--no-verify", "-m", message, rev, env=env)
        return self.head()

    def log(self, *args: str) -> list[str]:
        """``git log --format=%H <args>`` as a list of shas, newest first."""
        out = self.git("log", "--format=%H", *args)
        return out.split("\n") if out else []

    # -- other repositories from this one ------------------------------------------------

    def clone(self, dest: Path | str, *, bare: bool = False, depth: int | None = None) -> Path:
        """Clone into ``dest``: ``bare=True`` for a bare repository, ``depth`` for a shallow
        clone (through ``file://``, as a local path would ignore ``--depth``)."""
        dest = Path(dest)
        args = ["clone", "-q"]
        if bare:
            args.append("--bare")
        source = str(self.path)
        if depth is not None:
            args += ["--depth", str(depth)]
            source = self.path.resolve().as_uri()
        self.git(*args, source, str(dest))
        return dest
