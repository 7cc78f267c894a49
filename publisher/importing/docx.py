"""A Word document (.docx) into :class:`Line` values, through mammoth.

mammoth maps Word's styles to semantic HTML — "Heading 1" to ``<h1>``, numbered and bulleted
paragraphs (their numbering definitions and levels) to nested ``<ol>``/``<ul>`` — and leaves
presentation out; python-docx would give the paragraphs with their style names and raw
``w:numPr`` only, leaving list levels and kinds to be resolved from ``numbering.xml`` by
hand. mammoth's HTML then goes through :mod:`.html` like a web page; its messages (styles it
did not recognise, images) are reported. Word's automatic numbers are not in the HTML: lists
are numbered 1, 2, 3 at every level, while numbers typed into the text are kept as written.
"""

from __future__ import annotations

import io

from publisher.errors import PolicyError
from publisher.importing.html import html_lines
from publisher.importing.lines import Line


def docx_lines(data: bytes, *, path: str) -> tuple[str | None, list[Line], list[str]]:
    import mammoth

    try:
        result = mammoth.convert_to_html(io.BytesIO(data))
    except Exception as exc:  # zipfile.BadZipFile, KeyError for a missing part, XML errors
        raise PolicyError(
            f"not a readable Word document ({exc.__class__.__name__})",
            path=path,
            hint="save it as .docx (Word 2007 or later) and try again",
        ) from None
    title, lines, unplaced = html_lines(f"<html><body>{result.value}</body></html>")
    unplaced.extend(f"Word: {message.message}" for message in result.messages)
    return title, lines, unplaced
