"""Change sets from two files or from two revisions in git: the I/O around :func:`compare`.

``publisher diff`` (and the site, the notices) call these; :func:`publisher.diff.compare`
itself stays pure.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from publisher.diff import compare, spelling
from publisher.diff.classify import overrides_from_trailers
from publisher.diff.model import ChangeSet, Override, Side
from publisher.document import Document
from publisher.errors import NotFoundError, PolicyError
from publisher.markdown import decode_policy, parse_document

if TYPE_CHECKING:  # git and history load only for comparing revisions (start-up of `diff a b`)
    from publisher.history import Policy, PolicyRepo, Revision


def read_file(path: str | Path) -> Document:
    """Parse a policy file from disk (PolicyError when missing, binary, not UTF-8, huge)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise PolicyError(
            "no such file",
            path=path,
            hint="give two policy files, or one policy (slug or path) with --from/--to",
        ) from None
    except IsADirectoryError:
        raise PolicyError("is a directory, not a policy file", path=path) from None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", path=path) from None
    return parse_document(decode_policy(data, path=str(path)), path=str(path))


def compare_files(old_path: str | Path, new_path: str | Path) -> ChangeSet:
    """Compare two policy files; the policy is named by the new file's slug or file name."""
    old, new = read_file(old_path), read_file(new_path)
    changes = compare(old, new)
    return changes.labelled(
        policy=new.meta.slug or Path(new_path).stem,
        old=Side(rev=str(old_path), version=old.meta.version, sha256=old.sha256),
        new=Side(rev=str(new_path), version=new.meta.version, sha256=new.sha256),
    )


def default_revisions(
    repo: PolicyRepo, policy: Policy, from_rev: str | None, to_rev: str | None
) -> tuple[Revision, Revision]:
    """The two revisions to compare: as given, else the previous version → the current one.

    Without ``from_rev``: the version before the one ``to`` belongs to (for a commit outside
    the publishing branch — a preview — the current version).
    """
    new = repo.resolve(policy, to_rev) if to_rev else policy.current.revision
    if from_rev:
        return repo.resolve(policy, from_rev), new
    version = repo.version_of(policy, new)
    if version is None:
        return policy.current.revision, new
    labels = policy.labels
    index = labels.index(version.label)
    if index == 0:
        raise NotFoundError(
            f"{policy.slug} has nothing before version {version.label!r} to compare it with",
            hint=f"give --from REV (versions of {policy.slug}: {', '.join(labels)})",
        )
    return policy.versions[index - 1].revision, new


def overrides_between(policy: Policy, old: Revision, new: Revision) -> tuple[Override, ...]:
    """``Policy-Change`` overrides from the commits after ``old`` up to and including ``new``
    (in either direction; a revision off the publishing branch counts its own commit)."""
    commits = [r.commit for r in policy.revisions]
    if new.commit not in commits:
        window = [new]
    elif old.commit not in commits:
        window = [r for r in policy.revisions if r.commit == new.commit]
    else:
        a, b = commits.index(old.commit), commits.index(new.commit)
        low, high = min(a, b), max(a, b)
        window = list(policy.revisions[low + 1 : high + 1])
    return overrides_from_trailers((r.commit, r.trailers) for r in window)


def compare_revisions(
    repo: PolicyRepo, name: str | Policy, from_rev: str | None = None, to_rev: str | None = None
) -> ChangeSet:
    """Compare two revisions of a policy in git: ``name`` is its slug or path (a living
    policy), or the :class:`Policy` itself (a deleted one too).

    Revisions are version labels, commit-ishes or dates (see :meth:`PolicyRepo.resolve`);
    NotFoundError (listing the valid labels) for unknown ones. ``Policy-Change`` trailers of
    the commits in between override the classification.
    """
    spelling.configure(repo.settings.spelling_variants, root=repo.settings.root)
    policy = repo.policy(name) if isinstance(name, str) else name
    old_rev, new_rev = default_revisions(repo, policy, from_rev, to_rev)
    old, new = repo.document(old_rev), repo.document(new_rev)
    changes = compare(old, new, overrides=overrides_between(policy, old_rev, new_rev))

    def side(revision: Revision, document: Document) -> Side:
        version = repo.version_of(policy, revision)
        return Side(
            rev=revision.commit, version=version.label if version else None, sha256=document.sha256
        )

    return changes.labelled(policy=policy.slug, old=side(old_rev, old), new=side(new_rev, new))
