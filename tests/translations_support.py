"""The synthetic multilingual repository of the translations tests and benchmark
(``benchmarks/bench_translations.py``): the same 20 locale folders and policy names."""

from __future__ import annotations

LOCALES = [
    "en",
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pl",
    "pt-BR",
    "pt-PT",
    "ru",
    "sv",
    "da",
    "fi",
    "cs",
    "ja",
    "ko",
    "zh-CN",
    "zh-TW",
    "tr",
    "uk",
]
"""The locale folders, source language first (a real browser maker's layout)."""


def policy_names(count: int) -> list[str]:
    """``policy-00``, ``policy-01``, … (``count`` of them)."""
    return [f"policy-{n:02d}" for n in range(count)]


def policy_path(locale: str, name: str) -> str:
    """Where ``name`` in ``locale`` lives: ``policies/<locale>/<name>.md``."""
    return f"policies/{locale}/{name}.md"
