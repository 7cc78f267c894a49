"""British and American spelling variants of one word (analyse/analyze, licence/license,
behaviour/behavior) are editorial: :func:`publisher.diff.classify.editorial_form` maps each
word to one spelling before comparing.

The pairs come from the ``breame`` package (about 1,700 British → American spellings,
Apache-2.0) rather than a hand-kept list. The ``spelling_variants`` setting overrides
them: ``breame`` (the default), ``none`` (spelling counts like any other word), or the path
of a text file with one ``british american`` pair per line (``#`` starts a comment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from publisher.errors import ConfigError

_variants: dict[str, str] | None = None
_source = "breame"


def _breame() -> dict[str, str]:
    from breame.data.spelling_constants import (  # type: ignore[import-untyped]
        BRITISH_ENGLISH_SPELLINGS,
    )

    return {
        k.casefold(): v.casefold()
        for k, v in BRITISH_ENGLISH_SPELLINGS.items()
        if k.isalpha() and v.isalpha()
    }


def variants() -> Mapping[str, str]:
    """The British → American word map in use (loaded on first use)."""
    global _variants
    if _variants is None:
        _variants = _breame()
    return _variants


def use_variants(table: Mapping[str, str] | None) -> None:
    """Use ``table`` (British → American, lower case) instead of breame's; None restores
    breame's. Clears the editorial-form cache."""
    global _variants, _source
    _variants = None if table is None else {k.casefold(): v.casefold() for k, v in table.items()}
    _source = "breame" if table is None else "custom"
    for listener in _listeners:
        listener()


_listeners: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the variants change (the classifier clears its cache of
    editorial forms: it imports this module, so this module cannot import it)."""
    _listeners.append(listener)


def configure(setting: str, *, root: Path | None = None) -> None:
    """Apply the ``spelling_variants`` setting (module doc); ConfigError for a file that
    cannot be read or a line that is not a pair."""
    global _source
    if setting == _source or (setting == "breame" and _source == "breame"):
        return
    if setting == "breame":
        use_variants(None)
        return
    if setting == "none":
        use_variants({})
        return
    path = Path(setting) if root is None else root / setting
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            f"spelling_variants: cannot read {path}: {exc.strerror}",
            hint="give breame, none, or a file of 'british american' pairs",
        ) from None
    table: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2:
            raise ConfigError(
                f"{path}:{number}: expected 'british american', got {line!r}",
                hint="one pair of words per line, e.g. 'licence license'",
            )
        table[words[0]] = words[1]
    use_variants(table)
    _source = setting


def american(text: str) -> str:
    """``text`` (editorial form: lower case, words split by spaces) with each British
    spelling replaced by the American one."""
    table = variants()
    if not table:
        return text
    return " ".join([table.get(word, word) for word in text.split(" ")])
