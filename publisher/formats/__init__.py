"""Documents for lawyers, made from a change set or a version: a Word redline with tracked
changes (:mod:`.docx`), PDFs of redlines and versions (:mod:`.pdf`).

:mod:`.layout` merges the two revisions into one sequence of paragraphs, each marked as kept,
inserted, deleted or moved, which the writers turn into their formats; :mod:`.sources` reads
what they need (the change set, both documents, who made the change and when) from two files
or from git.
"""
