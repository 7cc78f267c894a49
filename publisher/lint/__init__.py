"""Policy checks with file:line messages, a rule name and a fix hint each.

Rules (``publisher lint --rules`` lists them; :data:`RULES` holds them):

- ``front-matter``: the YAML front matter is malformed or a field has the wrong type.
- ``encoding``: the file is binary, not UTF-8, or too large.
- ``duplicate-slug``: two policies share a slug (their site URLs would collide).
- ``numbering-gap`` / ``numbering-repeat``: sibling clauses numbered 1, 2, 4 or 1, 2, 2.
- ``dangling-reference``: "see Section 14" when no clause is numbered 14.
- ``policy-link``: a link to another policy file, a site page ``/<slug>/v/<label>/`` or a
  clause anchor ``#c-…`` that does not exist.
- ``unversioned-change``: the body differs from a committed revision with the same
  ``version`` label (customers accepted that exact text; publish a new label instead).
- ``notice-period``: a version with material changes takes effect fewer than
  ``notice_days`` after it was published (committed; today for text not committed yet).
- ``limits``: the slug, version label, title or path is longer than the site's file names or
  the store's columns hold (:mod:`publisher.limits`).

One place can be silenced with an HTML comment on the line before it (or on the same line)::

    <!-- publisher-lint: disable numbering-gap -->

and a whole file with ``<!-- publisher-lint: disable-file numbering-gap -->``.

Modules: :mod:`.findings` (the finding, silencing), one module per family of rules
(:mod:`.numbering`, :mod:`.references`, :mod:`.links`, :mod:`.versions`, :mod:`.limits`), and
:mod:`.repository` (which texts to check: work tree, index or commit).
"""

from publisher.lint.findings import RULES, Finding, Severity, silenced, unknown_rules
from publisher.lint.repository import (
    LintReport,
    LintTarget,
    lint_repository,
    lint_source,
    run_lint,
)

__all__ = [
    "RULES",
    "Finding",
    "LintReport",
    "LintTarget",
    "Severity",
    "lint_repository",
    "lint_source",
    "run_lint",
    "silenced",
    "unknown_rules",
]
