"""Translation lag, clause by clause: what a translation renders (declared by
``translation_of`` or inferred from history), how many source versions it is behind, which
clauses changed since, mapped to the translation's own clauses by structure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from gitrepo import GitRepo

from publisher.config import Settings
from publisher.history import PolicyRepo
from publisher.markdown import parse_document
from publisher.translations import mismatches, statuses, translation_status

V1 = """---
version: "1"
effective: 2024-01-10
---
# Privacy

1. We keep little.
2. We delete it after a year.
"""
V2 = """---
version: "2"
effective: 2024-03-01
---
# Privacy

1. We keep little.
2. We delete it after a month.
3. You may ask for a copy.
"""
DE = "# Datenschutz\n\n1. Wir speichern wenig.\n2. Wir löschen es nach einem Jahr.\n"
FR = (
    '---\ntranslation_of: "1"\n---\n# Confidentialité\n\n1. Nous gardons peu.\n'
    "2. Nous effaçons après un an.\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("policies/privacy.md", V1)
    repo.write("policies/privacy.de.md", DE)
    repo.commit("Privacy 1 with its German translation", date="2024-01-10")
    repo.write("policies/privacy.md", V2)
    repo.commit("Privacy 2: delete after a month, copies", date="2024-02-01")
    repo.write("policies/privacy.fr.md", FR)
    repo.commit("French translation of version 1", date="2024-02-02")
    return repo


def open_reader(repo: GitRepo) -> PolicyRepo:
    return PolicyRepo.open(Settings(root=repo.path))


def test_an_inferred_translation_lags_with_the_clauses_that_changed(repo: GitRepo) -> None:
    with open_reader(repo) as r:
        [german] = [t for t in r.translations(r.policy("privacy")) if t.language == "de"]
        status = translation_status(r, german, today=date(2024, 2, 15))
        assert status.rendering.renders is not None
        assert (status.rendering.renders.label, status.rendering.inferred) == ("1", True)
        assert [v.label for v in status.newer] == ["2"] and status.behind == 1
        revisit = [(c.kind, c.id, c.translation_id, c.translation_line) for c in status.clauses]
        assert revisit == [("modified", "2", "2", 4), ("added", "3", None, None)]
        assert status.severity == "warning"  # version 2 takes effect on 2024-03-01
        entry = status.to_dict()
        assert entry["renders"] == "1" and entry["inferred"] is True
        assert entry["clauses"][0]["translation"] == {"id": "2", "line": 4}


def test_lag_is_an_error_once_the_newer_version_is_in_force_unless_graced(repo: GitRepo) -> None:
    with open_reader(repo) as r:
        german = r.policy("policies/privacy.de.md")
        late = translation_status(r, german, today=date(2024, 3, 5))
        assert (late.severity, late.in_force_since) == ("error", date(2024, 3, 1))
        graced = translation_status(r, german, today=date(2024, 3, 5), grace_days=10)
        assert graced.severity == "warning"


def test_translation_of_wins_over_inference(repo: GitRepo) -> None:
    with open_reader(repo) as r:
        [french] = statuses(r, "privacy", language="fr", today=date(2024, 2, 15))
        assert french.rendering.renders is not None
        # inferred, it would render 2 (in force when it was added); declared, it renders 1
        assert (french.rendering.renders.label, french.rendering.inferred) == ("1", False)
        assert french.behind == 1


def test_an_updated_translation_is_current(repo: GitRepo) -> None:
    repo.write(
        "policies/privacy.de.md",
        '---\ntranslation_of: "2"\n---\n'
        + DE.replace("einem Jahr", "einem Monat")
        + "3. Sie können eine Kopie verlangen.\n",
    )
    repo.commit("German: version 2", date="2024-02-20")
    with open_reader(repo) as r:
        status = translation_status(r, r.policy("policies/privacy.de.md"), today=date(2024, 3, 5))
        assert (status.lagging, status.severity, status.clauses) == (False, None, ())


def test_a_translation_of_an_unknown_version_is_an_error(repo: GitRepo) -> None:
    repo.write("policies/privacy.de.md", '---\ntranslation_of: "7"\n---\n' + DE)
    repo.commit("German: wrong label", date="2024-02-20")
    with open_reader(repo) as r:
        status = translation_status(r, r.policy("policies/privacy.de.md"), today=date(2024, 2, 21))
        assert status.rendering.renders is None and status.rendering.declared == "7"
        assert status.severity == "error"


def test_heading_clauses_map_by_place_not_by_words(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(
        "policies/terms.md",
        "# Terms\n\n## Accounts\n\nKeep it safe.\n\n## Payment\n\nPay monthly.\n",
    )
    repo.write(
        "policies/terms.de.md",
        "# AGB\n\n## Konten\n\nSicher halten.\n\n## Zahlung\n\nMonatlich zahlen.\n",
    )
    repo.commit("Terms", date="2024-01-10")
    repo.write(
        "policies/terms.md",
        "# Terms\n\n## Accounts\n\nKeep it safe.\n\n## Payment\n\nPay yearly.\n",
    )
    repo.commit("Terms: yearly", date="2024-02-10")
    with open_reader(repo) as r:
        status = translation_status(r, r.policy("policies/terms.de.md"), today=date(2024, 3, 1))
        [changed] = status.clauses
        assert changed.translation_id is not None
        assert changed.translation_id.startswith("zahlung")
        assert changed.translation_line == 9


def test_structure_mismatches_name_both_sides() -> None:
    source = parse_document(
        "# P\n\n## 1. One\n\nText.\n\n## 2. Two\n\n- a\n- b\n\n## 3. Three\n\nMore.\n"
    )
    translation = parse_document(
        "# P\n\n## 1. Eins\n\nText.\n\n## 3. Zwei\n\n- a\n- b\n- c\n", path="p.de.md"
    )
    found = [
        (m.kind, m.source.id if m.source else None, m.line) for m in mismatches(source, translation)
    ]
    assert found == [
        ("numbering", "2", 7),
        ("only_translation", None, 11),
        ("only_source", "3", 11),
    ]


def lint_findings(repo: GitRepo, today: date, **settings: int) -> list[tuple[str, str, str, int]]:
    from publisher.lint.repository import run_lint

    report = run_lint(Settings(root=repo.path, **settings), today=today)  # type: ignore[arg-type]
    return [
        (f.rule, f.severity, f.path, f.line)
        for f in report.findings
        if f.rule.startswith("translation")
    ]


def test_lint_warns_then_errs_on_lag_and_points_at_translation_of(repo: GitRepo) -> None:
    early = lint_findings(repo, date(2024, 2, 15))
    assert ("translation-lag", "warning", "policies/privacy.de.md", 1) in early
    assert ("translation-lag", "warning", "policies/privacy.fr.md", 2) in early
    late = lint_findings(repo, date(2024, 3, 5))
    assert ("translation-lag", "error", "policies/privacy.de.md", 1) in late
    assert ("translation-lag", "warning", "policies/privacy.de.md", 1) in lint_findings(
        repo, date(2024, 3, 5), translation_lag_grace_days=30
    )


def test_lint_checks_the_work_tree_translation_against_what_it_declares(repo: GitRepo) -> None:
    (repo.path / "policies/privacy.de.md").write_text(
        '---\ntranslation_of: "2"\n---\n' + DE + "- extra\n", encoding="utf-8"
    )
    found = lint_findings(repo, date(2024, 3, 5))
    assert [f for f in found if f[0] == "translation-lag"] == [
        ("translation-lag", "error", "policies/privacy.fr.md", 2)
    ]
    # version 2 has three items, the draft two and a bullet where the third item should be
    assert [f for f in found if f[0] == "translation-structure"] == [
        ("translation-structure", "error", "policies/privacy.de.md", 8)
    ]
    (repo.path / "policies/privacy.de.md").write_text(
        '---\ntranslation_of: "2"\n---\n' + DE, encoding="utf-8"
    )
    assert [
        f for f in lint_findings(repo, date(2024, 3, 5)) if f[0] == "translation-structure"
    ] == [("translation-structure", "error", "policies/privacy.de.md", 7)]  # lacks item 3
