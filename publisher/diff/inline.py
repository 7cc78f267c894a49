"""Word-level changes inside a clause, with diff-match-patch.

Like diff-match-patch's line mode, each distinct token (a word or one punctuation mark, with
the whitespace before it) is mapped to one character, the character strings are diffed, then the
result is cleaned up semantically (counting words, see :func:`_cleanup_semantic`) and mapped
back. The redline therefore marks whole words, as
lawyers expect, never "th[-e-]{+is+}". Tokenisation is lossless, so the ``=`` and ``-`` parts
rebuild the old text and the ``=`` and ``+`` parts the new text exactly.
"""

from __future__ import annotations

import re

from diff_match_patch import diff_match_patch

from publisher.diff.model import InlineOp, OpTag

# A word or one punctuation mark, with the whitespace before it: " password" matches
# " password" wherever it stands, so runs of spaces never anchor a match on their own.
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$", re.UNICODE)
# Private-use planes: the encoded characters never collide with real text and are never
# whitespace or alphanumeric, whatever diff-match-patch's heuristics look at.
_BASE = 0xF0000
_TAGS: dict[int, OpTag] = {0: "=", -1: "-", 1: "+"}

_dmp = diff_match_patch()
_dmp.Diff_Timeout = 0  # clauses are short: always the exact minimal diff, deterministic


def tokens(text: str) -> list[str]:
    """``text`` split into words and punctuation marks, each with its leading whitespace.

    Lossless: ``"".join(tokens(text)) == text``.
    """
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> tuple[InlineOp, ...]:
    """Word-level edits turning ``old`` into ``new``; adjacent ops of one kind are merged.

    Deletions come before insertions within each changed stretch. Equal texts give one
    ``=`` op (or none when both are empty).
    """
    if old == new:
        return (("=", old),) if old else ()
    vocabulary: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        chars = []
        for token in tokens(text):
            char = vocabulary.get(token)
            if char is None:
                char = chr(_BASE + len(words))
                vocabulary[token] = char
                words.append(token)
            chars.append(char)
        return "".join(chars)

    diffs = _dmp.diff_main(encode(old), encode(new), False)
    _cleanup_semantic(diffs)
    ops: list[InlineOp] = []
    for code, chars in diffs:
        text = "".join(words[ord(c) - _BASE] for c in chars)
        if text:
            ops.append((_TAGS[code], text))
    return _normalise(ops)


def _cleanup_semantic(diffs: list[tuple[int, str]]) -> None:
    """Fold trivial equalities into the edits around them, counting in words.

    diff-match-patch's own semantic clean-up is tuned for characters: it dissolves any
    equality no longer than the edits on both sides, which at word level turns
    "a [b→x] c [d→y]" into one big replacement. Here an equality is dissolved only when the
    edits on both sides are more than three times as long (" the" between two rewritten
    sentences goes, "your password" between two short edits stays). Edits stay whole words.
    """
    equalities: list[int] = []
    last_equality: str | None = None
    ins_before = del_before = ins_after = del_after = 0
    changed = False
    pointer = 0
    while pointer < len(diffs):
        code, chars = diffs[pointer]
        if code == 0:
            equalities.append(pointer)
            ins_before, del_before = ins_after, del_after
            ins_after = del_after = 0
            last_equality = chars
        else:
            if code == 1:
                ins_after += len(chars)
            else:
                del_after += len(chars)
            if (
                last_equality is not None
                and 3 * len(last_equality) < max(ins_before, del_before)
                and 3 * len(last_equality) < max(ins_after, del_after)
            ):
                at = equalities.pop()
                diffs[at] = (-1, last_equality)
                diffs.insert(at + 1, (1, last_equality))
                if equalities:
                    equalities.pop()
                pointer = equalities[-1] if equalities else -1
                ins_before = del_before = ins_after = del_after = 0
                last_equality = None
                changed = True
        pointer += 1
    if changed:
        _dmp.diff_cleanupMerge(diffs)


def _normalise(ops: list[InlineOp]) -> tuple[InlineOp, ...]:
    """Merge runs: within each stretch between equalities, one ``-`` then one ``+``."""
    out: list[InlineOp] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(("-", "".join(deleted)))
        if inserted:
            out.append(("+", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for tag, text in ops:
        if tag == "-":
            deleted.append(text)
        elif tag == "+":
            inserted.append(text)
        else:
            flush()
            if out and out[-1][0] == "=":
                out[-1] = ("=", out[-1][1] + text)
            else:
                out.append(("=", text))
    flush()
    return tuple(out)


def old_text(ops: tuple[InlineOp, ...]) -> str:
    """The text before the change, rebuilt from the ops."""
    return "".join(text for tag, text in ops if tag != "+")


def new_text(ops: tuple[InlineOp, ...]) -> str:
    """The text after the change, rebuilt from the ops."""
    return "".join(text for tag, text in ops if tag != "-")
