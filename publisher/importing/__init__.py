"""Bringing an existing policy in: a Word document, a saved web page or text copied from a
website made into a policy file (Markdown with front matter) with the clause tree of the
original.

Each reader turns its input into :class:`~.lines.Line` values: :mod:`.text` for plain text
(numbers, bullets and headings recognised from how they are written), :mod:`.html` for a web
page (its main content; real lists and headings, and the same recognition inside its
paragraphs), :mod:`.docx` through mammoth's HTML. :mod:`.tree` nests the lines into clauses,
:mod:`.write` writes the Markdown, :mod:`.commit` adds the file to the policy repository.

>>> imported = import_file("aup.txt")                                 # doctest: +SKIP
>>> imported.markdown, imported.unplaced                              # doctest: +SKIP
"""

from __future__ import annotations

from publisher.importing.read import SUFFIXES, Imported, import_bytes, import_file

__all__ = ["SUFFIXES", "Imported", "import_bytes", "import_file"]
