"""Checks that a stored policy text is the text a record says was accepted.

A record carries the ``content_sha256`` of the text accepted; the store keeps that text in
``policy_versions.body`` with its own ``sha256`` (and the text of a translation shown, named
by the record's ``shown_sha256``, in ``translations.body``). Nothing shown or exported may rely on the
stored ``sha256`` column alone (an administrator can edit the body and leave the column): the
body is re-hashed every time, compared with the record, and — when the policy repository is at
hand — with the blob of the version's file at the version's commit (read through one
``cat-file --batch`` process). Pure except :func:`git_body_sha256`, which reads git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from publisher.document import body_sha256
from publisher.errors import GitError, PublisherError
from publisher.gitio import Git
from publisher.store.translations import TranslationText
from publisher.store.versions import VersionText


class TextMismatch(PublisherError):
    """A stored policy text does not hash to what its version or a record says."""


TAMPERED_HINT = (
    "the stored text was changed outside publisher: restore policy_versions from a backup or "
    "re-sync from git with `publisher db sync`, then run `publisher audit verify`"
)
TRANSLATION_TAMPERED_HINT = (
    "the stored translation was changed outside publisher: restore the translations table "
    "from a backup (it is append-only: a sync adds rows, it never repairs one), then run "
    "`publisher audit verify`"
)


class StoredText(Protocol):
    """A stored text with the hash it claims: a policy version or a translation version."""

    @property
    def described(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def body(self) -> str: ...


def text_problem(
    version: StoredText, expected_sha256: str | None = None, *, expected: str = "content_sha256"
) -> str | None:
    """Why ``version``'s body is not the text it claims to be (None: it is).

    The body must hash to the version's ``sha256`` and, when given, to ``expected_sha256``
    (a record's ``content_sha256``, or its ``shown_sha256`` for a translation: ``expected``
    names the field).
    """
    actual = body_sha256(version.body)
    where = version.described
    if actual != version.sha256:
        return (
            f"the stored text of {where} hashes to {actual[:12]}…, not to its recorded "
            f"sha256 {version.sha256[:12]}…"
        )
    if expected_sha256 is not None and actual != expected_sha256:
        return (
            f"the stored text of {where} hashes to {actual[:12]}…, not to the accepted "
            f"{expected} {expected_sha256[:12]}…"
        )
    return None


def require_text(
    version: StoredText, expected_sha256: str | None = None, *, expected: str = "content_sha256"
) -> str:
    """The body of ``version`` after :func:`text_problem` found nothing; TextMismatch else."""
    problem = text_problem(version, expected_sha256, expected=expected)
    if problem is not None:
        raise TextMismatch(problem, hint=TAMPERED_HINT)
    return version.body


def git_body_sha256(git: Git, commit: str, path: str) -> str | None:
    """``body_sha256`` of the policy file ``path`` at ``commit`` (None when the commit or the
    file is not in the repository: e.g. a store synced from another clone)."""
    from publisher.markdown import decode_policy, parse_document

    found = git.cat.get(f"{commit}:{path}")
    if found is None or found.type != "blob":
        return None
    return body_sha256(parse_document(decode_policy(found.data, path=path), path=path).body)


def open_repo(root: Path | None) -> Git | None:
    """The repository at ``root`` to compare stored texts with (None: no root, or not a git
    repository there: the store is then checked on its own)."""
    if root is None:
        return None
    try:
        return Git.open(root)
    except GitError:
        return None


def repo_problem(version: VersionText, git: Git) -> str | None:
    """Why the stored text of ``version`` differs from its file in git (None: it is the same,
    or git does not have that commit)."""
    in_git = git_body_sha256(git, version.commit, version.path)
    if in_git is None or in_git == body_sha256(version.body):
        return None
    return (
        f"the stored text of {version.slug} version {version.label} differs from "
        f"{version.path} at commit {version.commit[:12]} (sha256 {in_git[:12]}…)"
    )


def translation_repo_problem(translation: TranslationText, git: Git) -> str | None:
    """Why the stored text of a translation version differs from git: its file at its commit
    is another blob than the one stored, or hashes otherwise (None: the same, or git does not
    have that commit)."""
    found = git.cat.get(f"{translation.commit}:{translation.path}")
    if found is None or found.type != "blob":
        return None
    where = f"the stored text of {translation.described}"
    if found.sha != translation.blob:
        return (
            f"{where} names blob {translation.blob[:12]}, but {translation.path} at commit "
            f"{translation.commit[:12]} is blob {found.sha[:12]}"
        )
    in_git = git_body_sha256(git, translation.commit, translation.path)
    if in_git is None or in_git == body_sha256(translation.body):
        return None
    return (
        f"{where} differs from {translation.path} at commit {translation.commit[:12]} "
        f"(sha256 {in_git[:12]}…)"
    )
