"""git history -> policies, their revisions and their versions.

A **policy** is a file matching the ``policies`` glob at the tip of the publishing branch. Its
**revisions** are the commits of the branch's first-parent history that changed it, following
renames and moves (like ``git log --follow --first-parent``). Its **versions** are the
published states: one per distinct front matter ``version`` label (content: the last commit
carrying the label), or, for policies without labels, one per commit that changed what a
reader sees (:attr:`Document.fingerprint`: the title and every clause's kind, number, heading
and text), labelled by its commit date (``2024-03-07``, ``2024-03-07.2`` for a second that
day). A commit that only changes the Markdown (a blank line, an HTML comment, ``-`` for ``*``,
a link target) or the front matter belongs to the version before it, whose content then
becomes that commit, as for labels: a version's ``sha256`` is always its content's body hash.

The revisions of every policy come from one streamed ``git log`` pass over the branch
(:mod:`publisher.gitlog`), walked newest to oldest while tracking each policy's path back
through renames (:mod:`.renames`), each commit dropped once walked; blobs are read through
one long-lived ``git cat-file --batch`` process (:mod:`publisher.catfile`), in windows
(:mod:`.blobs`). What listing needs of a blob is kept in an on-disk index (:mod:`.summaries`),
parsed documents are cached by blob sha (:mod:`publisher.cache`). Everything is read from git objects, never from
the work tree, so a bare repository works the same.

A revision that cannot be read (malformed front matter, binary, not UTF-8, too big) is no
version: it is skipped with one warning (the ``warn`` callback, default: the
``publisher.history`` logger; all are kept in :attr:`PolicyRepo.warnings`) and blocks neither
the other revisions nor the other policies. It stays a revision (git lists it) and belongs to
the version in force before it. A deleted file none of whose revisions can be read is no
policy. The current file of a policy is different: it is what gets published, so when it
cannot be read that is an error (PolicyError), as lint says too.
"""

from __future__ import annotations

from publisher.history.english_dates import effective_date_in, parse_english_date
from publisher.history.globs import compile_glob
from publisher.history.policy import Policy, Revision, Version
from publisher.history.reader import PolicyRepo
from publisher.slugs import slug_from_path

__all__ = [
    "Policy",
    "PolicyRepo",
    "Revision",
    "Version",
    "compile_glob",
    "effective_date_in",
    "parse_english_date",
    "slug_from_path",
]
