"""publisher.ansi writes the same escape codes as click.style (the diff driver's colours
without importing click) and strips them as click.echo does."""

from __future__ import annotations

import itertools

import click
import pytest

from publisher.ansi import COLOURS, strip, style


@pytest.mark.parametrize("fg", [None, *COLOURS])
def test_every_colour_is_what_click_writes(fg: str | None) -> None:
    assert style("x", fg) == click.style("x", fg=fg)


@pytest.mark.parametrize(
    ("bold", "underline", "strikethrough"),
    list(itertools.product([None, True, False], repeat=3)),
)
def test_every_attribute_is_what_click_writes(
    bold: bool | None, underline: bool | None, strikethrough: bool | None
) -> None:
    ours = style("[-a b-]", "red", bold=bold, underline=underline, strikethrough=strikethrough)
    theirs = click.style(
        "[-a b-]", fg="red", bold=bold, underline=underline, strikethrough=strikethrough
    )
    assert ours == theirs


def test_an_unknown_colour_is_refused() -> None:
    with pytest.raises(KeyError):
        style("x", "mauve")


def test_strip_removes_what_click_echo_removes() -> None:
    text = style("added", "green", bold=True) + " plain \x1b[2K\x1b[?25l" + style("x", "red")
    assert strip(text) == click.unstyle(text) == "added plain x"
    assert strip("no codes [-x-]") == "no codes [-x-]"
