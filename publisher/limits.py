"""How long a policy's names may be: what the site's file names and the store's columns hold.

The store (:mod:`publisher.store.models`) keeps a slug in 200 characters, a version label in
100 and a title in 500, a policy's path in 1,000; the site writes a folder per slug and per
version label, and a file system takes at most 255 bytes in one name. Lint checks a policy
against these (rule ``limits``), so a name that would not fit is a lint error with its
file:line rather than a traceback in ``publisher build`` or ``publisher db sync``.
``tests/test_lint_limits.py`` checks that the numbers here are the store's.
"""

from __future__ import annotations

SLUG_MAX = 200
"""Characters in a slug (``policy_versions.slug`` and the other slug columns)."""
LABEL_MAX = 100
"""Characters in a version label (``policy_versions.label``, ``notices.version_label`` …)."""
TITLE_MAX = 500
"""Characters in a title (``policy_versions.title``)."""
PATH_MAX = 1000
"""Characters in a policy's repository path (``policy_versions.path``)."""
FILE_NAME_BYTES = 255
"""Bytes in one file or folder name (ext4, APFS, NTFS): the site's folder for a slug or a
version label is one such name."""
