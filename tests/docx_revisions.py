"""Read a .docx redline back and apply its tracked changes the way Word's "Accept all" and
"Reject all" do, for tests (zipfile + lxml; nothing of publisher's own code).

    from docx_revisions import accept_all, reject_all, policy_paragraphs, revisions
"""

from __future__ import annotations

import copy
import io
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def body(data: bytes) -> etree._Element:
    """The ``w:body`` of the document part."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    found = root.find("w:body", NS)
    assert found is not None
    return found


def _unwrap(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    index = parent.index(element)
    for child in list(element):
        parent.insert(index, child)
        index += 1
    parent.remove(element)


def _apply(tree: etree._Element, *, drop: tuple[str, ...], keep: tuple[str, ...]) -> etree._Element:
    tree = copy.deepcopy(tree)
    for paragraph in list(tree.iter(_q("p"))):
        marks = paragraph.find("w:pPr/w:rPr", NS)
        if marks is not None and any(marks.find(f"w:{tag}", NS) is not None for tag in drop):
            paragraph.getparent().remove(paragraph)
    for tag in drop:
        for element in list(tree.iter(_q(tag))):
            if element.getparent() is not None:
                element.getparent().remove(element)
    for tag in keep:
        for element in list(tree.iter(_q(tag))):
            if element.getparent() is not None and element.getparent().tag != _q("rPr"):
                _unwrap(element)
    for text in tree.iter(_q("delText")):
        text.tag = _q("t")
    for tag in ("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd"):
        for element in list(tree.iter(_q(tag))):
            element.getparent().remove(element)
    return tree


def accept_all(tree: etree._Element) -> etree._Element:
    """Deleted and moved-away content dropped, insertions and arrivals kept."""
    return _apply(tree, drop=("del", "moveFrom"), keep=("ins", "moveTo"))


def reject_all(tree: etree._Element) -> etree._Element:
    """Inserted and arrived content dropped, deletions and departures kept."""
    return _apply(tree, drop=("ins", "moveTo"), keep=("del", "moveFrom"))


def paragraph_text(paragraph: etree._Element) -> str:
    return "".join(t.text or "" for t in paragraph.iter(_q("t"), _q("delText")))


def policy_paragraphs(tree: etree._Element, bookmark: str = "policy_text") -> list[str]:
    """The texts of the paragraphs from the one holding ``bookmark`` on."""
    paragraphs = list(tree.iter(_q("p")))
    for index, paragraph in enumerate(paragraphs):
        if any(b.get(_q("name")) == bookmark for b in paragraph.iter(_q("bookmarkStart"))):
            return [paragraph_text(p) for p in paragraphs[index:]]
    raise AssertionError(f"no bookmark {bookmark}")


def revisions(tree: etree._Element) -> list[etree._Element]:
    """Every revision element (insertions, deletions, move ends), paragraph marks included."""
    tags = {_q(t) for t in ("ins", "del", "moveFrom", "moveTo")}
    return [element for element in tree.iter() if element.tag in tags]


def readable(tree: etree._Element, bookmark: str = "policy_text") -> str:
    """The policy part as text, revisions marked: ``[-del-]``, ``{+ins+}``, ``[<moved away<]``,
    ``{>moved here>}``; a whole paragraph's mark shown by a leading ``-p``/``+p``/``<p``/``>p``."""
    mark = {
        "del": ("[-", "-]"),
        "ins": ("{+", "+}"),
        "moveFrom": ("[<", "<]"),
        "moveTo": ("{>", ">}"),
    }
    lines: list[str] = []
    started = False

    def runs(element: etree._Element) -> str:
        out: list[str] = []
        for child in element:
            name = etree.QName(child).localname
            if name == "r":
                out.append("".join(t.text or "" for t in child.iter(_q("t"), _q("delText"))))
            elif name in mark:
                before, after = mark[name]
                out.append(before + runs(child) + after)
        return "".join(out)

    for paragraph in tree.iter(_q("p")):
        if any(b.get(_q("name")) == bookmark for b in paragraph.iter(_q("bookmarkStart"))):
            started = True
        if not started:
            continue
        prefix = ""
        marks = paragraph.find("w:pPr/w:rPr", NS)
        if marks is not None:
            for name, sign in (
                ("del", "-p "),
                ("ins", "+p "),
                ("moveFrom", "<p "),
                ("moveTo", ">p "),
            ):
                if marks.find(f"w:{name}", NS) is not None:
                    prefix = sign
        style = paragraph.find("w:pPr/w:pStyle", NS)
        style_name = style.get(_q("val")) if style is not None else "Normal"
        lines.append(f"{prefix}[{style_name}] {runs(paragraph)}")
    return "\n".join(lines) + "\n"
