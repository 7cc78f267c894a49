"""One error root for everything the library reports to a person.

Every error carries what is wrong, optionally where (file and line) and how to fix it (hint).
The adapters (CLI, hooks, mkdocs plugin, web) convert :class:`PublisherError` once, at their
edge; anything else that escapes is a bug and shows a traceback only under ``--debug``.
"""

from __future__ import annotations

from pathlib import Path


class PublisherError(Exception):
    """Root of all errors that are the user's input, environment or configuration."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    @property
    def location(self) -> str | None:
        """``file:line`` (or just ``file``) when known."""
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(PublisherError):
    """A setting is missing, of the wrong type or contradicts another."""


class PolicyError(PublisherError):
    """A policy file cannot be read: front matter, encoding, binary content, size."""


class GitError(PublisherError):
    """git failed, or the repository cannot give what was asked (shallow, missing revision)."""

    def __init__(self, message: str, *, stderr: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.stderr = stderr


class NotFoundError(PublisherError):
    """A policy, version, revision or record that was asked for does not exist."""


class LintFailure(PublisherError):
    """Lint found errors (exit status 1: the findings were already printed)."""

    exit_code = 1
