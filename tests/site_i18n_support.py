"""A policy repository made of the example Privacy Policy and its German and French
translations (``policies/privacy*.md``), each translation in two versions so the site has a
redline in both languages: English versions 2 and 3 as this repository's history has them,
German version 3 as ``privacy.de.md`` is (and a version 2 made from it by undoing version 3's
edits), French version 2 as ``privacy.fr.md`` is (and a version 3 made from it by doing them).

    from site_i18n_support import example_translations, build_pages
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from gitrepo import GitRepo

from publisher.config import load_settings
from publisher.history import PolicyRepo
from publisher.site import SiteOptions, SitePage
from publisher.site_builder import build_site

ROOT = Path(__file__).resolve().parents[1]
PRIVACY_V2 = "5840072"
"""The commit of this repository that published the example Privacy Policy version 2."""
PRIVACY_V3 = "3108fb8"
TODAY = date(2026, 3, 1)
"""Version 3 (effective 2026-02-15) is in force."""

_DE_BACKUPS = (
    "Sicherungskopien unserer eigenen Geschäftssysteme, die Kopien Ihrer Daten enthalten "
    "können, sind verschlüsselt und werden in einem fortlaufenden 35-Tage-Zyklus "
    "überschrieben.\n\n"
)
_DE_PROTECT_END = (
    "Nur Mitarbeiter, die personenbezogene Daten für ihre Arbeit benötigen, haben Zugriff "
    "darauf, und sie sind zur Vertraulichkeit verpflichtet.\n\n"
)
_DE_RESEARCH = (
    "## Forschungsvorschauen\n\nWenn Sie an einer unserer Forschungsvorschauen teilnehmen, "
    "erheben wir Ihr Feedback und genauere Informationen darüber, wie Sie die Funktionen der "
    "Vorschau nutzen, damit wir entscheiden können, ob und wie wir sie weiterentwickeln. Wir "
    "löschen diese Informationen innerhalb von 12 Monaten nach dem Ende der Vorschau.\n\n"
)
_FR_BACKUPS = (
    "Les sauvegardes de nos propres systèmes, qui peuvent contenir des copies de vos "
    "informations, sont chiffrées et écrasées selon un cycle continu de 35 jours.\n\n"
)
_FR_LOGS_END = "pour enquêter sur un incident de sécurité.\n\n"
_FR_RESEARCH_START = "## Programmes de préversion\n\n"


def _git_show(commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _front(text: str, **fields: str) -> str:
    """``text`` with ``fields`` in its front matter instead of ``translation_of``."""
    head, sep, body = text.partition("\n---\n")
    lines = [line for line in head.splitlines() if not line.startswith("translation_of:")]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "\n".join(lines) + sep + body


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def german_versions() -> tuple[str, str]:
    """German versions 2 and 3: 3 as the example is, 2 with version 3's edits undone (the
    backups paragraph back under "protect", the research previews section back)."""
    german = (ROOT / "policies/privacy.de.md").read_text(encoding="utf-8")
    v3 = _front(german, version='"3"', effective="2026-02-15", translation_of='"3"')
    v2 = _replace_once(german, _DE_BACKUPS, "")
    v2 = _replace_once(v2, _DE_PROTECT_END, _DE_PROTECT_END + _DE_BACKUPS + _DE_RESEARCH)
    return _front(v2, version='"2"', effective="2025-07-01", translation_of='"2"'), v3


def french_versions() -> tuple[str, str]:
    """French versions 2 and 3: 2 as the example is, 3 with version 3's edits made."""
    french = (ROOT / "policies/privacy.fr.md").read_text(encoding="utf-8")
    v2 = _front(french, version='"2"', effective="2025-07-01", translation_of='"2"')
    v3 = _replace_once(french, _FR_BACKUPS, "")
    v3 = _replace_once(v3, _FR_LOGS_END, _FR_LOGS_END + _FR_BACKUPS)
    start = v3.index(_FR_RESEARCH_START)
    end = v3.index("## ", start + len(_FR_RESEARCH_START))
    v3 = v3[:start] + v3[end:]
    return v2, _front(v3, version='"3"', effective="2026-02-15", translation_of='"3"')


def example_translations(path: Path) -> GitRepo:
    """The repository at ``path``: two commits, each a version in all three languages."""
    repo = GitRepo.init(path)
    german, french = german_versions(), french_versions()
    repo.write("policies/privacy.md", _git_show(PRIVACY_V2, "policies/privacy.md"))
    repo.write("policies/privacy.de.md", german[0])
    repo.write("policies/privacy.fr.md", french[0])
    repo.commit("Privacy Policy version 2 in English, German and French", date="2025-05-29")
    repo.write("policies/privacy.md", _git_show(PRIVACY_V3, "policies/privacy.md"))
    repo.write("policies/privacy.de.md", german[1])
    repo.write("policies/privacy.fr.md", french[1])
    repo.commit("Privacy Policy version 3 in English, German and French", date="2026-01-15")
    return repo


def build_pages(path: Path, options: SiteOptions | None = None) -> dict[str, SitePage]:
    """Every page of the site of the repository at ``path`` on :data:`TODAY`, by site path."""
    with PolicyRepo.open(load_settings(path, env={})) as repo:
        site = build_site(repo, options or SiteOptions(), today=TODAY)
    return {page.path: page for page in site.pages}
